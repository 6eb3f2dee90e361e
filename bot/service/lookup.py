"""The `/commit` lookup: find a commit by SHA prefix (store first, then GitHub), analyse it, build its card."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.analysis.port import Analyses
from bot.domain import Card, Commit, RepoRef
from bot.github.errors import GitHubError, NotFound
from bot.github.port import CommitSource
from bot.render.card import build_card
from bot.service.commits import Commits
from bot.store import Store

log = logging.getLogger(__name__)

FULL_SHA = 40
# A channel may follow many repositories; resolving a prefix costs one GitHub request per repository.
MAX_API_REPOS = 20
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Candidate:
    """One commit a prefix may mean."""

    repo: RepoRef
    sha: str
    title: str = ""


@dataclass(frozen=True)
class LookupResult:
    """What a prefix turned out to be."""

    status: Literal["found", "ambiguous", "unknown", "failed"]
    commit: Commit | None = None
    candidates: tuple[Candidate, ...] = ()
    searched: tuple[RepoRef, ...] = ()
    skipped: tuple[RepoRef, ...] = ()
    failures: tuple[str, ...] = field(default=())


class CommitLookup:
    """Finds commits for `/commit` and link unfurls, and turns them into cards."""

    def __init__(self, store: Store, source: CommitSource, analyser: Analyses,
                 max_api_repos: int = MAX_API_REPOS) -> None:
        self._store = store
        self._source = source
        self._commits = Commits(store, source)
        self._analyser = analyser
        self._max_api_repos = max_api_repos

    def find(self, prefix: str, repos: Sequence[RepoRef]) -> LookupResult:
        """The commit `prefix` names in one of `repos`: stored commits first, then the GitHub API."""
        prefix = prefix.lower()
        repos = tuple(dict.fromkeys(repos))
        stored = self._store.commits.find_prefix(list(repos), prefix, limit=MAX_CANDIDATES + 1)
        if len(stored) == 1:
            return LookupResult("found", commit=stored[0], searched=repos)
        if len(stored) > 1:
            return LookupResult("ambiguous", searched=repos, candidates=tuple(
                Candidate(commit.repo, commit.sha, commit.title) for commit in stored))
        return self._find_on_github(prefix, repos)

    def _find_on_github(self, prefix: str, repos: tuple[RepoRef, ...]) -> LookupResult:
        asked, skipped = repos[: self._max_api_repos], repos[self._max_api_repos:]
        found, failures = self._ask(prefix, asked)
        done = LookupResult("unknown", searched=asked, skipped=skipped, failures=tuple(failures))
        if len(found) > 1:
            return replace(done, status="ambiguous", candidates=tuple(
                Candidate(item.repo, item.sha, item.title) if isinstance(item, Commit) else Candidate(*item)
                for item in found))
        if not found:
            return replace(done, status="failed") if failures else done
        if isinstance(found[0], Commit):
            return replace(done, status="found", commit=found[0])
        repo, full = found[0]
        try:
            return replace(done, status="found", commit=self._fetch(repo, full))
        except NotFound:
            return done
        except GitHubError as exc:
            log.warning("commit fetch failed", extra={"repo": str(repo), "sha": full, "error": exc.kind})
            return replace(done, status="failed", failures=(*failures, f"{repo}: {exc.message}"))

    def _ask(self, prefix: str, repos: tuple[RepoRef, ...]) -> tuple[list[Commit | tuple[RepoRef, str]], list[str]]:
        """What GitHub says `prefix` is in each repo (a commit, or a full SHA to fetch), and what failed."""
        found: list[Commit | tuple[RepoRef, str]] = []
        failures: list[str] = []
        for repo in repos:
            try:
                # A full SHA needs no resolving: fetching it is the one request that says whether it exists.
                found.append(self._fetch(repo, prefix) if len(prefix) == FULL_SHA
                             else (repo, self._source.resolve_sha(repo, prefix).lower()))
            except NotFound:
                continue
            except GitHubError as exc:
                log.warning("sha lookup failed", extra={"repo": str(repo), "sha": prefix, "error": exc.kind})
                failures.append(f"{repo}: {exc.message}")
        return found, failures

    def card(self, commit: Commit, language: str, timezone: str) -> Card:
        """Analyse (cached analyses cost no LLM call) and build the commit's card."""
        analysis = self._analyser.analyse(commit, language)
        return build_card(commit, analysis, timezone, language)

    def _fetch(self, repo: RepoRef, sha: str) -> Commit:
        commit, fetched = self._commits.get(repo, sha)
        if fetched:
            log.info("commit fetched for lookup", extra={"repo": str(commit.repo), "sha": commit.sha})
        return commit
