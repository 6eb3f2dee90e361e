"""Commits seen by the bot, and per watched branch whether delivery is done with them there."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, and_, delete, false, or_, select, update

from bot.domain import Commit, RepoRef
from bot.store.db import insert_ignore
from bot.store.schema import branch_commits as members
from bot.store.schema import commits as table


class CommitStore:
    """Reads and writes commits and their branch memberships."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, commit: Commit, branch: str | None = None, processed: bool = False,
             merged_by: str | None = None) -> bool:
        """Store a commit once and, with `branch`, that it is on that branch; True when either is new.

        `merged_by`: the first-parent merge of `branch` that brought the commit in. A detailed commit
        replaces a copy stored from a listing only.
        """
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            new = insert_ignore(conn, table, self._values(commit, now))
            if not new and commit.detailed:
                conn.execute(update(table).where(self._key(commit.repo, commit.sha), table.c.detailed.is_(False))
                             .values(**self._values(commit, now)))
            if branch is not None:
                new = insert_ignore(conn, members, {"repo": commit.repo.full_name, "branch": branch,
                                                    "sha": commit.sha.lower(), "seen_at": now,
                                                    "processed": processed, "merged_by": merged_by}) or new
        return new

    def add_to_branch(self, repo: RepoRef, sha: str, branch: str, merged_by: str | None = None) -> bool:
        """Record that an already stored commit is on `branch` (not yet processed there); True when new."""
        with self._engine.begin() as conn:
            return insert_ignore(conn, members, {"repo": repo.full_name, "branch": branch, "sha": sha.lower(),
                                                 "seen_at": datetime.now(UTC), "processed": False,
                                                 "merged_by": merged_by})

    def get(self, repo: RepoRef, sha: str) -> Commit | None:
        """One stored commit by full SHA (one stored from a listing only is not: it has no files to analyse)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(table.c.data).where(self._key(repo, sha), table.c.detailed.is_(True))).first()
        return Commit.model_validate(row.data) if row else None

    def find_prefix(self, repos: list[RepoRef], prefix: str, limit: int = 10) -> list[Commit]:
        """Stored detailed commits of any of `repos` whose SHA starts with `prefix`."""
        if not repos:
            return []
        query = (select(table.c.data)
                 .where(table.c.repo.in_([repo.full_name for repo in repos]), table.c.detailed.is_(True))
                 .where(table.c.sha.like(prefix.lower() + "%"))
                 .order_by(table.c.committed_at.desc()).limit(limit))
        with self._engine.connect() as conn:
            return [Commit.model_validate(row.data) for row in conn.execute(query)]

    def known(self, repo: RepoRef, shas: list[str], branch: str | None = None, detailed: bool = False) -> set[str]:
        """Which of `shas` are stored for `repo` (with `branch`: recorded on that branch; `detailed`: with files)."""
        if not shas:
            return set()
        source = members if branch is not None else table
        query = select(source.c.sha).where(source.c.repo == repo.full_name, source.c.sha.in_(shas))
        if branch is not None:
            query = query.where(members.c.branch == branch)
        if detailed:
            query = query.where(table.c.detailed.is_(True)) if branch is None else query.join(
                table, and_(table.c.repo == members.c.repo, table.c.sha == members.c.sha)).where(
                table.c.detailed.is_(True))
        with self._engine.connect() as conn:
            return {row.sha for row in conn.execute(query)}

    def between(self, repo: RepoRef, start: datetime, end: datetime, branch: str | None = None) -> list[Commit]:
        """Commits of `repo` committed in [start, end), oldest first; with `branch`, only those seen on it,
        each with the merge that brought it in there (`merged_by`)."""
        if branch is None:
            query = (select(table.c.data)
                     .where(table.c.repo == repo.full_name, table.c.committed_at >= _utc(start),
                            table.c.committed_at < _utc(end))
                     .order_by(table.c.committed_at, table.c.sha))
            with self._engine.connect() as conn:
                return [Commit.model_validate(row.data) for row in conn.execute(query)]
        query = (select(table.c.data, members.c.merged_by)
                 .join(members, and_(members.c.repo == table.c.repo, members.c.sha == table.c.sha))
                 .where(table.c.repo == repo.full_name, table.c.committed_at >= _utc(start),
                        table.c.committed_at < _utc(end), members.c.branch == branch)
                 .order_by(table.c.committed_at, table.c.sha))
        with self._engine.connect() as conn:
            return [_on_branch(row) for row in conn.execute(query)]

    def unprocessed(self, limit: int = 1000,
                    pairs: list[tuple[RepoRef, str]] | None = None) -> list[tuple[Commit, str]]:
        """(commit, branch) pairs delivery is not done with (on `pairs` only, when given), in the order seen."""
        condition: ColumnElement[bool] = members.c.processed.is_(False)
        if pairs is not None:
            condition = and_(condition, or_(*[and_(members.c.repo == repo.full_name, members.c.branch == branch)
                                              for repo, branch in pairs] or [false()]))
        query = (select(table.c.data, members.c.branch, members.c.merged_by)
                 .join(members, and_(members.c.repo == table.c.repo, members.c.sha == table.c.sha))
                 .where(condition)
                 .order_by(members.c.seen_at, table.c.committed_at, members.c.branch).limit(limit))
        with self._engine.connect() as conn:
            return [(_on_branch(row), row.branch) for row in conn.execute(query)]

    def pending_branches(self) -> list[tuple[RepoRef, str]]:
        """Every (repo, branch) with commits delivery is not done with."""
        query = select(members.c.repo, members.c.branch).where(members.c.processed.is_(False)).distinct()
        with self._engine.connect() as conn:
            return [(RepoRef.parse(row.repo), row.branch) for row in conn.execute(query)]

    def mark_processed(self, repo: RepoRef, sha: str, branch: str | None = None, reason: str | None = None) -> None:
        """Delivery is done with this commit on `branch` (every branch when None); `reason` when cards are missing."""
        condition = and_(members.c.repo == repo.full_name, members.c.sha == sha.lower())
        if branch is not None:
            condition = and_(condition, members.c.branch == branch)
        values = {"processed": True, **({"finished_reason": reason} if reason else {})}
        with self._engine.begin() as conn:
            conn.execute(update(members).where(condition).values(**values))

    def finished_reason(self, repo: RepoRef, sha: str, branch: str) -> str | None:
        """Why a processed commit went without some of its cards (None when nothing was given up)."""
        condition = and_(members.c.repo == repo.full_name, members.c.sha == sha.lower(), members.c.branch == branch)
        with self._engine.connect() as conn:
            return conn.execute(select(members.c.finished_reason).where(condition)).scalar()

    def rename_repo(self, old: RepoRef, new: RepoRef) -> int:
        """Move a renamed repository's commits and memberships to its new name; returns commits moved."""
        moved = 0
        with self._engine.begin() as conn:
            taken = {row.sha for row in conn.execute(select(table.c.sha).where(table.c.repo == new.full_name))}
            for row in conn.execute(select(table.c.sha, table.c.data).where(table.c.repo == old.full_name)).all():
                if row.sha not in taken:
                    data = {**row.data, "repo": {"owner": new.owner, "name": new.name}}
                    conn.execute(update(table).where(self._key(old, row.sha)).values(repo=new.full_name, data=data))
                    moved += 1
            conn.execute(delete(table).where(table.c.repo == old.full_name))
            for row in conn.execute(select(members).where(members.c.repo == old.full_name)).all():
                insert_ignore(conn, members, {**row._asdict(), "repo": new.full_name})
            conn.execute(delete(members).where(members.c.repo == old.full_name))
        return moved

    @staticmethod
    def _values(commit: Commit, now: datetime) -> dict:
        return {
            "repo": commit.repo.full_name,
            "sha": commit.sha.lower(),
            "committed_at": _utc(commit.committed_at),
            "author": commit.author_login or commit.author_name,
            "title": commit.title,
            # merged_by belongs to a branch membership, not to the commit.
            "data": commit.model_dump(mode="json", exclude={"merged_by"}),
            "seen_at": now,
            "detailed": commit.detailed,
        }

    @staticmethod
    def _key(repo: RepoRef, sha: str):
        return and_(table.c.repo == repo.full_name, table.c.sha == sha.lower())


def _on_branch(row) -> Commit:
    """A stored commit as seen on one branch: with the merge that brought it in there."""
    commit = Commit.model_validate(row.data)
    return commit.model_copy(update={"merged_by": row.merged_by}) if row.merged_by else commit


def _utc(moment: datetime) -> datetime:
    # SQLite stores naive text; normalising to UTC keeps range queries right on both databases.
    return moment.astimezone(UTC)
