"""What the command layer takes in and gives back, shared by every chat platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.domain import Card, RepoRef, Subscription
from bot.service.lookup import CommitLookup
from bot.service.patterns import Patterns

if TYPE_CHECKING:
    from bot.analysis.port import Analyses
    from bot.github.port import CommitSource
    from bot.service.questions import QuestionService
    from bot.store import Store


class CommandContext(BaseModel):
    """Where a command came from: platform, channel and who typed it."""

    model_config = ConfigDict(frozen=True)

    platform: Literal["slack", "feishu", "feishu_webhook", "console"]
    channel: str
    user_id: str
    user_name: str | None = None
    is_direct: bool = False


class Reply(BaseModel):
    """A command's answer: plain untrusted `text` (each platform escapes it) and/or cards.

    `public` replies are shown to the whole channel; the others only to the person who asked
    (ephemeral on Slack) where the platform can.
    """

    model_config = ConfigDict(frozen=True)

    text: str | None = None
    cards: list[Card] = Field(default_factory=list)
    public: bool = False


@dataclass(frozen=True)
class Defaults:
    """Options a new subscription gets when `/subscribe` does not name them."""

    digest_time: time = time(9, 0)
    timezone: str = "UTC"
    language: Literal["zh", "en"] = "zh"
    # Hosts (`host` or `host:port`) besides Feishu's and Lark's that `/subscribe --feishu-webhook` may name.
    webhook_hosts: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Defaults:
        """DIGEST_TIME, TIMEZONE and LANGUAGE; FEISHU_DOMAIN's host when it is https (Lark or self-hosted)."""
        return cls(digest_time=settings.digest_clock, timezone=settings.timezone, language=settings.language,
                   webhook_hosts=_https_host(settings.feishu_domain))


def _https_host(url: str) -> tuple[str, ...]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ()
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc or "\\" in url:
        return ()
    return (parts.hostname.lower() + (f":{port}" if port else ""),)


def _nothing() -> None:
    return None


@dataclass
class CommandServices:
    """Everything commands call; built once by the composition root (fakes in tests)."""

    store: Store
    source: CommitSource
    analyser: Analyses
    digests: Any  # bot.service.digest.DigestService: deliver(sub, day, force=True) -> DigestOutcome
    defaults: Defaults = field(default_factory=Defaults)
    clock: Clock = system_clock
    on_subscriptions_changed: Callable[[], None] = _nothing
    lookup: CommitLookup | None = None  # None: one over `store`, `source` and `analyser`, built on first use
    questions: QuestionService | None = None  # None: questions about commits are not answered (no LLM, tests)
    patterns: Patterns | None = None  # None: one over `store` and `source` (default limit), built on first use

    def commit_lookup(self) -> CommitLookup:
        """The lookup `/commit` and link unfurls find commits with."""
        if self.lookup is None:
            self.lookup = CommitLookup(self.store, self.source, self.analyser)
        return self.lookup

    def pattern_subscriptions(self) -> Patterns:
        """What `/subscribe acme/*` and branch patterns subscribe with."""
        if self.patterns is None:
            self.patterns = Patterns(self.store, self.source, self.clock)
        return self.patterns

    def subscriptions_of(self, ctx: CommandContext, repo: RepoRef | None = None,
                         branch: str | None = None) -> list[Subscription]:
        """The channel's subscriptions, optionally to one repo (matched case-insensitively, as GitHub does)."""
        subs = self.store.subscriptions.list(platform=ctx.platform, channel=ctx.channel)
        if repo is not None:
            subs = [sub for sub in subs if sub.repo.full_name.lower() == repo.full_name.lower()]
        if branch is not None:
            subs = [sub for sub in subs if sub.branch == branch]
        return subs
