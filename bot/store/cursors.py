"""Per (repo, branch) polling state: last seen SHA, ETag, and failure bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Row, and_, bindparam, delete, exists, func, or_, select, update

from bot.domain import RepoRef
from bot.store.db import insert_ignore, upsert
from bot.store.schema import repo_cursors as table
from bot.store.schema import subscriptions

GET_MANY_CHUNK = 500


class Cursor(BaseModel):
    """Where polling of one branch stands."""

    repo: RepoRef
    branch: str
    last_sha: str | None = None
    etag: str | None = None
    last_polled_at: datetime | None = None
    failure_kind: str | None = None
    failure_message: str | None = None
    failure_count: int = 0
    failure_reported: bool = False


def restart(conn: Connection, repo: RepoRef, branch: str, poll_at: datetime) -> None:
    """Replace the branch's cursor, in the caller's transaction, by a blank one asking for a poll at `poll_at`."""
    conn.execute(delete(table).where(and_(table.c.repo == repo.full_name, table.c.branch == branch)))
    # Insert-if-absent: concurrent restarts of the same branch (first subscribes from many channels at
    # once) all leave the same blank cursor, and none fails on the primary key.
    insert_ignore(conn, table, {"repo": repo.full_name, "branch": branch, "failure_count": 0,
                                "failure_reported": False, "poll_requested_at": poll_at})


class CursorStore:
    """Reads and writes cursors."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, repo: RepoRef, branch: str) -> Cursor:
        """The cursor of (repo, branch); a blank one when never polled."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(self._key(repo, branch))).first()
        if row is None:
            return Cursor(repo=repo, branch=branch)
        return Cursor(repo=repo, branch=branch, last_sha=row.last_sha, etag=row.etag,
                      last_polled_at=row.last_polled_at, failure_kind=row.failure_kind,
                      failure_message=row.failure_message, failure_count=row.failure_count,
                      failure_reported=row.failure_reported)

    def advance(self, repo: RepoRef, branch: str, last_sha: str | None, etag: str | None, polled_at: datetime) -> None:
        """Record a successful poll: new head, new ETag, failures cleared."""
        values = {"repo": repo.full_name, "branch": branch, "last_sha": last_sha, "etag": etag,
                  "last_polled_at": polled_at, "failure_kind": None, "failure_message": None,
                  "failure_count": 0, "failure_reported": False}
        with self._engine.begin() as conn:
            upsert(conn, table, values, ["repo", "branch"])

    def touch(self, repo: RepoRef, branch: str, polled_at: datetime) -> None:
        """Record an idle poll (304) without changing head or ETag."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(self._key(repo, branch))
                         .values(last_polled_at=polled_at, failure_kind=None, failure_message=None,
                                 failure_count=0, failure_reported=False))

    def get_many(self, pairs: list[tuple[RepoRef, str]]) -> dict[tuple[str, str], Cursor]:
        """Cursors of many pairs in one query, keyed by (full_name, branch); blank ones for never polled."""
        wanted = {(repo.full_name, branch): repo for repo, branch in pairs}
        names = sorted({name for name, _ in wanted})
        rows: list[Row[Any]] = []
        with self._engine.connect() as conn:
            # Only the cursors asked for (a batch of a few dozen among thousands), in chunks that stay under
            # SQLite's limit on bound parameters.
            for start in range(0, len(names), GET_MANY_CHUNK):
                rows += conn.execute(select(table).where(table.c.repo.in_(names[start:start + GET_MANY_CHUNK]))).all()
        found = {(row.repo, row.branch): Cursor(
            repo=wanted[(row.repo, row.branch)], branch=row.branch, last_sha=row.last_sha, etag=row.etag,
            last_polled_at=row.last_polled_at, failure_kind=row.failure_kind, failure_message=row.failure_message,
            failure_count=row.failure_count, failure_reported=row.failure_reported)
            for row in rows if (row.repo, row.branch) in wanted}
        return {key: found.get(key) or Cursor(repo=repo, branch=key[1]) for key, repo in wanted.items()}

    def touch_many(self, pairs: list[tuple[RepoRef, str]], polled_at: datetime) -> None:
        """`touch` for many idle pairs in one transaction (a poll cycle's 304s)."""
        if not pairs:
            return
        statement = (update(table).where(and_(table.c.repo == bindparam("key_repo"),
                                              table.c.branch == bindparam("key_branch")))
                     .values(last_polled_at=polled_at, failure_kind=None, failure_message=None,
                             failure_count=0, failure_reported=False))
        with self._engine.begin() as conn:
            conn.execute(statement, [{"key_repo": repo.full_name, "key_branch": branch} for repo, branch in pairs])

    def record_failure(self, repo: RepoRef, branch: str, kind: str, message: str) -> Cursor:
        """Count one more failed poll; the returned cursor says whether it was reported yet."""
        with self._engine.begin() as conn:
            insert_ignore(conn, table, {"repo": repo.full_name, "branch": branch, "failure_count": 0,
                                        "failure_reported": False})
            conn.execute(update(table).where(self._key(repo, branch))
                         .values(failure_kind=kind, failure_message=message,
                                 failure_count=table.c.failure_count + 1))
        return self.get(repo, branch)

    def mark_failure_reported(self, repo: RepoRef, branch: str) -> None:
        """Remember that the current failure has been told to the channels."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(self._key(repo, branch)).values(failure_reported=True))

    def request_poll(self, repo: RepoRef, branch: str, at: datetime) -> None:
        """Ask the worker (maybe another process) to poll this branch soon: a push webhook arrived."""
        with self._engine.begin() as conn:
            insert_ignore(conn, table, {"repo": repo.full_name, "branch": branch, "failure_count": 0,
                                        "failure_reported": False})
            conn.execute(update(table).where(self._key(repo, branch)).values(poll_requested_at=at))

    def take_poll_requests(self) -> list[tuple[RepoRef, str]]:
        """Pairs with a pending poll request, clearing the requests."""
        with self._engine.begin() as conn:
            rows = conn.execute(select(table.c.repo, table.c.branch)
                                .where(table.c.poll_requested_at.is_not(None))).all()
            for row in rows:
                conn.execute(update(table).where(and_(table.c.repo == row.repo, table.c.branch == row.branch))
                             .values(poll_requested_at=None))
        return [(RepoRef.parse(row.repo), row.branch) for row in rows]

    def watched_count(self) -> int:
        """Distinct branches with at least one active subscription."""
        watched = (select(subscriptions.c.repo, subscriptions.c.branch)
                   .where(subscriptions.c.paused.is_(False), subscriptions.c.template.is_(None))
                   .distinct().subquery())
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(watched)).scalar() or 0)

    def claim_due(self, now: datetime, limit: int, next_due: Callable[[], datetime]) -> list[tuple[RepoRef, str]]:
        """Up to `limit` watched branches due for a poll (never polled, asked for, or past their time),
        oldest due first; each claimed one is next due at `next_due()` and its request is cleared.

        One tick claims at a time (the tick job's lock), so a plain read-then-write is enough. A few
        statements whatever the number of branches: a tick runs every few seconds on thousands of them.
        """
        due = or_(table.c.next_poll_at.is_(None), table.c.next_poll_at <= now, table.c.poll_requested_at.is_not(None))
        watched = exists().where(and_(subscriptions.c.repo == table.c.repo, subscriptions.c.branch == table.c.branch,
                                      subscriptions.c.paused.is_(False), subscriptions.c.template.is_(None)))
        order = (table.c.poll_requested_at.is_(None), table.c.next_poll_at.is_not(None), table.c.next_poll_at)
        with self._engine.begin() as conn:
            # A cursor nobody watches any more is moved out of the way for a day.
            conn.execute(update(table).where(and_(due, ~watched))
                         .values(next_poll_at=now + timedelta(days=1), poll_requested_at=None))
            rows = conn.execute(select(table.c.repo, table.c.branch).where(and_(due, watched))
                                .order_by(*order).limit(limit)).all()
            if rows:
                conn.execute(update(table).where(and_(table.c.repo == bindparam("b_repo"),
                                                      table.c.branch == bindparam("b_branch")))
                             .values(next_poll_at=bindparam("b_next"), poll_requested_at=None),
                             [{"b_repo": row.repo, "b_branch": row.branch, "b_next": next_due()} for row in rows])
        return [(RepoRef.parse(row.repo), row.branch) for row in rows]

    @staticmethod
    def _key(repo: RepoRef, branch: str):
        return and_(table.c.repo == repo.full_name, table.c.branch == branch)
