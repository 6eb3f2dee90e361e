"""The Bolt app over HTTP, served by the production waitress server, against the fake Slack Web API."""

from __future__ import annotations

import html
import json
import logging
import threading
import time
from datetime import UTC, datetime
from datetime import time as clock_time

import pytest
import requests
from werkzeug.test import Client

from bot.chat.commands import CommandHandler, CommandServices, Defaults
from bot.chat.commands.table import SLASH_COMMANDS
from bot.chat.slack import build_slack
from bot.config import Settings
from bot.domain import RepoRef, Subscription
from bot.entrypoints.http import HttpServer
from bot.wsgi import Router
from tests.fake_slack import FakeSlack, command_body, event_body, fake, shared_fake, signed_headers  # noqa: F401
from tests.fakes import FakeAnalyser, FakeClock, FakeDigests, FakeSource, make_commit

SECRET = "test-signing-secret"
SHA = "3f2a9c1" + "0" * 33


def settings_for(fake: FakeSlack, **extra) -> Settings:
    return Settings(_env_file=None, slack_bot_token="xoxb-test-token", slack_signing_secret=SECRET,
                    slack_api_url=fake.api_url, **extra)


class SlackEnv:
    """The Slack channel on a Router; requests go through waitress when `serve` is set, else straight to WSGI."""

    def __init__(self, store, fake: FakeSlack, serve: bool = False, **settings) -> None:
        self.store, self.fake = store, fake
        self.source, self.analyser, self.digests = FakeSource(), FakeAnalyser(), FakeDigests()
        self.sleeps: list[float] = []
        self.handler = CommandHandler(CommandServices(
            store=store, source=self.source, analyser=self.analyser, digests=self.digests,
            defaults=Defaults(clock_time(9, 0), "UTC", "en"),
            clock=FakeClock(datetime(2026, 1, 8, 12, 0, tzinfo=UTC))))
        self.slack = build_slack(settings_for(fake, **settings), self.handler, store, sleep=self.sleeps.append)
        router = Router()
        router.mount("/slack/events", self.slack.wsgi_app)
        self.http = HttpServer(router, "127.0.0.1", 0, threads=8) if serve else None
        self.client = Client(router)
        if self.http:
            self.http.start()
            self.url = f"http://127.0.0.1:{self.http.port}/slack/events"

    def close(self) -> None:
        if self.http:
            self.http.stop()
        self.slack.stop()

    def post(self, body: str, headers: dict | None = None, content_type="application/x-www-form-urlencoded"):
        headers = headers if headers is not None else signed_headers(SECRET, body, content_type=content_type)
        if self.http:
            # Connection: close — HttpServer.stop waits for open keep-alive connections.
            return requests.post(self.url, data=body.encode(), headers={**headers, "Connection": "close"}, timeout=5)
        return Answer(self.client.post("/slack/events", data=body.encode(), headers=headers))

    def command(self, command: str, text: str = "", channel: str = "C0001"):
        url = self.fake.response_url()
        return self.post(command_body(command, text, url, channel=channel)), url

    def subscribe(self, repo="octo/widgets", **options) -> Subscription:
        sub, _ = self.store.subscriptions.save(Subscription(platform="slack", channel="C0001",
                                                            repo=RepoRef.parse(repo), **options))
        return sub


class Answer:
    """The bits of a response the tests read, the same for requests and werkzeug."""

    def __init__(self, response) -> None:
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)

    def json(self):
        return json.loads(self.text)


@pytest.fixture
def env(store, fake):
    built = SlackEnv(store, fake)
    yield built
    built.close()


# --- request verification ---


def test_unsigned_bad_and_stale_requests_get_401_and_touch_nothing(env, fake):
    body = command_body("/commit", SHA, fake.response_url())
    assert env.post(body, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
    assert env.post(body, headers=signed_headers("wrong-secret", body)).status_code == 401
    stale = int(time.time()) - 10 * 60
    assert env.post(body, headers=signed_headers(SECRET, body, timestamp=stale)).status_code == 401
    tampered = signed_headers(SECRET, body)
    assert env.post(body.replace("ada", "eve"), headers=tampered).status_code == 401
    assert fake.calls == [] and env.analyser.calls == []


def test_malformed_or_unsigned_requests_are_4xx_never_500_and_log_no_traceback(env, fake, caplog):
    caplog.set_level(logging.INFO)
    body = command_body("/commit", SHA, fake.response_url())
    form, now = "application/x-www-form-urlencoded", str(int(time.time()))

    def signed(text: str, content_type: str) -> tuple[str, dict]:
        return text, signed_headers(SECRET, text, content_type=content_type)

    refused = {
        "non-numeric timestamp": (body, {"Content-Type": form, "X-Slack-Request-Timestamp": "soon",
                                         "X-Slack-Signature": "v0=" + "0" * 64}),
        "huge timestamp": (body, {"Content-Type": form, "X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=0"}),
        "no signature": (body, {"Content-Type": form, "X-Slack-Request-Timestamp": now}),
        "no timestamp": (body, {"Content-Type": form, "X-Slack-Signature": "v0=" + "0" * 64}),
        "non-ASCII signature": (body, {"Content-Type": form, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=\u00e9"}),
        "unsigned, unparseable JSON": ("{not json", {"Content-Type": "application/json"}),
        "unsigned, unparseable payload": ("payload=%7Bnot", {"Content-Type": form}),
    }
    malformed = {
        "signed, unparseable JSON": signed("{not json", "application/json"),
        "signed, JSON but not an object": signed("[1, 2]", "application/json"),
        "signed, unparseable payload": signed("payload=%7Bnot", form),
        "signed, wrong content type": signed(body, "text/plain"),
        "unsigned, no content type": (body, {}),
    }

    answers = {name: env.post(text, headers=headers) for name, (text, headers) in {**refused, **malformed}.items()}

    assert {name: (a.status_code, a.json()) for name, a in answers.items() if name in refused} == {
        name: (401, {"error": "invalid request"}) for name in refused}
    assert {name: (a.status_code, a.json()) for name, a in answers.items() if name in malformed} == {
        name: (400, {"error": "bad request"}) for name in malformed}
    assert fake.calls == [] and env.analyser.calls == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_slacks_unsigned_ssl_check_is_still_answered_and_runs_nothing(env, fake):
    answer = env.post("ssl_check=1&token=legacy", headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert (answer.status_code, answer.text) == (200, "")
    assert fake.calls == [] and env.analyser.calls == []


def test_only_post_is_accepted(env):
    assert env.client.get("/slack/events").status_code == 405


def test_served_by_the_production_http_server(store, fake):
    served = SlackEnv(store, fake, serve=True)
    try:
        body = command_body("/commit", "help", fake.response_url())
        assert served.post(body, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
        answer = served.post(body)
        assert answer.status_code == 200 and "Usage: /commit" in answer.json()["text"]
        assert requests.get(served.url, headers={"Connection": "close"}, timeout=5).status_code == 405
    finally:
        served.close()


def test_url_verification_challenge(env):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "legacy"})
    answer = env.post(body, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"challenge": "abc123"}


# --- slash commands ---


def test_commit_is_acked_empty_then_answered_in_channel(env, fake, store):
    env.subscribe()
    store.commits.save(make_commit(sha=SHA, message="feat: <!channel> faster widgets"), branch="main")
    answer, url = env.command("/commit", "3f2a9c1")
    assert answer.status_code == 200 and answer.text == ""
    [call] = fake.wait_for("response_url")
    message = call.params
    assert message["response_type"] == "in_channel" and message["replace_original"] is False
    assert message["blocks"] and "faster widgets" in message["text"]
    assert "<!channel>" not in json.dumps(message)  # escaped by the renderer
    assert len(fake.calls_to("auth.test")) == 1  # Bolt's first dispatch
    env.command("/commit", "3f2a9c1")
    fake.wait_for("response_url", 2)
    assert len(fake.calls_to("auth.test")) == 1 and env.analyser.calls == [(SHA, "zh"), (SHA, "zh")]


def test_ack_does_not_wait_for_slow_analysis(env, fake, store):
    env.subscribe()
    store.commits.save(make_commit(sha=SHA), branch="main")
    release = threading.Event()
    real = env.analyser.analyse

    def slow(commit, language):
        assert release.wait(5)
        return real(commit, language)

    env.analyser.analyse = slow
    answer, _ = env.command("/commit", "3f2a9c1")
    assert answer.status_code == 200  # acknowledged while the analysis is still blocked
    assert fake.calls_to("response_url") == []
    release.set()
    fake.wait_for("response_url")


@pytest.mark.parametrize("text, expected", [
    ("help", "Usage: /commit <sha> [owner/repo]"),
    ("xyz", "SHA must be 4-40 hex digits, got 'xyz'.\nUsage: /commit <sha>"),
    ("abcd not/a/repo", "Repository must be owner/name, got 'not/a/repo'"),
])
def test_help_and_bad_arguments_are_answered_in_the_ack_only_to_the_user(env, fake, text, expected):
    answer, _ = env.command("/commit", text)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert expected in html.unescape(body["text"])  # the renderer escaped it for mrkdwn
    assert body["blocks"][0]["type"] == "section"
    assert fake.calls_to("response_url") == [] and env.source.calls == []


@pytest.mark.parametrize("slash", SLASH_COMMANDS, ids=lambda slash: slash.command)
def test_every_slash_command_of_the_table_is_registered(env, slash):
    answer, _ = env.command(slash.command, "help")
    assert answer.status_code == 200 and f"Usage: {slash.command}" in html.unescape(answer.json()["text"])


def test_subscribe_unsubscribe_and_list_through_slack(env, fake, store):
    env.source.add_repo("octo/widgets", branches=("main", "dev"))
    env.command("/subscribe", "octo/widgets dev --min medium --tz Asia/Shanghai")
    [call] = fake.wait_for("response_url")
    assert call.params["response_type"] == "in_channel"
    assert "Subscribed this channel to octo/widgets@dev" in call.params["text"]
    [sub] = store.subscriptions.list(platform="slack", channel="C0001")
    assert sub.branch == "dev" and sub.timezone == "Asia/Shanghai" and sub.language == "en"
    store.subscriptions.set_paused(sub.id, True, "not_in_channel: the bot is not a member of the channel")
    env.command("/subscriptions")
    listing = fake.wait_for("response_url", 2)[1].params
    assert listing["response_type"] == "ephemeral" and "paused: not_in_channel" in listing["text"]
    env.command("/unsubscribe", "octo/widgets")
    gone = fake.wait_for("response_url", 3)[2].params
    assert gone["response_type"] == "in_channel" and "Unsubscribed" in gone["text"]
    assert store.subscriptions.list() == []


def test_digest_command_runs_the_digest_service(env, fake):
    sub = env.subscribe()
    env.command("/digest", "octo/widgets 2026-01-05")
    [call] = fake.wait_for("response_url")
    assert env.digests.calls == [(sub.id, datetime(2026, 1, 5).date(), True)]
    assert call.params["response_type"] == "ephemeral" and "Posted the digest" in call.params["text"]


def test_unknown_sha_is_answered_privately(env, fake):
    env.subscribe()
    env.source.add_repo("octo/widgets")
    env.command("/commit", "deadbee")
    [call] = fake.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral" and "No commit deadbee in octo/widgets" in call.params["text"]


def test_refused_blocks_in_a_response_fall_back_to_text(env, fake, store):
    env.subscribe()
    store.commits.save(make_commit(sha=SHA), branch="main")
    fake.fail("response_url", body="invalid_blocks", status=400)
    env.command("/commit", "3f2a9c1")
    first, second = fake.wait_for("response_url", 2)
    assert "blocks" in first.params and "blocks" not in second.params
    assert second.params["text"] == first.params["text"] and second.params["response_type"] == "in_channel"


def test_card_button_clicks_are_acknowledged(env, fake):
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"}, "api_app_id": "A0001",
               "token": "legacy", "trigger_id": "1.2", "response_url": fake.response_url(),
               "channel": {"id": "C0001"}, "actions": [{"action_id": "commit_radar_link_0", "type": "button",
                                                        "block_id": "b", "action_ts": "1"}]}
    from urllib.parse import urlencode

    assert env.post(urlencode({"payload": json.dumps(payload)})).status_code == 200


# --- link unfurls ---


def link_event(*urls: str, channel: str = "C0001") -> dict:
    return {"type": "link_shared", "channel": channel, "user": "U0001", "message_ts": "1700000000.000100",
            "links": [{"domain": url.split("/")[2], "url": url} for url in urls]}


def test_pasted_commit_link_unfurls_to_its_card_once(env, fake, store):
    env.subscribe(language="zh")
    store.commits.save(make_commit(sha=SHA, message="fix: widgets"), branch="main")
    url = f"https://github.com/octo/widgets/commit/{SHA}"
    body = event_body(link_event(url, "https://github.com/octo/widgets/pull/3", "https://example.com/x"))
    assert env.post(body, content_type="application/json").status_code == 200
    [call] = fake.wait_for("chat.unfurl")
    assert call.params["channel"] == "C0001" and call.params["ts"] == "1700000000.000100"
    assert list(call.params["unfurls"]) == [url] and call.params["unfurls"][url]["blocks"]
    assert env.analyser.calls == [(SHA, "zh")]
    env.post(body, content_type="application/json")  # Slack retrying the same event id
    env.post(event_body(link_event(url), event_id="Ev0002"), content_type="application/json")
    fake.wait_for("chat.unfurl", 2)
    assert len(fake.calls_to("chat.unfurl")) == 2


def test_unknown_commit_links_are_left_alone(env, fake):
    env.source.add_repo("octo/widgets")
    body = event_body(link_event(f"https://github.com/octo/widgets/commit/{'e' * 40}"), event_id="Ev9")
    env.post(body, content_type="application/json")
    fake.wait_for("auth.test")
    env.slack.stop()  # waits for the lazy listener to finish
    assert fake.calls_to("chat.unfurl") == [] and env.source.calls == [("fetch_commit", "octo/widgets", "e" * 40)]


def test_enterprise_host_links_unfurl(store, fake):
    env = SlackEnv(store, fake, github_api_url="https://git.example.com/api/v3")
    try:
        env.source.add_commit(make_commit("octo/widgets", sha=SHA))
        url = f"https://git.example.com/octo/widgets/commit/{SHA[:12]}"
        composer = {**link_event(url), "channel": "COMPOSER", "source": "composer", "unfurl_id": "U123-abc"}
        env.post(event_body(composer), content_type="application/json")
        [call] = fake.wait_for("chat.unfurl")
        assert call.params["unfurl_id"] == "U123-abc" and call.params["source"] == "composer"
        assert list(call.params["unfurls"]) == [url]
    finally:
        env.close()
