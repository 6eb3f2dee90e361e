"""Material for `commit-radar digest` and `analyze`: commits fetched or read from the store, analysed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.domain import Commit, Digest, DigestEntry, RepoRef
from bot.github.port import CommitSource
from bot.analysis.port import Analyses
from bot.service.digest import day_window
from bot.store import Store

Progress = Callable[[int], None]


def fetch_or_load(source: CommitSource, store: Store, repo: RepoRef, sha: str) -> Commit:
    """A commit from the store, or fetched from GitHub and stored (as processed: never posted as new)."""
    commit = store.commits.get(repo, sha)
    if commit is None:
        commit = source.fetch_commit(repo, sha)
        store.commits.save(commit, branch=None, processed=True)
    return commit


def resolve(source: CommitSource, store: Store, repo: RepoRef, prefix: str) -> str:
    """A full SHA for a prefix: a unique stored match first, else GitHub."""
    stored = store.commits.find_prefix([repo], prefix, limit=2)
    if len(stored) == 1:
        return stored[0].sha
    return source.resolve_sha(repo, prefix)


def day_digest(source: CommitSource, store: Store, analyser: Analyses, repo: RepoRef, branch: str | None,
               day: date, timezone: str, language: str, on_total: Progress | None = None,
               on_step: Progress | None = None) -> Digest:
    """Every commit of one local day on `branch` (default branch when None), each analysed, newest first."""
    start, end = day_window(day, timezone)
    shas = source.list_commits_between(repo, branch, start, end)
    if on_total:
        on_total(len(shas))
    entries = []
    for sha in shas:
        commit = fetch_or_load(source, store, repo, sha)
        entries.append(DigestEntry(commit=commit, analysis=analyser.analyse(commit, language)))
        if on_step:
            on_step(1)
    entries.sort(key=lambda entry: entry.commit.committed_at, reverse=True)
    return Digest(repo=repo, branch=branch or "", day=day, timezone=timezone, language=language,
                  entries=tuple(entries))
