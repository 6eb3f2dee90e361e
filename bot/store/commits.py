"""Commits seen on watched branches, with a flag for whether delivery has processed them."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, and_, select, update

from bot.domain import Commit, RepoRef
from bot.store.db import insert_ignore
from bot.store.schema import commits as table


class CommitStore:
    """Reads and writes commits."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, commit: Commit, branch: str | None = None, processed: bool = False) -> bool:
        """Store a commit once; True when it was new. Later calls keep the first row."""
        values = self._values(commit, branch, processed)
        with self._engine.begin() as conn:
            return insert_ignore(conn, table, values)

    def replace(self, commit: Commit, branch: str | None = None) -> None:
        """Store or refresh a commit's data, keeping its processed flag."""
        values = self._values(commit, branch, False)
        values.pop("processed")
        with self._engine.begin() as conn:
            if not insert_ignore(conn, table, {**values, "processed": False}):
                conn.execute(update(table).where(self._key(commit.repo, commit.sha)).values(**values))

    def get(self, repo: RepoRef, sha: str) -> Commit | None:
        """One stored commit by full SHA."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table.c.data).where(self._key(repo, sha))).first()
        return Commit.model_validate(row.data) if row else None

    def find_prefix(self, repos: list[RepoRef], prefix: str, limit: int = 10) -> list[Commit]:
        """Stored commits of any of `repos` whose SHA starts with `prefix`."""
        if not repos:
            return []
        query = (select(table.c.data)
                 .where(table.c.repo.in_([repo.full_name for repo in repos]))
                 .where(table.c.sha.like(prefix.lower() + "%"))
                 .order_by(table.c.committed_at.desc()).limit(limit))
        with self._engine.connect() as conn:
            return [Commit.model_validate(row.data) for row in conn.execute(query)]

    def known(self, repo: RepoRef, shas: list[str]) -> set[str]:
        """Which of `shas` are already stored for `repo`."""
        if not shas:
            return set()
        query = select(table.c.sha).where(table.c.repo == repo.full_name, table.c.sha.in_(shas))
        with self._engine.connect() as conn:
            return {row.sha for row in conn.execute(query)}

    def between(self, repo: RepoRef, start: datetime, end: datetime, branch: str | None = None) -> list[Commit]:
        """Commits of `repo` committed in [start, end), oldest first."""
        query = (select(table.c.data)
                 .where(table.c.repo == repo.full_name, table.c.committed_at >= _utc(start),
                        table.c.committed_at < _utc(end))
                 .order_by(table.c.committed_at, table.c.sha))
        if branch is not None:
            query = query.where(table.c.branch == branch)
        with self._engine.connect() as conn:
            return [Commit.model_validate(row.data) for row in conn.execute(query)]

    def unprocessed(self, limit: int = 1000) -> list[tuple[Commit, str | None]]:
        """Commits not yet through delivery, oldest first, with the branch they were seen on."""
        query = (select(table.c.data, table.c.branch).where(table.c.processed.is_(False))
                 .order_by(table.c.seen_at, table.c.committed_at).limit(limit))
        with self._engine.connect() as conn:
            return [(Commit.model_validate(row.data), row.branch) for row in conn.execute(query)]

    def mark_processed(self, repo: RepoRef, sha: str) -> None:
        """Delivery is done with this commit."""
        with self._engine.begin() as conn:
            conn.execute(update(table).where(self._key(repo, sha)).values(processed=True))

    @staticmethod
    def _values(commit: Commit, branch: str | None, processed: bool) -> dict:
        return {
            "repo": commit.repo.full_name,
            "sha": commit.sha.lower(),
            "branch": branch,
            "committed_at": _utc(commit.committed_at),
            "author": commit.author_login or commit.author_name,
            "title": commit.title,
            "data": commit.model_dump(mode="json"),
            "processed": processed,
            "seen_at": datetime.now(timezone.utc),
        }

    @staticmethod
    def _key(repo: RepoRef, sha: str):
        return and_(table.c.repo == repo.full_name, table.c.sha == sha.lower())


def _utc(moment: datetime) -> datetime:
    # SQLite stores naive text; normalising to UTC keeps range queries right on both databases.
    return moment.astimezone(timezone.utc)


