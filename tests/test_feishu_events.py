"""`/feishu/events` behind waitress: real encrypted, signed Feishu payloads in, command replies out."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from bot.chat.commands import CommandHandler, CommandServices, Reply
from bot.chat.feishu import build_feishu
from bot.chat.feishu.events import FAILED_TEXT
from bot.config import ConfigError, Settings
from bot.entrypoints.http import HttpServer
from bot.render.card import build_card
from bot.wsgi import Router
from tests.fake_feishu import FakeFeishu, challenge, encrypt, mention, message_event, signed_request
from tests.fakes import FakeCommandHandler
from tests.samples import TZ, sample_analysis, sample_commit

TOKEN = "v-token-" + "x" * 20
KEY = "encrypt-key-for-tests"


def settings_for(fake: FakeFeishu, **overrides) -> Settings:
    values = dict(feishu_app_id=fake.app_id, feishu_app_secret=fake.app_secret, feishu_verification_token=TOKEN,
                  feishu_encrypt_key=KEY, feishu_domain=fake.base_url, feishu_mode="http")
    values.update(overrides)
    return Settings(_env_file=None, **values)


class Endpoint:
    """The Feishu channel mounted at /feishu/events on the production server, on a free port."""

    def __init__(self, fake: FakeFeishu, handler, store) -> None:
        self.channel = build_feishu(settings_for(fake), handler, store)
        router = Router()
        router.mount("/feishu/events", self.channel.wsgi_app)
        self.server = HttpServer(router, "127.0.0.1", 0, threads=4)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.port}/feishu/events"

    def post(self, payload: dict, key: str = KEY, timestamp: float | None = None, **header_changes) -> requests.Response:
        body, headers = signed_request(payload, key, timestamp=str(int(time.time() if timestamp is None else timestamp)))
        # Closed connections let the server stop at once instead of waiting for idle keep-alives.
        headers.update({"Connection": "close", **header_changes})
        return requests.post(self.url, data=body, headers=headers, timeout=5)

    def drain(self) -> None:
        assert self.channel.events.drain(timeout=10)

    def close(self) -> None:
        self.channel.stop()
        self.server.stop()


@pytest.fixture
def fake(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


@pytest.fixture
def handler() -> FakeCommandHandler:
    return FakeCommandHandler(Reply(text="analysis on its way"))


@pytest.fixture
def endpoint(fake, handler, store):
    opened = Endpoint(fake, handler, store)
    yield opened
    opened.close()


def test_url_verification_challenge_is_answered(endpoint, handler):
    answer = endpoint.post(challenge(TOKEN, "chal-123"))

    assert answer.status_code == 200
    assert answer.json() == {"challenge": "chal-123"}
    assert handler.calls == []


def test_challenge_with_a_wrong_token_is_refused(endpoint):
    answer = endpoint.post(challenge("not-the-token", "chal-123"))

    assert answer.status_code == 401
    assert "chal-123" not in answer.text


def test_the_unsigned_encrypted_challenge_feishu_sends_on_saving_the_url_is_answered(endpoint):
    def unsigned(token: str) -> requests.Response:
        return requests.post(endpoint.url, data=json.dumps(encrypt(challenge(token, "chal-456"), KEY)), timeout=5,
                             headers={"Content-Type": "application/json", "Connection": "close"})

    good, forged = unsigned(TOKEN), unsigned("not-the-token")

    assert (good.status_code, good.json()) == (200, {"challenge": "chal-456"})
    assert (forged.status_code, forged.json()) == (401, {"msg": "unauthorized"})


@pytest.mark.parametrize("value", ['a"b', "back\\slash\\", '</script><script>alert("x")</script>',
                                   '"}, "msg": "injected', "\u2028 line\nbreaks\r"])
def test_a_challenge_is_answered_as_json_whatever_it_holds(endpoint, value):
    answer = endpoint.post(challenge(TOKEN, value))

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert json.loads(answer.content) == {"challenge": value}
    assert "</script>" not in answer.text


def test_a_correctly_signed_request_a_day_old_or_from_the_future_is_refused_and_runs_nothing(endpoint, handler):
    captured = message_event(TOKEN, "/commit abc1234", event_id="ev-old")

    day_old = endpoint.post(captured, timestamp=time.time() - 86400)
    six_minutes_ahead = endpoint.post(message_event(TOKEN, "/commit abc1234"), timestamp=time.time() + 360)
    endpoint.drain()
    assert (day_old.status_code, day_old.json()) == (401, {"msg": "unauthorized"})
    assert six_minutes_ahead.status_code == 401
    assert handler.calls == []

    four_minutes_old = endpoint.post(captured, timestamp=time.time() - 240)  # within the 5 minutes Feishu may take
    endpoint.drain()
    assert four_minutes_old.status_code == 200
    assert len(handler.calls) == 1


def test_command_in_a_direct_chat_runs_and_is_answered(endpoint, fake, handler):
    event = message_event(TOKEN, "/commit abc1234", chat_id="oc_dm", chat_type="p2p", sender="ou_alice")

    answer = endpoint.post(event)
    endpoint.drain()

    assert answer.status_code == 200
    [(text, ctx)] = handler.calls
    assert text == "/commit abc1234"
    assert (ctx.platform, ctx.channel, ctx.user_id, ctx.is_direct) == ("feishu", "oc_dm", "ou_alice", True)
    [reply] = fake.calls_to("reply")
    assert reply.path.endswith(f"/{event['event']['message']['message_id']}/reply")
    assert reply.body["msg_type"] == "text"
    assert json.loads(reply.body["content"]) == {"text": "analysis on its way"}
    assert reply.body["reply_in_thread"] is False


def test_command_with_an_at_mention_in_a_group(endpoint, fake, handler):
    event = message_event(TOKEN, "@_user_1 /subscribe owner/repo --min medium", chat_id="oc_group",
                          chat_type="group", mentions=[mention("@_user_1", fake.bot_open_id, "commit-radar")])

    assert endpoint.post(event).status_code == 200
    endpoint.drain()

    [(text, ctx)] = handler.calls
    assert text == "/subscribe owner/repo --min medium"
    assert (ctx.channel, ctx.is_direct) == ("oc_group", False)
    assert len(fake.calls_to("info")) == 1
    assert len(fake.calls_to("reply")) == 1


def test_mention_at_the_end_and_other_people_in_the_text(endpoint, fake, handler):
    event = message_event(TOKEN, "/commit abc1234 @_user_2 @_user_1", chat_type="group", mentions=[
        mention("@_user_1", fake.bot_open_id, "commit-radar"), mention("@_user_2", "ou_bob", "Bob")])

    endpoint.post(event)
    endpoint.drain()

    assert [text for text, _ in handler.calls] == ["/commit abc1234 @Bob"]


def test_messages_addressed_to_someone_else_or_without_a_command_run_nothing(endpoint, fake, handler):
    to_alice = message_event(TOKEN, "@_user_1 /commit abc1234", chat_type="group",
                             mentions=[mention("@_user_1", "ou_alice", "Alice")])
    chatter = message_event(TOKEN, "@_user_1 nice work on the release", chat_type="group",
                            mentions=[mention("@_user_1", fake.bot_open_id, "commit-radar")])
    image = message_event(TOKEN, "/commit abc1234", message_type="image")
    from_a_bot = message_event(TOKEN, "/commit abc1234", sender_type="app")

    for event in (to_alice, chatter, image, from_a_bot):
        assert endpoint.post(event).status_code == 200
    endpoint.drain()

    assert handler.calls == []
    assert fake.calls_to("reply") == []


def test_a_re_pushed_event_runs_once_even_after_a_restart(fake, handler, store):
    event = message_event(TOKEN, "/commit abc1234", event_id="ev-dup-1")
    first = Endpoint(fake, handler, store)
    try:
        assert first.post(event).status_code == 200
        assert first.post(event).status_code == 200
        first.drain()
    finally:
        first.close()
    restarted = Endpoint(fake, handler, store)
    try:
        assert restarted.post(event).status_code == 200
        restarted.drain()
    finally:
        restarted.close()

    assert len(handler.calls) == 1
    assert len(fake.calls_to("reply")) == 1


def test_bad_verification_token_is_rejected_and_nothing_runs(endpoint, handler, store):
    event = message_event("forged-token", "/commit abc1234", event_id="ev-forged")

    answer = endpoint.post(event)
    endpoint.drain()

    assert answer.status_code == 401
    assert handler.calls == []
    assert store.events.first_time("feishu", "ev-forged")  # never recorded: it was not accepted


def test_bad_signature_is_rejected_and_nothing_runs(endpoint, handler):
    event = message_event(TOKEN, "/commit abc1234")

    answer = endpoint.post(event, **{"X-Lark-Signature": "0" * 64})
    endpoint.drain()

    assert answer.status_code == 401
    assert handler.calls == []


def test_payload_encrypted_with_another_key_or_unsigned_runs_nothing(endpoint, handler):
    wrong_key = endpoint.post(message_event(TOKEN, "/commit abc1234"), key="some-other-key")
    body, _ = signed_request(message_event(TOKEN, "/commit abc1234"), KEY)
    unsigned = requests.post(endpoint.url, data=body, headers={"Content-Type": "application/json", "Connection": "close"},
                             timeout=5)
    endpoint.drain()

    assert wrong_key.status_code >= 400 and unsigned.status_code >= 400
    assert handler.calls == []


def test_not_a_post_or_not_json_is_refused(endpoint):
    close = {"Connection": "close"}
    assert requests.get(endpoint.url, headers=close, timeout=5).status_code == 405
    assert requests.post(endpoint.url, data=b"[1, 2]", headers=close, timeout=5).status_code == 400
    assert requests.post(endpoint.url, data=b"", headers=close, timeout=5).status_code == 400


def test_the_answer_does_not_wait_for_the_command(fake, store):
    release = threading.Event()

    class SlowHandler(FakeCommandHandler):
        def handle(self, text, ctx):
            assert release.wait(10)
            return super().handle(text, ctx)

    slow = SlowHandler()
    endpoint = Endpoint(fake, slow, store)
    try:
        answer = endpoint.post(message_event(TOKEN, "/commit abc1234"))
        assert answer.status_code == 200
        assert slow.calls == [] and fake.calls_to("reply") == []  # still running when Feishu got its answer
        release.set()
        endpoint.drain()
    finally:
        release.set()
        endpoint.close()
    assert len(slow.calls) == 1
    assert len(fake.calls_to("reply")) == 1


def test_cards_in_a_reply_and_threads_are_kept(fake, store):
    commit = sample_commit()
    card = build_card(commit, sample_analysis(commit, language="en"), TZ, "en")
    endpoint = Endpoint(fake, FakeCommandHandler(Reply(cards=[card], public=True)), store)
    try:
        endpoint.post(message_event(TOKEN, "/commit 55c2665", thread_id="omt_thread"))
        endpoint.drain()
    finally:
        endpoint.close()

    [reply] = fake.calls_to("reply")
    assert reply.body["msg_type"] == "interactive"
    assert json.loads(reply.body["content"])["schema"] == "2.0"
    assert reply.body["reply_in_thread"] is True


def test_a_failing_command_is_answered(fake, store):
    endpoint = Endpoint(fake, FakeCommandHandler(fail=RuntimeError("boom")), store)
    try:
        endpoint.post(message_event(TOKEN, "/commit abc1234"))
        endpoint.drain()
    finally:
        endpoint.close()

    [reply] = fake.calls_to("reply")
    assert json.loads(reply.body["content"])["text"].startswith(FAILED_TEXT[:10])


def test_the_real_command_layer_answers_help(fake, store):
    handler = CommandHandler(CommandServices(store=store, source=None, analyser=None, digests=None))
    endpoint = Endpoint(fake, handler, store)
    try:
        endpoint.post(message_event(TOKEN, "@_user_1 /help", chat_type="group",
                                    mentions=[mention("@_user_1", fake.bot_open_id, "commit-radar")]))
        endpoint.drain()
    finally:
        endpoint.close()

    [reply] = fake.calls_to("reply")
    assert "/subscribe" in json.loads(reply.body["content"])["text"]


def test_http_mode_needs_a_verification_token(fake, store, handler):
    with pytest.raises(ConfigError, match="FEISHU_VERIFICATION_TOKEN"):
        build_feishu(settings_for(fake, feishu_verification_token=None), handler, store)


def test_without_app_credentials_only_webhooks_are_available(store, handler):
    channel = build_feishu(Settings(_env_file=None), handler, store)
    assert channel.notifier is None and channel.wsgi_app is None
    assert set(channel.notifiers) == {"feishu_webhook"}


def test_without_an_encrypt_key_the_token_alone_is_checked(fake, handler, store):
    channel = build_feishu(settings_for(fake, feishu_encrypt_key=None), handler, store)
    router = Router()
    router.mount("/feishu/events", channel.wsgi_app)
    server = HttpServer(router, "127.0.0.1", 0, threads=2)
    server.start()
    url = f"http://127.0.0.1:{server.port}/feishu/events"
    try:
        close = {"Connection": "close"}
        good = requests.post(url, json=message_event(TOKEN, "/commit abc1234"), headers=close, timeout=5)
        forged = requests.post(url, json=message_event("forged", "/commit abc1234"), headers=close, timeout=5)
        asked = requests.post(url, json=challenge(TOKEN, "plain-challenge"), headers=close, timeout=5)
        channel.events.drain(10)
    finally:
        channel.stop()
        server.stop()

    assert (good.status_code, forged.status_code) == (200, 401)
    assert asked.json() == {"challenge": "plain-challenge"}
    assert len(handler.calls) == 1
