"""The subscribe use case, shared by chat `/subscribe` and `commit-radar subscriptions add`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import time
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.clock import Clock, system_clock
from bot.domain import Importance, Language, PlatformName, RepoRef, Subscription

if TYPE_CHECKING:
    from bot.github.errors import GitHubError
    from bot.github.port import CommitSource
    from bot.store.subscriptions import SubscriptionStore


@dataclass(frozen=True)
class NewSubscriptionDefaults:
    """Options a new subscription gets when the request leaves them out."""

    digest_time: time
    timezone: str
    language: Language


@dataclass(frozen=True)
class SubscriptionOptions:
    """A subscription's options as asked for; each None keeps the current value (or the default when new)."""

    threshold: Importance | None = None
    digest_time: time | None = None
    timezone: str | None = None
    language: str | None = None
    paths: list[str] | None = None
    ignore_authors: list[str] | None = None
    include_merges: bool | None = None
    all_commits: bool | None = None
    empty_digest: str | None = None
    webhook_secret: str | None = None
    digest_every: str | None = None
    digest_on: str | None = None


@dataclass(frozen=True)
class SubscribeRequest:
    """Who wants which repository and branch, with which options."""

    platform: PlatformName
    channel: str
    repo: RepoRef
    branch: str | None = None  # None: the repository's default branch
    options: SubscriptionOptions = SubscriptionOptions()


@dataclass(frozen=True)
class Subscribed:
    """What a successful subscribe did."""

    subscription: Subscription
    created: bool
    renamed: bool  # GitHub spells or names the repository differently from the request
    resumed_from: str | None  # the pause reason when a paused subscription was resumed
    was_paused: bool
    private: bool


class SubscribeRefused(Exception):
    """GitHub does not confirm the repository (or branch); nothing was saved."""

    def __init__(self, what: str, error: GitHubError) -> None:
        super().__init__(f"{what}: {error}")
        self.what = what
        self.error = error


class InvalidOptions(ValueError):
    """The combined options do not make a valid subscription (one readable line)."""


def subscriptions_of(store: SubscriptionStore, platform: str, channel: str, repo: RepoRef | None = None,
                     branch: str | None = None) -> list[Subscription]:
    """A channel's subscriptions, optionally to one repo (matched case-insensitively, as GitHub does)."""
    subs = store.list(platform=platform, channel=channel)
    if repo is not None:
        subs = [sub for sub in subs if sub.repo.full_name.lower() == repo.full_name.lower()]
    if branch is not None:
        subs = [sub for sub in subs if sub.branch == branch]
    return subs


def with_options(base: Subscription, options: SubscriptionOptions, **fields: object) -> Subscription:
    """`base` with the options asked for (None keeps the value) and `fields`, resumed; InvalidOptions if invalid."""
    changes = {key: value for key, value in asdict(options).items() if value is not None}
    try:
        return Subscription.model_validate({**base.model_dump(), **changes, **fields,
                                            "paused": False, "paused_reason": None})
    except ValidationError as exc:
        raise InvalidOptions(" ".join(exc.errors()[0]["msg"].removeprefix("Value error, ").split())) from None


def subscribe(request: SubscribeRequest, source: CommitSource, store: SubscriptionStore,
              defaults: NewSubscriptionDefaults, clock: Clock = system_clock) -> Subscribed:
    """Confirm the repository and branch on GitHub, then create the subscription or update its given options."""
    from bot.github.errors import GitHubError

    what = f"{request.repo}" + (f" (branch {request.branch})" if request.branch else "")
    try:
        info = source.fetch_repo_info(request.repo, request.branch)
    except GitHubError as exc:
        raise SubscribeRefused(what, exc) from None
    existing = subscriptions_of(store, request.platform, request.channel, info.repo, info.branch)
    base = existing[0] if existing else Subscription(
        platform=request.platform, channel=request.channel, repo=info.repo, branch=info.branch,
        digest_time=defaults.digest_time, timezone=defaults.timezone, language=defaults.language)
    # Subscribed to on its own, a branch a pattern brought in becomes the channel's own (the pattern leaves it be).
    wanted = with_options(base, request.options, pattern_id=None)
    # A branch that becomes watched starts at its head: nothing pushed while nobody watched is
    # replayed, and the worker is asked to record the head within seconds.
    restart = None if store.is_watched(info.repo, info.branch) else clock()
    saved, created = store.save(wanted, restart_cursor_at=restart)
    was_paused = bool(existing and existing[0].paused)
    return Subscribed(subscription=saved, created=created, renamed=info.repo != request.repo,
                      resumed_from=existing[0].paused_reason if was_paused else None, was_paused=was_paused,
                      private=info.private)
