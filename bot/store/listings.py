"""Lists the patterns follow (an owner's repositories, a repository's branches): ETags, entries, when next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Engine, and_, bindparam, exists, or_, select, update

from bot.store.db import upsert
from bot.store.schema import listings as table
from bot.store.schema import subscriptions


class Listing(BaseModel):
    """One list as last read: `kind` 'owner' (target `owner/*`) or 'branches' (target `owner/repo`)."""

    kind: str
    target: str
    owner_kind: str | None = None  # 'orgs' or 'users'
    etags: list[str] = []  # one per page, in page order
    entries: list[dict] = []
    truncated: bool = False  # longer than the bot reads
    checked_at: datetime | None = None
    failure_kind: str | None = None
    failure_message: str | None = None
    failure_count: int = 0


class ListingStore:
    """Reads and writes listings."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, kind: str, target: str) -> Listing | None:
        """The listing of (kind, target), or None when it was never read."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(self._key(kind, target))).first()
        if row is None:
            return None
        return Listing(kind=row.kind, target=row.target, owner_kind=row.owner_kind, etags=list(row.etags or []),
                       entries=list(row.entries or []), truncated=row.truncated, checked_at=row.checked_at,
                       failure_kind=row.failure_kind, failure_message=row.failure_message,
                       failure_count=row.failure_count)

    def save(self, listing: Listing, checked_at: datetime) -> None:
        """Record a successful read (failures cleared); a new listing is due at the next tick, and an old one
        keeps the next check its claim set."""
        values = {"kind": listing.kind, "target": listing.target, "owner_kind": listing.owner_kind,
                  "etags": list(listing.etags), "entries": list(listing.entries), "truncated": listing.truncated,
                  "checked_at": checked_at, "failure_kind": None, "failure_message": None, "failure_count": 0}
        with self._engine.begin() as conn:
            upsert(conn, table, values, ["kind", "target"])

    def record_failure(self, kind: str, target: str, failure: str, message: str) -> None:
        """Count one more failed read; what was listed before stays as it was."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(self._key(kind, target))
                         .values(failure_kind=failure, failure_message=message,
                                 failure_count=table.c.failure_count + 1))

    def claim_due(self, now: datetime, limit: int, next_due: Callable[[], datetime]) -> list[tuple[str, str]]:
        """Up to `limit` listings some active template follows that are due, oldest due first; each is next
        due at `next_due()`. A listing no template follows any more is moved out of the way for a day."""
        due = or_(table.c.next_check_at.is_(None), table.c.next_check_at <= now)
        used = exists().where(and_(subscriptions.c.template == table.c.kind, subscriptions.c.repo == table.c.target,
                                   subscriptions.c.paused.is_(False)))
        with self._engine.begin() as conn:
            conn.execute(update(table).where(and_(due, ~used)).values(next_check_at=now + timedelta(days=1)))
            if limit <= 0:
                return []
            rows = conn.execute(select(table.c.kind, table.c.target).where(and_(due, used))
                                .order_by(table.c.next_check_at.is_not(None), table.c.next_check_at)
                                .limit(limit)).all()
            if rows:
                conn.execute(update(table).where(and_(table.c.kind == bindparam("l_kind"),
                                                      table.c.target == bindparam("l_target")))
                             .values(next_check_at=bindparam("l_next")),
                             [{"l_kind": row.kind, "l_target": row.target, "l_next": next_due()} for row in rows])
        return [(row.kind, row.target) for row in rows]

    @staticmethod
    def _key(kind: str, target: str):
        return and_(table.c.kind == kind, table.c.target == target)
