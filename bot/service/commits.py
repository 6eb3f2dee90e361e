"""Commits by SHA for `/commit`, `analyze` and reports: the stored copy, else fetched from GitHub and stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from bot.domain import Commit, RepoRef
from bot.github.port import CommitSource
from bot.store import Store

Progress = Callable[[int], None]


class Commits:
    """The one path by which a commit is fetched from GitHub and stored."""

    def __init__(self, store: Store, source: CommitSource) -> None:
        self._store = store
        self._source = source

    def get(self, repo: RepoRef, sha: str) -> tuple[Commit, bool]:
        """The commit of a full SHA, and whether GitHub had to be asked for it (it is stored from then on)."""
        stored = self._store.commits.get(repo, sha)
        if stored is not None:
            return stored, False
        commit = self._source.fetch_commit(repo, sha)
        # processed=True: a commit fetched on request is not news for the watcher to deliver later.
        self._store.commits.save(commit, branch=None, processed=True)
        return commit, True

    def resolve(self, repo: RepoRef, prefix: str) -> str:
        """A full SHA for a prefix: a unique stored match first, else GitHub."""
        stored = self._store.commits.find_prefix([repo], prefix, limit=2)
        if len(stored) == 1:
            return stored[0].sha
        return self._source.resolve_sha(repo, prefix)

    def listed(self, repo: RepoRef, branch: str | None,
               on_listed: Progress | None = None) -> Callable[[datetime, datetime], Iterator[Commit]]:
        """The commits GitHub lists on `branch` (None: default) in a window, each got as it is reached.

        `on_listed` hears how many there are once GitHub has listed them.
        """
        def between(start: datetime, end: datetime) -> Iterator[Commit]:
            shas = self._source.list_commits_between(repo, branch, start, end)
            if on_listed is not None:
                on_listed(len(shas))
            return (self.get(repo, sha)[0] for sha in shas)

        return between
