"""The SQLAlchemy store: one facade over the per-table stores."""

from __future__ import annotations

from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.store.analyses import AnalysisStore
from bot.store.commits import CommitStore
from bot.store.cursors import Cursor, CursorStore
from bot.store.db import make_engine, migrate, ping
from bot.store.deliveries import Delivery, DeliveryStore
from bot.store.errors import SqliteFile, StoreUnavailable, explain
from bot.store.events import EventStore
from bot.store.listings import ListingStore
from bot.store.questions import QuestionStore
from bot.store.subscriptions import SubscriptionStore

__all__ = ["Store", "Cursor", "Delivery", "StoreUnavailable", "open_store"]


class Store:
    """Every table's store over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database or ""
        # A file database is watched: deleting or write-protecting it must show in /healthz, not at the next start.
        self._file = (SqliteFile(database) if engine.dialect.name == "sqlite" and database
                      and database != ":memory:" and not database.startswith("file:") else None)
        self.subscriptions = SubscriptionStore(engine)
        self.cursors = CursorStore(engine)
        self.commits = CommitStore(engine)
        self.analyses = AnalysisStore(engine)
        self.deliveries = DeliveryStore(engine)
        self.events = EventStore(engine)
        self.listings = ListingStore(engine)
        self.questions = QuestionStore(engine)

    def ping(self) -> None:
        """Raise if the database does not answer, or (SQLite) its file is gone, replaced or read-only."""
        if self._file is not None:
            self._file.check()
        ping(self.engine)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


def open_store(database_url: str, run_migrations: bool = True) -> Store:
    """Connect and (by default) migrate to the newest schema; StoreUnavailable names the cause in one line."""
    try:
        engine = make_engine(database_url)
    except OSError as exc:
        raise explain(exc, database_url, "create") from None
    try:
        ping(engine)
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise explain(exc, database_url, "open") from None
    if run_migrations:
        try:
            migrate(engine)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            engine.dispose()
            raise explain(exc, database_url, "migrate") from None
    store = Store(engine)
    try:
        store.ping()  # a read-only SQLite file or folder stops start-up here, not at the first write
    except StoreUnavailable:
        engine.dispose()
        raise
    return store
