"""Subscriptions: which channel follows which branch of which repository, and how."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, delete, select, update

from bot.domain import RepoRef, Subscription
from bot.domain.values import parse_hhmm
from bot.store import cursors
from bot.store.db import insert_ignore
from bot.store.schema import subscriptions as table


def _row_to_subscription(row) -> Subscription:
    return Subscription(
        id=row.id,
        platform=row.platform,
        channel=row.channel,
        repo=RepoRef.parse(row.repo),
        branch=row.branch,
        threshold=row.threshold,
        digest_time=parse_hhmm(row.digest_time),
        timezone=row.timezone,
        language=row.language,
        paths=list(row.paths or []),
        ignore_authors=list(row.ignore_authors or []),
        include_merges=row.include_merges,
        all_commits=row.all_commits,
        empty_digest=row.empty_digest,
        webhook_secret=row.webhook_secret,
        paused=row.paused,
        paused_reason=row.paused_reason,
        created_at=row.created_at,
    )


def _values(sub: Subscription) -> dict:
    return {
        "platform": sub.platform,
        "channel": sub.channel,
        "repo": sub.repo.full_name,
        "branch": sub.branch,
        "threshold": sub.threshold.value,
        "digest_time": sub.digest_time.strftime("%H:%M"),
        "timezone": sub.timezone,
        "language": sub.language,
        "paths": list(sub.paths),
        "ignore_authors": list(sub.ignore_authors),
        "include_merges": sub.include_merges,
        "all_commits": sub.all_commits,
        "empty_digest": sub.empty_digest,
        "webhook_secret": sub.webhook_secret,
        "paused": sub.paused,
        "paused_reason": sub.paused_reason,
    }


class SubscriptionStore:
    """Reads and writes subscriptions."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, sub: Subscription, restart_cursor_at: datetime | None = None) -> tuple[Subscription, bool]:
        """Insert, or update the options of the same (platform, channel, repo, branch); True when new.

        With `restart_cursor_at`, the branch's cursor is restarted (blank, a poll asked for at that
        time) in the same transaction, so a crash never leaves the subscription without it.
        """
        values = _values(sub)
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            created = insert_ignore(conn, table, {**values, "created_at": sub.created_at or now})
            key = self._key(sub.platform, sub.channel, sub.repo, sub.branch)
            if not created:
                conn.execute(update(table).where(key).values(**values))
            row = conn.execute(select(table).where(key)).one()
            if restart_cursor_at is not None:
                cursors.restart(conn, sub.repo, sub.branch, restart_cursor_at)
        return _row_to_subscription(row), created

    def is_watched(self, repo: RepoRef, branch: str) -> bool:
        """True when at least one active subscription follows (repo, branch)."""
        query = select(table.c.id).where(table.c.repo == repo.full_name, table.c.branch == branch,
                                         table.c.paused.is_(False)).limit(1)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def get(self, subscription_id: int) -> Subscription | None:
        """One subscription by id."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == subscription_id)).first()
        return _row_to_subscription(row) if row else None

    def list(self, platform: str | None = None, channel: str | None = None, repo: RepoRef | None = None,
             branch: str | None = None) -> list[Subscription]:
        """Subscriptions matching every given filter, oldest first."""
        query = select(table).order_by(table.c.id)
        if platform is not None:
            query = query.where(table.c.platform == platform)
        if channel is not None:
            query = query.where(table.c.channel == channel)
        if repo is not None:
            query = query.where(table.c.repo == repo.full_name)
        if branch is not None:
            query = query.where(table.c.branch == branch)
        with self._engine.connect() as conn:
            return [_row_to_subscription(row) for row in conn.execute(query)]

    def remove(self, platform: str, channel: str, repo: RepoRef, branch: str | None = None) -> int:
        """Delete the channel's subscriptions to `repo` (one branch or all); returns how many."""
        condition = and_(table.c.platform == platform, table.c.channel == channel, table.c.repo == repo.full_name)
        if branch is not None:
            condition = and_(condition, table.c.branch == branch)
        with self._engine.begin() as conn:
            return conn.execute(delete(table).where(condition)).rowcount

    def watched(self) -> builtins.list[tuple[RepoRef, str]]:  # `list` here is the method above
        """Distinct (repo, branch) pairs with at least one active subscription."""
        query = select(table.c.repo, table.c.branch).where(table.c.paused.is_(False)).distinct()
        with self._engine.connect() as conn:
            pairs = [(RepoRef.parse(row.repo), row.branch) for row in conn.execute(query)]
        return sorted(pairs, key=lambda pair: (pair[0].full_name, pair[1]))

    def set_paused(self, subscription_id: int, paused: bool, reason: str | None = None) -> None:
        """Pause (with a reason shown in /subscriptions) or resume one subscription."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == subscription_id)
                         .values(paused=paused, paused_reason=reason if paused else None))

    def rename_repo(self, old: RepoRef, new: RepoRef) -> int:
        """Point subscriptions of a moved repository at its new name; returns how many.

        A channel that already follows the new name keeps that subscription and loses the old one.
        """
        with self._engine.begin() as conn:
            rows = conn.execute(select(table).where(table.c.repo == old.full_name)).all()
            for row in rows:
                clash = conn.execute(select(table.c.id).where(
                    self._key(row.platform, row.channel, new, row.branch))).first()
                if clash is not None:
                    conn.execute(delete(table).where(table.c.id == row.id))
                else:
                    conn.execute(update(table).where(table.c.id == row.id).values(repo=new.full_name))
        return len(rows)

    @staticmethod
    def _key(platform: str, channel: str, repo: RepoRef, branch: str):
        return and_(table.c.platform == platform, table.c.channel == channel,
                    table.c.repo == repo.full_name, table.c.branch == branch)
