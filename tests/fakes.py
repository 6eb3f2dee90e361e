"""In-memory fakes for service tests: they record what they were asked."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.chat.port import ChannelUnavailable, TransientDeliveryError
from bot.domain import Analysis, Card, ChangeType, Commit, Digest, Importance, Insights


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 8, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    kind: str
    channel: str
    payload: object
    thread_id: str | None
    key: str | None
    message_id: str


@dataclass
class FakeNotifier:
    """Records every post; can be told to fail the next posts."""

    platform: str = "slack"
    sent: list[Sent] = field(default_factory=list)
    fail_with: list[Exception] = field(default_factory=list)
    crash_after_post: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, kind, channel, payload, thread_id, key) -> str:
        with self._lock:
            if self.fail_with:
                raise self.fail_with.pop(0)
            message_id = f"m{len(self.sent) + 1}"
            self.sent.append(Sent(kind, channel, payload, thread_id, key, message_id))
        if self.crash_after_post:
            raise SystemExit("simulated crash between post and record")
        return message_id

    def post_card(self, channel: str, card: Card, thread_id=None, key=None) -> str:
        return self._post("card", channel, card, thread_id, key)

    def post_digest(self, channel: str, digest: Digest, key=None) -> str:
        return self._post("digest", channel, digest, None, key)

    def post_text(self, channel: str, text: str, thread_id=None, key=None) -> str:
        return self._post("text", channel, text, thread_id, key)

    def find_delivered(self, channel: str, key: str, since) -> str | None:
        for sent in self.sent:
            if sent.channel == channel and sent.key == key:
                return sent.message_id
        return None

    def of_kind(self, kind: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.kind == kind]


def not_in_channel() -> ChannelUnavailable:
    return ChannelUnavailable("not_in_channel")


def rate_limited() -> TransientDeliveryError:
    return TransientDeliveryError("ratelimited")


class FakeAnalyser:
    """Returns a fixed importance per SHA (default medium); counts calls."""

    def __init__(self, importance: dict[str, Importance] | None = None) -> None:
        self.importance = importance or {}
        self.calls: list[tuple[str, str]] = []

    def analyse(self, commit: Commit, language: str) -> Analysis:
        self.calls.append((commit.sha, language))
        return Analysis(
            change_type=ChangeType.FEATURE, importance=self.importance.get(commit.sha, Importance.MEDIUM),
            summary=f"summary of {commit.title}", impact=[],
            insights=Insights(architecture="", performance="", security="", maintainability=""),
            risks=[], recommendations=[], breaking_change=False, repo=commit.repo, sha=commit.sha,
            language=language, source="llm", model="fake", prompt_version="test",
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))

    def cached(self, *args, **kwargs):
        return None
