"""Inbound event ids already handled, so a re-pushed event (Feishu, Slack retries) runs once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.store.db import insert_ignore
from bot.store.schema import inbound_events as table


class EventStore:
    """Durable de-duplication of inbound events."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_time(self, source: str, event_id: str) -> bool:
        """Record the event; True only for the first caller ever to see this id."""
        with self._engine.begin() as conn:
            return insert_ignore(conn, table, {"source": source, "event_id": event_id,
                                               "received_at": datetime.now(UTC)})
