"""Subscriptions: which channel follows which branch of which repository, and how."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import Engine, and_, delete, func, select, update

from bot.domain import RepoRef, Subscription
from bot.domain.values import parse_hhmm
from bot.store import cursors
from bot.store.db import insert_ignore
from bot.store.schema import subscriptions as table


def _repo_of(row) -> RepoRef:
    if row.template == "owner":  # `owner/*` is no repository name: built from its parts
        owner, _, name = row.repo.partition("/")
        return RepoRef(owner=owner, name=name)
    return RepoRef.parse(row.repo)


@dataclass(frozen=True)
class DigestTiming:
    """When one active subscription's digest is due: what the digest tick reads of every subscription."""

    id: int
    timezone: str
    digest_time: time
    digest_every: str
    digest_on: str
    created_at: datetime | None


def _row_to_subscription(row) -> Subscription:
    return Subscription(
        id=row.id,
        platform=row.platform,
        channel=row.channel,
        repo=_repo_of(row),
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
        digest_every=row.digest_every,
        digest_on=row.digest_on,
        webhook_secret=row.webhook_secret,
        paused=row.paused,
        paused_reason=row.paused_reason,
        created_at=row.created_at,
        template=row.template,
        pattern_id=row.pattern_id,
        include_forks=row.include_forks,
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
        "digest_every": sub.digest_every,
        "digest_on": sub.digest_on,
        "webhook_secret": sub.webhook_secret,
        "paused": sub.paused,
        "paused_reason": sub.paused_reason,
        "template": sub.template,
        "pattern_id": sub.pattern_id,
        "include_forks": sub.include_forks,
    }


# What a concrete subscription does not take from its template: who and what it is, and its own pause.
_NOT_COPIED = frozenset({"platform", "channel", "repo", "branch", "template", "pattern_id", "include_forks",
                         "paused", "paused_reason"})


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
                                         table.c.paused.is_(False), table.c.template.is_(None)).limit(1)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def get(self, subscription_id: int) -> Subscription | None:
        """One subscription by id."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == subscription_id)).first()
        return _row_to_subscription(row) if row else None

    def list(self, platform: str | None = None, channel: str | None = None, repo: RepoRef | None = None,
             branch: str | None = None, templates: bool = False) -> list[Subscription]:
        """Subscriptions matching every given filter, oldest first; pattern templates only when `templates`."""
        query = select(table).order_by(table.c.id)
        if not templates:
            query = query.where(table.c.template.is_(None))
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

    def digest_timings(self) -> builtins.list[DigestTiming]:
        """The digest timing of every active subscription (not paused, no template), oldest first; a few
        columns instead of whole subscriptions, since the digest tick reads them all every half minute."""
        query = (select(table.c.id, table.c.timezone, table.c.digest_time, table.c.digest_every, table.c.digest_on,
                        table.c.created_at)
                 .where(table.c.template.is_(None), table.c.paused.is_(False)).order_by(table.c.id))
        with self._engine.connect() as conn:
            return [DigestTiming(row.id, row.timezone, parse_hhmm(row.digest_time), row.digest_every, row.digest_on,
                                 row.created_at) for row in conn.execute(query)]

    def remove(self, platform: str, channel: str, repo: RepoRef, branch: str | None = None) -> int:
        """Delete the channel's subscriptions to `repo` (one branch or all); returns how many."""
        condition = and_(table.c.platform == platform, table.c.channel == channel, table.c.repo == repo.full_name)
        if branch is not None:
            condition = and_(condition, table.c.branch == branch)
        with self._engine.begin() as conn:
            return conn.execute(delete(table).where(condition)).rowcount

    def watched(self) -> builtins.list[tuple[RepoRef, str]]:  # `list` here is the method above
        """Distinct (repo, branch) pairs with at least one active subscription."""
        query = (select(table.c.repo, table.c.branch).where(table.c.paused.is_(False), table.c.template.is_(None))
                 .distinct())
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

    # --- pattern subscriptions ---

    def templates(self, kind: str | None = None, target: str | None = None, platform: str | None = None,
                  channel: str | None = None) -> builtins.list[Subscription]:
        """Pattern templates, oldest first: of one kind, on one target (`owner/*` or `owner/repo`), in one channel."""
        query = select(table).where(table.c.template.is_not(None)).order_by(table.c.id)
        for column, value in ((table.c.template, kind), (table.c.repo, target), (table.c.platform, platform),
                              (table.c.channel, channel)):
            if value is not None:
                query = query.where(column == value)
        with self._engine.connect() as conn:
            return [_row_to_subscription(row) for row in conn.execute(query)]

    def expanded_counts(self) -> dict[int, int]:
        """How many concrete subscriptions each template has now, by template id."""
        query = (select(table.c.pattern_id, func.count()).where(table.c.pattern_id.is_not(None))
                 .group_by(table.c.pattern_id))
        with self._engine.connect() as conn:
            return {int(row[0]): int(row[1]) for row in conn.execute(query)}

    def expand(self, template: Subscription, wanted: builtins.list[tuple[RepoRef, str]],
               restart_at: datetime) -> tuple[int, int]:
        """Make the template's concrete subscriptions exactly `wanted`, with its options; (added, removed).

        A (repo, branch) the channel already follows on its own keeps that subscription. A branch that
        becomes watched starts at its head: its cursor is restarted in the same transaction, as `save` does.
        """
        template_id = template.key
        options = {name: value for name, value in _values(template).items() if name not in _NOT_COPIED}
        wanted_keys = {(repo.full_name, branch): repo for repo, branch in wanted}
        with self._engine.begin() as conn:
            rows = conn.execute(select(table.c.id, table.c.repo, table.c.branch)
                                .where(table.c.pattern_id == template_id)).all()
            have = {(row.repo, row.branch): row.id for row in rows}
            gone = [row_id for key, row_id in have.items() if key not in wanted_keys]
            if gone:
                conn.execute(delete(table).where(table.c.id.in_(gone)))
            if have:
                # Options follow the template (a repeated /subscribe of the pattern changes them all).
                conn.execute(update(table).where(table.c.pattern_id == template_id).values(**options))
            added = 0
            for (full_name, branch), repo in wanted_keys.items():
                if (full_name, branch) in have:
                    continue
                watched = conn.execute(select(table.c.id).where(
                    table.c.repo == full_name, table.c.branch == branch, table.c.paused.is_(False),
                    table.c.template.is_(None)).limit(1)).first() is not None
                row = {**options, "platform": template.platform, "channel": template.channel, "repo": full_name,
                       "branch": branch, "template": None, "pattern_id": template_id, "include_forks": False,
                       "paused": False, "paused_reason": None, "created_at": datetime.now(UTC)}
                if insert_ignore(conn, table, row):
                    added += 1
                    if not watched:
                        cursors.restart(conn, repo, branch, restart_at)
        return added, len(gone)

    def remove_pattern(self, template_id: int) -> int:
        """Delete a template and its concrete subscriptions; how many concrete ones went with it."""
        with self._engine.begin() as conn:
            removed = conn.execute(delete(table).where(table.c.pattern_id == template_id)).rowcount
            conn.execute(delete(table).where(table.c.id == template_id))
        return removed

    @staticmethod
    def _key(platform: str, channel: str, repo: RepoRef, branch: str):
        return and_(table.c.platform == platform, table.c.channel == channel,
                    table.c.repo == repo.full_name, table.c.branch == branch)
