"""The SQLAlchemy store: one facade over the per-table stores."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.store.analyses import AnalysisStore
from bot.store.commits import CommitStore
from bot.store.cursors import Cursor, CursorStore
from bot.store.db import make_engine, migrate, ping
from bot.store.deliveries import Delivery, DeliveryStore
from bot.store.events import EventStore
from bot.store.subscriptions import SubscriptionStore

__all__ = ["Store", "Cursor", "Delivery", "open_store"]


class Store:
    """Every table's store over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.subscriptions = SubscriptionStore(engine)
        self.cursors = CursorStore(engine)
        self.commits = CommitStore(engine)
        self.analyses = AnalysisStore(engine)
        self.deliveries = DeliveryStore(engine)
        self.events = EventStore(engine)

    def ping(self) -> None:
        """Raise if the database does not answer."""
        ping(self.engine)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


def open_store(database_url: str, run_migrations: bool = True) -> Store:
    """Connect and (by default) migrate to the newest schema."""
    engine = make_engine(database_url)
    if run_migrations:
        migrate(engine)
    return Store(engine)
