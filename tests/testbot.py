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

`slackbot` and `feishubot` build the real Slack or Feishu platform instead, against the fake Slack
(tests/fake_slack.py) or Feishu (tests/fake_feishu.py) over HTTP; requests go in through the
application's router as the HTTP server would pass them on, signed as those platforms sign them:

    def test_slash(slackbot):
        url = slackbot.slash("/subscribe", "octo/widgets")
        slackbot.answers(url)               # what the bot posted to the command's response_url
        slackbot.bot.push_event("octo/widgets")
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from werkzeug.test import Client

from bot.analysis.llm import Completion, Mode, TextCompletion, Usage
from bot.bootstrap import Application, build
from bot.chat.commands import CommandContext, Reply
from bot.chat.platform import Inbound
from bot.config import Settings
from bot.domain import AnalysisContent, Subscription
from bot.github.webhook import sign
from bot.service.notifier import Notifier
from bot.wsgi import WSGIApp
from tests.e2e_stack import BOT_TOKEN, SIGNING_SECRET, WEBHOOK_SECRET, wait_until
from tests.fake_feishu import FakeFeishu, message_event, signed_request
from tests.fake_github import FakeClock as GitHubClock
from tests.fake_github import FakeGitHub, FakeRepo
from tests.fake_openai import VALID_CONTENT
from tests.fake_slack import FakeSlack, command_body, signed_headers
from tests.fakes import FakeClock, FakeNotifier, Sent

# Importance the fake LLM gives a commit whose message carries the marker (else VALID_CONTENT's "high").
IMPORTANCE_MARKERS = {"[low]": "low", "[medium]": "medium", "[high]": "high"}


@dataclass
class FakeLLM:
    """A ChatModel that answers every prompt with a valid analysis; records each call."""

    model: str = "fake-llm"
    calls: list[list[dict[str, str]]] = field(default_factory=list)
    questions: list[list[dict[str, str]]] = field(default_factory=list)  # prompts of questions about commits
    next_answer: str | None = None  # the reply text the next question gets
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

    def answer(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> TextCompletion:
        """A question's answer: `next_answer` when set (then cleared), else one naming the diff's first file."""
        with self._lock:
            self.questions.append(messages)
            reply, self.next_answer = self.next_answer, None
        prompt = "\n".join(message["content"] for message in messages)
        if reply is None:
            first = re.search(r"^### (\S+)$", prompt, re.MULTILINE)
            files = [first.group(1)] if first else []
            reply = json.dumps({"answer": f"It changes {files[0] if files else 'nothing listed'}.", "files": files,
                                "answered": True})
        return TextCompletion(reply, Usage(prompt_tokens=len(prompt) // 4, completion_tokens=50))


@dataclass
class RecordingNotifier(FakeNotifier):
    """A FakeNotifier whose posts to a channel in `down` raise that channel's error (an outage, a refusal)."""

    down: dict[str, Exception] = field(default_factory=dict)

    def _post(self, kind, channel, payload, thread_id, key) -> str:
        if channel in self.down:
            raise self.down[channel]
        return super()._post(kind, channel, payload, thread_id, key)


class RecordingPlatform:
    """A Platform whose notifiers record what the application posted (FakeNotifier.sent)."""

    def __init__(self, name: str, platforms: tuple[str, ...]) -> None:
        self.name = name
        self.recorders = {platform: RecordingNotifier(platform=platform) for platform in platforms}
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
    platforms: dict[str, RecordingPlatform]  # empty when the real platforms are built
    rebuild: Callable[[], Application]
    _seen: int = 0

    @property
    def posted(self) -> list[Sent]:
        """Every message posted so far, on every platform, in order of posting."""
        sent = [item for platform in self.platforms.values() for recorder in platform.recorders.values()
                for item in recorder.sent]
        return sent

    def notifier(self, platform: str = "slack") -> RecordingNotifier:
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

    def post(self, path: str, body: bytes | str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """POST to the application's router in-process; the status and body it answered."""
        answer = Client(self.app.router).post(path, data=body, headers=dict(headers))
        return answer.status_code, answer.get_data()

    def get(self, path: str) -> str:
        """GET from the application's router in-process (/healthz, /metrics); the body."""
        return Client(self.app.router).get(path).get_data(as_text=True)

    def push_event(self, repo: str, branch: str = "main") -> int:
        """A signed GitHub push webhook for `repo`; the status /github/webhook answered."""
        body = json.dumps({"ref": f"refs/heads/{branch}", "repository": {"full_name": repo},
                           "commits": [{"id": "0" * 40, "message": "not trusted"}]})
        status, _ = self.post("/github/webhook", body, {
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body.encode())})
        return status

    def restart(self) -> None:
        """Close the application and build it again on the same database, as a restarted process would."""
        self.app.close()
        self.app = self.rebuild()

    def _new_posts(self) -> list[Sent]:
        posted = self.posted
        new, self._seen = posted[self._seen:], len(posted)
        return new


def make_testbot(github: FakeGitHub, database_url: str, *, real_platforms: bool = False,
                 **settings: Any) -> TestBot:
    """Build the real application on `github` with a fake LLM and a FakeClock.

    Recording platforms stand in for Slack, Feishu and the console unless `real_platforms`: then
    bootstrap builds every platform `settings` enable, as in production.
    """
    clock = FakeClock(datetime(2024, 5, 1, 9, 0, tzinfo=UTC))
    github_clock = GitHubClock(clock().timestamp())
    github.now = github_clock.now
    llm = FakeLLM()
    platforms = {} if real_platforms else {
        "slack": RecordingPlatform("slack", ("slack",)),
        "feishu": RecordingPlatform("feishu", ("feishu", "feishu_webhook")),
        "console": RecordingPlatform("console", ("console",))}
    settings.setdefault("language", "en")
    settings.setdefault("github_token", "ghp_testbot")
    config = Settings(_env_file=None, database_url=database_url, github_api_url=github.api_url,
                      github_webhook_secret=WEBHOOK_SECRET, **settings)

    def rebuild() -> Application:
        factories = [_recording(platform) for platform in platforms.values()] if platforms else None
        return build(config, clock=clock, source=_source(config, github_clock), llm=llm, platforms=factories,
                     console_out=io.StringIO())

    return TestBot(app=rebuild(), github=github, clock=clock, llm=llm, platforms=platforms, rebuild=rebuild)


def _recording(platform: RecordingPlatform) -> Callable[[Inbound], RecordingPlatform]:
    def make(inbound: Inbound) -> RecordingPlatform:
        platform.inbound = inbound
        return platform
    return make


def _source(settings: Settings, github_clock: GitHubClock):
    from bot.github.client import GitHubClient
    from bot.github.retry import GitHubRetry
    from bot.github.source import GitHubSource

    # Waits for rate-limit resets only move the fake clock.
    policy = GitHubRetry(sleep=github_clock.sleep, now=github_clock.now, jitter=lambda: 1.0)
    token = settings.github_token.get_secret_value() if settings.github_token else None
    return GitHubSource(GitHubClient(settings.github_api_url, token, 5, policy))


@pytest.fixture
def testbot(fake_github: FakeGitHub, tmp_path) -> Iterator[TestBot]:
    """The real application in-process on an empty fake GitHub and a fresh SQLite file."""
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/testbot.db")
    yield bot
    bot.app.close()


@dataclass
class SlackBot:
    """The testbot with the real Slack platform, which talks to the fake Slack over HTTP."""

    bot: TestBot
    slack: FakeSlack

    def slash(self, command: str, text: str, channel: str = "C0001") -> str:
        """A signed slash command through /slack/events; its response_url, where the answer will arrive."""
        response_url = self.slack.response_url()
        body = command_body(command, text, response_url, channel=channel)
        status, _ = self.bot.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
        assert status == 200, status
        return response_url

    def answers(self, response_url: str) -> list[dict]:
        """What the bot answered on `response_url`, once it has (commands are answered in the background)."""
        return wait_until(lambda: self.slack.responses(response_url), 10, "an answer on the response_url")


@pytest.fixture
def slackbot(fake_github: FakeGitHub, tmp_path) -> Iterator[SlackBot]:
    """The real application with Slack over HTTP (/slack/events) against a fake Slack."""
    slack = FakeSlack.serve(token=BOT_TOKEN)
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/slackbot.db", real_platforms=True,
                       slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.api_url)
    yield SlackBot(bot, slack)
    bot.app.close()
    slack.stop()


FEISHU_ENCRYPT_KEY = "testbot-encrypt-key"
FEISHU_VERIFICATION_TOKEN = "testbot-verification-token"


@dataclass
class FeishuBot:
    """The testbot with the real Feishu platform, which talks to the fake Feishu Open API over HTTP."""

    bot: TestBot
    feishu: FakeFeishu

    def say(self, text: str, **message: Any) -> int:
        """Someone types `text` (a message event, see fake_feishu.message_event); the status /feishu/events answered."""
        return self.send_event(message_event(FEISHU_VERIFICATION_TOKEN, text, app_id=self.feishu.app_id, **message))

    def send_event(self, event: dict) -> int:
        """`event` encrypted and signed as Feishu sends it, through /feishu/events; the status."""
        body, headers = signed_request(event, FEISHU_ENCRYPT_KEY)
        status, _ = self.bot.post("/feishu/events", body, headers)
        return status


@pytest.fixture
def feishubot(fake_github: FakeGitHub, httpserver, tmp_path) -> Iterator[FeishuBot]:
    """The real application with the Feishu app bot over HTTP (/feishu/events) against a fake Feishu; in Chinese."""
    feishu = FakeFeishu(httpserver)
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/feishubot.db", real_platforms=True, language="zh",
                       feishu_app_id=feishu.app_id, feishu_app_secret=feishu.app_secret,
                       feishu_domain=feishu.base_url, feishu_verification_token=FEISHU_VERIFICATION_TOKEN,
                       feishu_encrypt_key=FEISHU_ENCRYPT_KEY)
    yield FeishuBot(bot, feishu)
    bot.app.close()


def payload_text(sent: Sent) -> str:
    """A recorded post as text, for assertions that do not care about the card's structure."""
    payload = sent.payload
    if hasattr(payload, "model_dump_json"):
        return payload.model_dump_json()
    return payload if isinstance(payload, str) else json.dumps(payload, default=str)
