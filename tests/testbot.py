"""`testbot`: the real application (bootstrap.build) in-process, with fakes only at its edges.

GitHub is the HTTP fake of tests/fake_github.py behind the real GitHubSource; the LLM is an
in-process ChatModel that answers every prompt; time is a FakeClock; Slack, Feishu and the console
are recording platforms. Commands go in through the same CommandHandler every platform calls:

    def test_lookup(testbot):
        repo = testbot.repo("octo/widgets")
        sha = repo.commit("feat: add a thing")
        replies = testbot.send(f"/commit {sha[:7]} octo/widgets")
        testbot.send("/subscribe octo/widgets --min low")
        repo.commit("fix: crash on start")
        posted = testbot.tick()             # one poll cycle; what it posted
        testbot.llm.calls                   # prompts the LLM received
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pytest

from bot.analysis.llm import Completion, Mode, Usage
from bot.bootstrap import Application, build
from bot.chat.commands import CommandContext, Reply
from bot.chat.platform import Inbound
from bot.config import Settings
from bot.domain import AnalysisContent, Subscription
from bot.service.notifier import Notifier
from bot.wsgi import WSGIApp
from tests.fake_github import FakeClock as GitHubClock
from tests.fake_github import FakeGitHub, FakeRepo
from tests.fake_openai import VALID_CONTENT
from tests.fakes import FakeClock, FakeNotifier, Sent

# Importance the fake LLM gives a commit whose message carries the marker (else VALID_CONTENT's "high").
IMPORTANCE_MARKERS = {"[low]": "low", "[medium]": "medium", "[high]": "high"}


@dataclass
class FakeLLM:
    """A ChatModel that answers every prompt with a valid analysis; records each call."""

    model: str = "fake-llm"
    calls: list[list[dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def complete(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> Completion:
        """A valid analysis whose importance follows a `[low]`/`[medium]`/`[high]` marker in the prompt."""
        with self._lock:
            self.calls.append(messages)
        prompt = "\n".join(message["content"] for message in messages)
        content = dict(VALID_CONTENT)
        for marker, importance in IMPORTANCE_MARKERS.items():
            if marker in prompt:
                content["importance"] = importance
        return Completion(AnalysisContent.model_validate(content), Usage(prompt_tokens=len(prompt) // 4,
                                                                          completion_tokens=100))


class RecordingPlatform:
    """A Platform whose notifiers record what the application posted (FakeNotifier.sent)."""

    def __init__(self, name: str, platforms: tuple[str, ...]) -> None:
        self.name = name
        self.recorders = {platform: FakeNotifier(platform=platform) for platform in platforms}
        self.inbound: Inbound | None = None
        self.started = self.stopped = False

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        """One recorder per `Subscription.platform` this platform delivers for."""
        return self.recorders

    def routes(self) -> Mapping[str, WSGIApp]:
        """None: commands come in through `TestBot.send`."""
        return {}

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True


@dataclass
class TestBot:
    """Drives the real application: `send` a command, `tick` a poll cycle, read what was posted."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    app: Application
    github: FakeGitHub
    clock: FakeClock
    llm: FakeLLM
    platforms: dict[str, RecordingPlatform]
    _seen: int = 0

    @property
    def posted(self) -> list[Sent]:
        """Every message posted so far, on every platform, in order of posting."""
        sent = [item for platform in self.platforms.values() for recorder in platform.recorders.values()
                for item in recorder.sent]
        return sent

    def notifier(self, platform: str = "slack") -> FakeNotifier:
        """The recorder for `Subscription.platform` == `platform`."""
        for recording in self.platforms.values():
            if platform in recording.recorders:
                return recording.recorders[platform]
        raise KeyError(platform)

    def repo(self, full_name: str, default_branch: str = "main", **options: Any) -> FakeRepo:
        """A repository on the fake GitHub."""
        return self.github.add_repo(full_name, default_branch=default_branch, **options)

    def send(self, text: str, channel: str = "C1", user: str = "U1", platform: str = "slack",
             is_direct: bool = False) -> Reply:
        """Type `text` in `channel` as `user`; the reply the platform would show."""
        context = CommandContext(platform=platform, channel=channel, user_id=user, is_direct=is_direct)
        return self.app.handler.handle(text, context)

    def tick(self, advance_seconds: float = 0) -> list[Sent]:
        """Move the clock, run one poll-analyse-deliver cycle; what it posted."""
        if advance_seconds:
            self.clock.advance(seconds=advance_seconds)
        self.app.watcher.run_cycle()
        return self._new_posts()

    def digest(self, subscription: Subscription, day: date) -> list[Sent]:
        """Post `subscription`'s digest for `day` as the scheduler would; what it posted."""
        self.app.digests.deliver(subscription, day)
        return self._new_posts()

    def subscriptions(self, platform: str | None = None, channel: str | None = None) -> list[Subscription]:
        """Stored subscriptions."""
        return self.app.store.subscriptions.list(platform=platform, channel=channel)

    def _new_posts(self) -> list[Sent]:
        posted = self.posted
        new, self._seen = posted[self._seen:], len(posted)
        return new


def make_testbot(github: FakeGitHub, database_url: str, **settings: Any) -> TestBot:
    """Build the real application on `github` with a fake LLM, a FakeClock and recording platforms."""
    clock = FakeClock(datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc))
    github_clock = GitHubClock(clock().timestamp())
    github.now = github_clock.now
    llm = FakeLLM()
    platforms = {"slack": RecordingPlatform("slack", ("slack",)),
                 "feishu": RecordingPlatform("feishu", ("feishu", "feishu_webhook")),
                 "console": RecordingPlatform("console", ("console",))}

    def factory(recording: RecordingPlatform):  # noqa: ANN202 - a Platform factory for bootstrap
        def make(inbound: Inbound) -> RecordingPlatform:
            recording.inbound = inbound
            return recording
        return make

    config = Settings(_env_file=None, database_url=database_url, github_api_url=github.api_url,
                      github_token="ghp_testbot", language="en", **settings)
    source = _source(config, github_clock)
    app = build(config, clock=clock, source=source, llm=llm,
                platforms=[factory(recording) for recording in platforms.values()])
    return TestBot(app=app, github=github, clock=clock, llm=llm, platforms=platforms)


def _source(settings: Settings, github_clock: GitHubClock):  # noqa: ANN202 - a GitHubSource
    from bot.github.client import GitHubClient
    from bot.github.retry import GitHubRetry
    from bot.github.source import GitHubSource

    # Waits for rate-limit resets only move the fake clock.
    policy = GitHubRetry(sleep=github_clock.sleep, now=github_clock.now, jitter=lambda: 1.0)
    token = settings.github_token.get_secret_value() if settings.github_token else None
    return GitHubSource(GitHubClient(settings.github_api_url, token, 5, policy))


@pytest.fixture
def testbot(fake_github: FakeGitHub, tmp_path) -> Iterator[TestBot]:  # noqa: F811 - the fake_github fixture
    """The real application in-process on an empty fake GitHub and a fresh SQLite file."""
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/testbot.db")
    yield bot
    bot.app.close()


def payload_text(sent: Sent) -> str:
    """A recorded post as text, for assertions that do not care about the card's structure."""
    payload = sent.payload
    if hasattr(payload, "model_dump_json"):
        return payload.model_dump_json()
    return payload if isinstance(payload, str) else json.dumps(payload, default=str)
