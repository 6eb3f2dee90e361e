"""Unauthenticated and malformed requests to /feishu/events and /slack/events: one answer, nothing run, a quiet log.

The apps are built as the bot builds them (build_feishu, build_slack) and driven with werkzeug's
test client, or over real HTTP through the production server where the server's own handling
of an exception matters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time

import lark_oapi as lark
import pytest
import requests
from Crypto.Cipher import AES
from werkzeug.test import Client

from bot.chat.commands import Reply
from bot.chat.feishu import build_feishu
from bot.chat.feishu.endpoint import event_endpoint
from bot.chat.feishu.verification import Allowance
from bot.chat.slack.wsgi import slack_wsgi
from bot.entrypoints.http import HttpServer
from bot.refusals import OTHERS, RefusalLog
from bot.wsgi import Router
from tests.fake_feishu import FakeFeishu, challenge, encrypt, message_event, signature, signed_request
from tests.fake_slack import command_body, fake, shared_fake  # noqa: F401
from tests.fakes import FakeCommandHandler
from tests.test_feishu_events import KEY, TOKEN, settings_for
from tests.test_slack_app import SECRET, SlackEnv

JSON = {"Content-Type": "application/json"}
FEISHU_LOG = "bot.chat.feishu.endpoint"
SLACK_LOG = "bot.chat.slack.wsgi"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def feishu_fake(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


@pytest.fixture
def handler() -> FakeCommandHandler:
    return FakeCommandHandler(Reply(text="ran"))


@pytest.fixture
def feishu(feishu_fake, handler, store):
    channel = build_feishu(settings_for(feishu_fake), handler, store)
    yield channel
    channel.stop()


def now() -> str:
    return str(int(time.time()))


def raw_encrypt(plain: bytes, key: str = KEY) -> str:
    """AES-256-CBC with PKCS#7 as Feishu does it, of any bytes (so tests can make well-padded garbage)."""
    size = AES.block_size - len(plain) % AES.block_size
    plain += bytes([size]) * size
    iv = os.urandom(AES.block_size)
    return base64.b64encode(iv + AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv).encrypt(plain)).decode()


def signed(outer: dict, timestamp: str | None = None, key: str = KEY) -> tuple[bytes, dict]:
    """`outer` as the body, signed with `key` (what only Feishu, holding the key, can send)."""
    body = json.dumps(outer).encode()
    stamp = timestamp or now()
    return body, {**JSON, "X-Lark-Request-Timestamp": stamp, "X-Lark-Request-Nonce": "n0nce",
                  "X-Lark-Signature": signature(stamp, "n0nce", key, body)}


def answer_of(client: Client, body: bytes, headers: dict, peer: str = "127.0.0.1") -> tuple[int, bytes, str | None]:
    response = client.post("/feishu/events", data=body, headers=headers, environ_base={"REMOTE_ADDR": peer})
    return response.status_code, response.get_data(), response.headers.get("Content-Type")


def no_tracebacks(caplog) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text


# --- finding 3: no padding oracle at /feishu/events ---


def test_every_corruption_of_a_captured_event_gets_the_same_answer_and_runs_nothing(feishu, handler, caplog):
    caplog.set_level(logging.INFO)
    client = Client(feishu.wsgi_app)
    event = message_event(TOKEN, "/commit abc1234", event_id="ev-captured")
    captured_body, captured_headers = signed_request(event, KEY, timestamp=now())
    ciphertext = base64.b64decode(json.loads(captured_body)["encrypt"])

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    def flipped(index: int) -> bytes:
        data = bytearray(ciphertext)
        data[index] ^= 0x01
        return bytes(data)

    def unsigned(outer: dict) -> tuple[bytes, dict]:
        return json.dumps(outer).encode(), JSON

    variants = {
        # The last byte of the next-to-last block flips the padding byte: never valid padding.
        "bad padding": unsigned({"encrypt": b64(flipped(len(ciphertext) - AES.block_size - 1))}),
        "good padding, garbage plaintext": unsigned({"encrypt": raw_encrypt(b"\x8f not json at all")}),
        "good padding, JSON but no event": unsigned({"encrypt": raw_encrypt(b'{"x": 1}')}),
        "garbled first block": unsigned({"encrypt": b64(flipped(3))}),
        "bad base64": unsigned({"encrypt": "%%% not base64 %%%"}),
        "wrong length": unsigned({"encrypt": b64(ciphertext[:-3])}),
        "one block only": unsigned({"encrypt": b64(ciphertext[:AES.block_size])}),
        "one byte too many": unsigned({"encrypt": b64(ciphertext + b"\x00")}),
        "non-string encrypt": unsigned({"encrypt": 12345}),
        "list encrypt": unsigned({"encrypt": ["a"]}),
        "null encrypt": unsigned({"encrypt": None}),
        "header null": unsigned({"schema": "2.0", "header": None, "event": {}}),
        "header null, encrypted": unsigned(encrypt({"schema": "2.0", "header": None}, KEY)),
        "missing signature headers": (captured_body, JSON),
        "only a timestamp header": (captured_body, {**JSON, "X-Lark-Request-Timestamp": now()}),
        "signature of another body": (captured_body.replace(b'"}', b'" }'), captured_headers),
        "a day old, correctly signed": signed_request(event, KEY, timestamp=str(int(time.time()) - 86400)),
        "a day ahead, correctly signed": signed_request(event, KEY, timestamp=str(int(time.time()) + 86400)),
        "non-numeric timestamp": (captured_body, {**captured_headers, "X-Lark-Request-Timestamp": "soon"}),
        "valid signature, wrong token": signed_request(message_event("forged-token", "/commit abc1234"), KEY,
                                                       timestamp=now()),
        "valid signature, no token": signed({"encrypt": raw_encrypt(b'{"schema": "2.0", "header": {}}')}),
        "valid signature, undecryptable": signed({"encrypt": b64(flipped(len(ciphertext) - AES.block_size - 1))}),
        "another app's key": signed_request(event, "some-other-key", timestamp=now()),
        "challenge with a wrong token": unsigned(encrypt(challenge("not-the-token", "probe"), KEY)),
    }

    answers = {name: answer_of(client, body, headers) for name, (body, headers) in variants.items()}
    feishu.events.drain(10)

    first = answers["bad padding"]
    assert first[0] == 401 and json.loads(first[1]) == {"msg": "unauthorized"}
    assert {name: answer for name, answer in answers.items() if answer != first} == {}
    assert handler.calls == []
    no_tracebacks(caplog)
    # The untouched capture still runs, so no variant got as far as recording its event id, and
    # each was one step from a valid request.
    assert answer_of(client, captured_body, captured_headers)[0] == 200
    feishu.events.drain(10)
    assert len(handler.calls) == 1


def test_unsigned_requests_are_decrypted_only_a_few_times_a_minute():
    ticks = Ticks()
    dispatcher = lark.EventDispatcherHandler.builder(KEY, TOKEN).build()
    client = Client(event_endpoint(dispatcher, encrypt_key=KEY, verification_token=TOKEN,
                                   unsigned=Allowance(3, clock=ticks)))
    body = json.dumps(encrypt(challenge(TOKEN, "from-feishu"), KEY)).encode()

    answers = [answer_of(client, body, JSON) for _ in range(4)]
    ticks.now += 60
    later = answer_of(client, body, JSON)

    assert [status for status, _, _ in answers] == [200, 200, 200, 401]
    assert answers[3][1] == b'{"msg": "unauthorized"}'  # the same refusal as any other
    assert later[0] == 200


# --- finding 5: no 500s, no tracebacks, no exception text for unauthenticated requests ---


def test_malformed_requests_get_small_4xx_answers_over_real_http(feishu, store, fake, caplog):
    caplog.set_level(logging.INFO)
    slack = SlackEnv(store, fake)
    router = Router()
    router.mount("/feishu/events", feishu.wsgi_app)
    router.mount("/slack/events", slack.slack.wsgi_app)
    server = HttpServer(router, "127.0.0.1", 0, threads=2)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = command_body("/commit", "help", fake.response_url())
    feishu_requests = {
        "no signature headers": (json.dumps(encrypt(message_event(TOKEN, "/commit abc1234"), KEY)), JSON),
        "non-base64 encrypt": (json.dumps({"encrypt": "not base64 at all!"}), JSON),
        "non-string encrypt": (json.dumps({"encrypt": {"nested": True}}), JSON),
        "header null": (json.dumps({"schema": "2.0", "header": None}), JSON),
        "not JSON": ("{not json", JSON),
        "deeply nested": ("[" * 100_000, JSON),
    }
    slack_requests = {
        "non-numeric timestamp": (body, {**form, "X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=0"}),
        "missing headers": (body, form),
        "unparseable JSON": ("{not json", {"Content-Type": "application/json"}),
        "unparseable payload": ("payload=%7Bnot", form),
        "non-ASCII signature": (body, {**form, "X-Slack-Request-Timestamp": now(), "X-Slack-Signature": "v0=\u00e9"}),
        "wrong content type": ("hello", {"Content-Type": "text/plain"}),
    }
    try:
        answers = {}
        for path, cases in (("/feishu/events", feishu_requests), ("/slack/events", slack_requests)):
            for name, (data, headers) in cases.items():
                got = requests.post(base + path, data=data.encode("utf-8"), timeout=5,
                                    headers={**headers, "Connection": "close"})
                answers[(path, name)] = (got.status_code, got.text)
    finally:
        server.stop()
        slack.close()

    allowed = {"/feishu/events": {(401, '{"msg": "unauthorized"}'), (400, '{"msg": "bad request"}')},
               "/slack/events": {(401, '{"error": "invalid request"}'), (400, '{"error": "bad request"}')}}
    assert {key: answer for key, answer in answers.items() if answer not in allowed[key[0]]} == {}
    no_tracebacks(caplog)
    assert fake.calls == []


# --- refusals in the log: one line per client and reason a minute, then a count ---


def test_a_flood_of_refusals_is_one_log_line_per_client_and_reason(feishu, store, fake, caplog):
    caplog.set_level(logging.INFO)
    slack = SlackEnv(store, fake)
    feishu_client, slack_client = Client(feishu.wsgi_app), Client(slack.slack.wsgi_app)
    try:
        for _ in range(300):
            answer_of(feishu_client, b'{"encrypt": "AAAA"}', JSON)
            slack_client.post("/slack/events", data="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
        answer_of(feishu_client, *signed_request(message_event(TOKEN, "/x"), KEY, timestamp="1"))
        answer_of(feishu_client, b'{"encrypt": "AAAA"}', JSON, peer="192.0.2.7")
    finally:
        slack.close()

    lines = [(r.name, r.client, r.reason) for r in caplog.records if r.levelno == logging.WARNING
             and r.name in (FEISHU_LOG, SLACK_LOG)]
    assert sorted(lines) == sorted([
        (FEISHU_LOG, "127.0.0.1", "unsigned request that is no challenge"),
        (FEISHU_LOG, "127.0.0.1", "too many unsigned requests"),  # after the first 30 of the minute
        (FEISHU_LOG, "127.0.0.1", "stale timestamp"),
        (FEISHU_LOG, "192.0.2.7", "too many unsigned requests"),
        (SLACK_LOG, "127.0.0.1", "missing signature headers"),
    ])
    no_tracebacks(caplog)


@pytest.mark.parametrize("endpoint", ["feishu", "slack"])
def test_after_a_minute_the_next_line_counts_what_was_left_out(endpoint, feishu_fake, store, fake, caplog):
    caplog.set_level(logging.INFO)
    ticks = Ticks()
    refusals = RefusalLog(logging.getLogger(f"tests.refusals.{endpoint}"), endpoint, clock=ticks)
    if endpoint == "feishu":
        app = event_endpoint(lark.EventDispatcherHandler.builder(KEY, TOKEN).build(), encrypt_key=KEY,
                             verification_token=TOKEN, refusals=refusals)
        request = {"data": json.dumps({"encrypt": 5}), "headers": {**JSON, "X-Lark-Request-Timestamp": "x",
                                                                  "X-Lark-Request-Nonce": "n", "X-Lark-Signature": "0"}}
        closing = None
    else:
        closing = SlackEnv(store, fake)
        app = slack_wsgi(closing.slack.app, signing_secret=SECRET, refusals=refusals)
        request = {"data": "a=b", "headers": {"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=1"}}
    client = Client(app)
    try:
        for _ in range(50):
            assert client.post(f"/{endpoint}/events", **request).status_code == 401
        ticks.now += 61
        client.post(f"/{endpoint}/events", **request)
    finally:
        if closing:
            closing.close()

    lines = [r for r in caplog.records if r.name == f"tests.refusals.{endpoint}"]
    assert [getattr(r, "suppressed", 0) for r in lines] == [0, 49]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in lines)


def test_refusal_log_forgets_quiet_clients_and_is_bounded(caplog):
    caplog.set_level(logging.INFO)
    ticks = Ticks()
    log = RefusalLog(logging.getLogger("tests.refusals.table"), "test", clock=ticks, max_tracked=3)
    for client in ("a", "b", "c", "d", "e"):
        log.refused(client, "bad signature")
        log.refused(client, "bad signature")
    ticks.now += 61
    log.refused("f", "bad signature")

    lines = [(r.client, getattr(r, "suppressed", 0), r.getMessage()) for r in caplog.records]
    assert lines == [
        ("a", 0, "request refused"), ("b", 0, "request refused"), ("c", 0, "request refused"),
        (OTHERS, 0, "request refused"),  # d and e share one entry once the table is full
        # a minute later: what each quiet client still owed, then the new refusal
        ("a", 1, "refused requests left out of the log"), ("b", 1, "refused requests left out of the log"),
        ("c", 1, "refused requests left out of the log"), (OTHERS, 3, "refused requests left out of the log"),
        ("f", 0, "request refused"),
    ]
