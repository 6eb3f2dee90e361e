"""Delivery records: the unique key that keeps a card or digest from being posted twice."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, field_validator
from sqlalchemy import Engine, and_, func, select, update

from bot.domain.delivery import DeliveryState
from bot.store.db import insert_ignore
from bot.store.schema import deliveries as table


class Delivery(BaseModel):
    """One (subscription, kind, item) delivery and where it stands."""

    id: int
    subscription_id: int
    kind: str
    item: str
    platform: str
    channel: str
    status: DeliveryState
    message_id: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    reason: str | None = None
    claimed_by: str | None = None

    @field_validator("created_at", "sent_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        # SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones in the session's zone.
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DeliveryStore:
    """Claims, completes and looks up deliveries."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, subscription_id: int, kind: str, item: str, platform: str, channel: str) -> tuple[Delivery, bool]:
        """Create the pending record for a delivery; False when a record already existed."""
        return self.claim_at(subscription_id, kind, item, platform, channel, datetime.now(UTC))

    def claim_at(self, subscription_id: int, kind: str, item: str, platform: str, channel: str,
                 now: datetime, owner: str | None = None) -> tuple[Delivery, bool]:
        """`claim` stamped with the caller's clock (claims are aged against that clock) and its owner (a job)."""
        with self._engine.begin() as conn:
            created = insert_ignore(conn, table, {
                "subscription_id": subscription_id, "kind": kind, "item": item, "platform": platform,
                "channel": channel, "status": DeliveryState.PENDING, "created_at": now.astimezone(UTC),
                "claimed_by": owner,
            })
        delivery = self.get(subscription_id, kind, item)
        assert delivery is not None
        return delivery, created

    def take_over(self, delivery_id: int, owner: str | None) -> None:
        """A pending claim whose job is gone now belongs to `owner`."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(and_(table.c.id == delivery_id, table.c.status == DeliveryState.PENDING))
                         .values(claimed_by=owner))

    def last_id(self) -> int:
        """The newest record's id (0 when there is none): claims up to it existed before this moment."""
        with self._engine.connect() as conn:
            return conn.execute(select(func.max(table.c.id))).scalar() or 0

    def unfinished(self, subscription_id: int, kind: str, item_prefix: str) -> int:
        """How many of a subscription's records of `kind` whose item starts with `item_prefix` are still pending."""
        condition = and_(table.c.subscription_id == subscription_id, table.c.kind == kind,
                         table.c.item.startswith(item_prefix, autoescape=True), table.c.status == DeliveryState.PENDING)
        with self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(condition)).scalar() or 0

    def mark_sent(self, delivery_id: int, message_id: str | None) -> None:
        """The platform accepted the message; remember its id (Slack ts, Feishu message_id)."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == delivery_id)
                         .values(status=DeliveryState.SENT, message_id=message_id, sent_at=datetime.now(UTC)))

    def mark_failed(self, delivery_id: int, reason: str | None = None) -> None:
        """Refused for good, or still failing when its retry time ran out; the record stops further retries."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == delivery_id)
                         .values(status=DeliveryState.FAILED, reason=reason))

    def failures(self, subscription_id: int) -> tuple[int, str | None]:
        """How many of a subscription's deliveries failed for good, and the newest one's reason."""
        condition = and_(table.c.subscription_id == subscription_id, table.c.status == DeliveryState.FAILED)
        with self._engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(table).where(condition)).scalar() or 0
            latest = conn.execute(select(table.c.reason).where(condition).order_by(table.c.id.desc()).limit(1)).scalar()
        return count, latest

    def record_skipped(self, subscription_id: int, kind: str, item: str, platform: str, channel: str) -> None:
        """Remember that nothing was due (an empty day set to skip), so nothing retries it."""
        delivery, _ = self.claim(subscription_id, kind, item, platform, channel)
        if delivery.status == DeliveryState.PENDING:
            with self._engine.begin() as conn:
                conn.execute(update(table).where(table.c.id == delivery.id).values(status=DeliveryState.SKIPPED))

    def get(self, subscription_id: int, kind: str, item: str) -> Delivery | None:
        """The record for one delivery key."""
        condition = and_(table.c.subscription_id == subscription_id, table.c.kind == kind, table.c.item == item)
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(condition)).first()
        return Delivery.model_validate(row._asdict()) if row else None

    def pending(self) -> list[Delivery]:
        """Claims whose outcome is unknown (a crash between post and record)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.status == DeliveryState.PENDING).order_by(table.c.id))
            return [Delivery.model_validate(row._asdict()) for row in rows]

    def count(self, status: DeliveryState | None = None) -> int:
        """Number of records, optionally with one status."""
        query = select(table.c.id)
        if status is not None:
            query = query.where(table.c.status == status)
        with self._engine.connect() as conn:
            return len(conn.execute(query).all())
