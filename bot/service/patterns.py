"""Pattern subscriptions: a whole owner (`/subscribe acme/*`) or a branch glob (`/subscribe o/r 'release/*'`).

A pattern is a template subscription (never polled) plus the concrete subscriptions it expands into,
one per repository's default branch or per matching branch, each with the template's options; the
watcher, cursors, filters and delivery keys treat those like any other. Each list behind a pattern
(an owner's repositories, a repository's branches) is read again once per poll interval by an
`expand` job, page by page on its stored ETags, so an unchanged list costs 304s only. A repository
or branch that appears starts at its head (as `subscribe` starts a branch); one that is gone, and
its concrete subscription, are dropped quietly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from bot.clock import Clock, system_clock
from bot.domain import PlatformName, RepoRef, Subscription
from bot.service.subscribe import NewSubscriptionDefaults, SubscriptionOptions, with_options
from bot.store.listings import Listing

if TYPE_CHECKING:
    from bot.github.errors import GitHubError
    from bot.github.port import CommitSource
    from bot.store import Store

log = logging.getLogger(__name__)
GLOB_CHARS = frozenset("*?[")
# An owner template's branch: each repository's default branch.
DEFAULT_BRANCHES = "*"


def is_branch_glob(text: str) -> bool:
    """True for a branch argument that is a pattern (`release/*`) rather than a branch name."""
    return any(char in GLOB_CHARS for char in text)


def owner_pattern(owner: str) -> RepoRef:
    """The template's repository for every repository of `owner`: `owner/*` (owner names are case-insensitive)."""
    return RepoRef(owner=owner.lower(), name="*")


@dataclass(frozen=True)
class PatternRequest:
    """Who wants every repository of an owner (`repo` = `owner/*`) or every branch of `repo` matching `glob`."""

    platform: PlatformName
    channel: str
    repo: RepoRef
    glob: str | None = None
    options: SubscriptionOptions = SubscriptionOptions()
    include_forks: bool | None = None  # None keeps the current choice (no forks for a new one)

    @property
    def kind(self) -> str:
        """'owner' or 'branches'."""
        return "owner" if self.repo.name == "*" else "branches"


@dataclass(frozen=True)
class PatternSubscribed:
    """What a pattern subscribe did: the template and what it follows now."""

    template: Subscription
    created: bool
    following: list[tuple[RepoRef, str]]
    forks: int = 0  # repositories skipped as forks (without --include-forks)
    archived: int = 0  # repositories skipped as archived


class PatternRefused(Exception):
    """Nothing saved: GitHub does not confirm the owner or repository (`error`), or the pattern is too big."""

    def __init__(self, what: str, error: GitHubError | None = None, count: int = 0, limit: int = 0,
                 truncated: bool = False) -> None:
        super().__init__(f"{what}: {error}" if error else f"{what}: {count} to follow, more than {limit}")
        self.what = what
        self.error = error
        self.count = count
        self.limit = limit
        self.truncated = truncated  # the list is longer than the bot reads


@dataclass(frozen=True)
class Matched:
    """What one template follows in one listing, and what it left out."""

    wanted: list[tuple[RepoRef, str]]
    forks: int = 0
    archived: int = 0


def match(template: Subscription, listing: Listing) -> Matched:
    """The (repo, branch) pairs a template follows in `listing`: non-archived repositories (forks only with
    `include_forks`) at their default branch, or the branches its glob matches (`*` spans `/` too)."""
    if template.template == "branches":
        return Matched([(template.repo, entry["name"]) for entry in listing.entries
                        if fnmatchcase(entry["name"], template.branch)])
    wanted, forks, archived = [], 0, 0
    for entry in listing.entries:
        if entry["archived"]:
            archived += 1
        elif entry["fork"] and not template.include_forks:
            forks += 1
        else:
            wanted.append((RepoRef.parse(entry["repo"]), entry["default_branch"]))
    return Matched(wanted, forks, archived)


class Patterns:
    """Subscribes patterns and keeps their concrete subscriptions in step with GitHub's lists."""

    def __init__(self, store: Store, source: CommitSource, clock: Clock = system_clock, limit: int = 200) -> None:
        self._store = store
        self._source = source
        self._clock = clock
        self.limit = limit

    def subscribe(self, request: PatternRequest, defaults: NewSubscriptionDefaults) -> PatternSubscribed:
        """Read the list on GitHub, then save the template and expand it; PatternRefused saves nothing."""
        from bot.github.errors import GitHubError

        repo, what = request.repo, (str(request.repo) if request.kind == "owner" else f"{request.repo}@{request.glob}")
        try:
            if request.kind == "branches":
                repo = self._source.fetch_repo_info(repo).repo  # the current name, and a 404 for an unknown one
            listing = self._read(request.kind, str(repo))
        except GitHubError as exc:
            raise PatternRefused(what, exc) from None
        branch = request.glob or DEFAULT_BRANCHES
        existing = self._store.subscriptions.templates(kind=request.kind, target=str(repo),
                                                       platform=request.platform, channel=request.channel)
        existing = [sub for sub in existing if sub.branch == branch]
        base = existing[0] if existing else Subscription(
            platform=request.platform, channel=request.channel, repo=repo, branch=branch,
            digest_time=defaults.digest_time, timezone=defaults.timezone, language=defaults.language)
        forks = base.include_forks if request.include_forks is None else request.include_forks
        wanted = with_options(base, request.options, template=request.kind, include_forks=forks, pattern_id=None)
        matched = match(wanted, listing)
        if len(matched.wanted) > self.limit or listing.truncated:
            raise PatternRefused(what, count=len(matched.wanted), limit=self.limit, truncated=listing.truncated)
        saved, created = self._store.subscriptions.save(wanted)
        self._store.subscriptions.expand(saved, matched.wanted, self._clock())
        return PatternSubscribed(template=saved, created=created, following=matched.wanted, forks=matched.forks,
                                 archived=matched.archived)

    def expand(self, kind: str, target: str) -> tuple[int, int]:
        """Read one list again (conditionally) and bring every template on it up to date; (added, removed)."""
        from bot.github.errors import GitHubError, NotFound

        try:
            listing = self._read(kind, target)
        except NotFound:
            # The owner or repository is gone: what it brought in goes quietly.
            listing = Listing(kind=kind, target=target)
            self._store.listings.save(listing, self._clock())
        except GitHubError as exc:
            self._store.listings.record_failure(kind, target, exc.kind, exc.message)
            log.warning("pattern list not read", extra={"pattern": target, "kind": kind, "error": exc.kind})
            return 0, 0
        added = removed = 0
        for template in self._store.subscriptions.templates(kind=kind, target=target):
            if template.paused:
                continue
            plus, minus = self._store.subscriptions.expand(template, self._capped(template, listing), self._clock())
            added, removed = added + plus, removed + minus
        if added or removed:
            log.info("pattern expanded", extra={"pattern": target, "kind": kind, "added": added, "removed": removed})
        return added, removed

    def claim_due(self, now: datetime, limit: int, next_due: Callable[[], datetime]) -> list[tuple[str, str]]:
        """The lists due for a check (at most `limit`), each next due at `next_due()`."""
        return self._store.listings.claim_due(now, limit, next_due)

    def _capped(self, template: Subscription, listing: Listing) -> list[tuple[RepoRef, str]]:
        """What the template follows, at most `limit`: those it follows already first (a list that grew past
        the limit since the subscribe adds no more, and drops none that are still there)."""
        wanted = match(template, listing).wanted
        if len(wanted) <= self.limit:
            return wanted
        have = {(sub.repo.full_name, sub.branch) for sub in self._store.subscriptions.list(
            platform=template.platform, channel=template.channel) if sub.pattern_id == template.id}
        kept = sorted(wanted, key=lambda pair: (pair[0].full_name, pair[1]) not in have)[: self.limit]
        log.warning("pattern lists more than MAX_REPOS_PER_PATTERN; the rest are not followed",
                    extra={"pattern": template.pattern, "listed": len(wanted), "limit": self.limit})
        return kept

    def _read(self, kind: str, target: str) -> Listing:
        """The list as GitHub has it now (the stored one when every page answered 304), saved."""
        stored = self._store.listings.get(kind, target)
        etags = stored.etags if stored else None
        if kind == "owner":
            repos = self._source.fetch_owner_repos(target.split("/")[0], etags,
                                                   stored.owner_kind if stored else None)
            entries = [{"repo": item.repo.full_name, "default_branch": item.default_branch, "fork": item.fork,
                        "archived": item.archived} for item in repos.repos]
            not_modified, new_etags, truncated, owner_kind = (repos.not_modified, repos.etags, repos.truncated,
                                                              repos.owner_kind)
        else:
            branches = self._source.fetch_branches(RepoRef.parse(target), etags)
            entries = [{"name": name} for name in branches.branches]
            not_modified, new_etags, truncated, owner_kind = (branches.not_modified, branches.etags,
                                                              branches.truncated, None)
        if not_modified and stored is not None:
            self._store.listings.save(stored, self._clock())
            return stored
        listing = Listing(kind=kind, target=target, owner_kind=owner_kind, etags=new_etags, entries=entries,
                          truncated=truncated)
        self._store.listings.save(listing, self._clock())
        return listing
