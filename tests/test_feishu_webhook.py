"""Custom-bot webhooks: Feishu's signature, its limits (5/s, 100/min, 20 KB) and its error codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.feishu.policy import FeishuRetry
from bot.chat.feishu.webhook import FeishuWebhookNotifier, WebhookLimiter, redact, webhook_sign
from bot.domain import DeliveryOutcome, Subscription
from bot.render.card import build_card
from bot.service.delivery import Deliverer
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError
from tests.fake_feishu import FakeFeishu
from tests.fakes import FakeClock
from tests.samples import TZ, long_analysis, sample_analysis, sample_commit

FIXED_TIME = 1599360473


class Clock:
    """Monotonic seconds that move only when slept through."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def documented_sign(timestamp: int, secret: str) -> str:
    """The recipe from Feishu's custom-bot guide, written out step by step."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode("utf-8")


def test_signature_matches_the_documented_algorithm_and_known_values():
    assert webhook_sign(FIXED_TIME, "demo") == documented_sign(FIXED_TIME, "demo")
    # Values published alongside other implementations of the same recipe.
    assert webhook_sign(FIXED_TIME, "demo") == "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
    assert webhook_sign(1757900000, "lark-test-secret") == "rWW3ygiAdSmKEIysYTVjbdbv4Xnqjn35pAGLgGJZsNg="
    assert webhook_sign(FIXED_TIME, "demo") != webhook_sign(FIXED_TIME + 1, "demo")


@pytest.fixture
def fake(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_notifier(secrets: dict[str, str], clock: Clock, attempts: int = 3) -> FeishuWebhookNotifier:
    return FeishuWebhookNotifier(secrets.get, limiter=WebhookLimiter(clock, clock.sleep),
                                 policy=FeishuRetry(sleeper=clock.sleep, attempts=attempts),
                                 now=lambda: FIXED_TIME)


def a_card():
    commit = sample_commit()
    return build_card(commit, sample_analysis(commit, language="en"), TZ, "en")


def test_signed_card_post_carries_timestamp_and_sign(fake, clock):
    url = fake.hook_url("hook-a", secret="demo")
    notifier = make_notifier({url: "demo"}, clock)

    receipt = notifier.post_card(url, a_card())

    [post] = fake.hook_posts
    assert post.body["timestamp"] == str(FIXED_TIME)
    assert post.body["sign"] == "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
    assert post.body["msg_type"] == "interactive"
    assert post.body["card"]["schema"] == "2.0"
    assert receipt.startswith("webhook-")


def test_unsigned_hook_gets_no_signature_fields(fake, clock):
    url = fake.hook_url("hook-b")
    make_notifier({}, clock).post_text(url, "3 more commits")

    [post] = fake.hook_posts
    assert "sign" not in post.body and "timestamp" not in post.body
    assert post.body == {"msg_type": "text", "content": {"text": "3 more commits"}}


def test_wrong_secret_surfaces_19021_and_pauses(fake, clock, store):
    url = fake.hook_url("hook-c", secret="the-real-one")
    sub, _ = store.subscriptions.save(Subscription(platform="feishu_webhook", channel=url, repo=sample_commit().repo,
                                                   webhook_secret="a-wrong-one"))
    notifier = FeishuWebhookNotifier(lambda u: sub.webhook_secret if u == url else None,
                                     policy=FeishuRetry(sleeper=clock.sleep))
    commit = sample_commit()

    outcome = Deliverer(store, {"feishu_webhook": notifier}, FakeClock()).deliver_card(
        sub, commit, sample_analysis(commit))

    assert outcome == DeliveryOutcome.PAUSED
    reason = store.subscriptions.get(sub.id).paused_reason
    assert "19021" in reason and "signature" in reason
    assert url not in reason and "hook-c" not in reason
    assert fake.hook_posts == []


def test_rate_limited_11232_is_retried_then_transient(fake, clock):
    url = fake.hook_url("hook-d")
    notifier = make_notifier({}, clock, attempts=3)
    limited = {"code": 11232, "msg": "frequency limited", "data": {}}
    fake.fail_next("hook", 200, limited, times=1)

    notifier.post_text(url, "hello")
    assert len(fake.hook_posts) == 1
    assert clock.slept == [1.0]

    fake.fail_next("hook", 200, limited, times=5)
    with pytest.raises(TransientDeliveryError, match="11232"):
        notifier.post_text(url, "hello again")
    assert len(fake.calls_to("hook")) == 2 + 3


def test_limiter_keeps_to_five_per_second_and_a_hundred_per_minute(clock):
    limiter = WebhookLimiter(clock, clock.sleep, max_wait=120)
    start = clock.now
    waits = [limiter.acquire("hook") for _ in range(12)]

    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5] == pytest.approx(1.0)
    assert clock.now - start == pytest.approx(2.0)  # requests 11 and 12 fall in the third second

    clock.now += 60
    for _ in range(100):
        limiter.acquire("hook")
    window_start = clock.now
    limiter.acquire("hook")  # the 101st within a minute waits for the oldest to leave the window
    assert clock.now - window_start > 30
    assert limiter.acquire("another-hook") == 0  # limits are per webhook


def test_limiter_does_not_wait_beyond_its_budget(clock):
    limiter = WebhookLimiter(clock, clock.sleep, per_second=5, per_minute=5, max_wait=10)
    for _ in range(5):
        limiter.acquire("hook")
    with pytest.raises(TransientDeliveryError, match="rate budget"):
        limiter.acquire("hook")
    assert clock.slept == []


def test_cards_stay_under_the_20_kb_body_limit(fake, clock):
    url = fake.hook_url("hook-e", secret="demo")
    commit = sample_commit()
    card = build_card(commit, long_analysis(commit, language="en"), TZ, "en")

    make_notifier({url: "demo"}, clock).post_card(url, card)

    [call] = fake.calls_to("hook")
    assert int(call.headers["Content-Length"]) <= 20 * 1024
    assert len(fake.hook_posts) == 1


def test_oversized_text_is_refused_before_sending(fake, clock):
    url = fake.hook_url("hook-f")
    with pytest.raises(DeliveryError, match="at most"):
        make_notifier({}, clock).post_text(url, "x" * 30_000)
    assert fake.calls_to("hook") == []


@pytest.mark.parametrize("code, words", [(19001, "not valid"), (19024, "keyword"), (19022, "allow-list")])
def test_configuration_errors_pause(fake, clock, code, words):
    url = fake.hook_url("hook-g")
    fake.fail_next("hook", 200, {"code": code, "msg": "refused", "data": {}})
    with pytest.raises(ChannelUnavailable, match=words):
        make_notifier({}, clock).post_text(url, "hello")


def test_bad_request_is_a_permanent_failure(fake, clock):
    url = fake.hook_url("hook-h")
    fake.fail_next("hook", 200, {"code": 9499, "msg": "Bad Request", "data": {}})
    with pytest.raises(DeliveryError, match="9499") as caught:
        make_notifier({}, clock).post_text(url, "hello")
    assert not isinstance(caught.value, (ChannelUnavailable, TransientDeliveryError))


def test_not_a_url_is_unavailable(clock):
    with pytest.raises(ChannelUnavailable):
        make_notifier({}, clock).post_text("oc_chat_id", "hello")


def test_webhook_url_never_reaches_logs_or_errors(clock, caplog):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/open-apis/bot/v2/hook/very-secret-token"
    notifier = FeishuWebhookNotifier(lambda u: None, limiter=WebhookLimiter(clock, clock.sleep),
                                     policy=FeishuRetry(sleeper=clock.sleep, attempts=2), timeout=0.2)
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(TransientDeliveryError) as caught:
            notifier.post_text(url, "hello")
    finally:
        silent.close()
    assert "very-secret-token" not in str(caught.value)
    assert "very-secret-token" not in caplog.text
    assert "very-secret-token" not in redact(url)


def test_delivered_through_the_deliverer(fake, clock, store):
    url = fake.hook_url("hook-i", secret="s3")
    sub, _ = store.subscriptions.save(Subscription(platform="feishu_webhook", channel=url, repo=sample_commit().repo,
                                                   webhook_secret="s3"))

    def secrets(u: str) -> str | None:
        return next((s.webhook_secret for s in store.subscriptions.list(platform="feishu_webhook", channel=u)), None)

    notifier = FeishuWebhookNotifier(secrets, limiter=WebhookLimiter(clock, clock.sleep),
                                     policy=FeishuRetry(sleeper=clock.sleep))
    commit = sample_commit()
    assert Deliverer(store, {"feishu_webhook": notifier}, FakeClock()).deliver_card(
        sub, commit, sample_analysis(commit)) == DeliveryOutcome.SENT
    assert len(fake.hook_posts) == 1
    assert store.deliveries.get(sub.id, "card", commit.sha).message_id.startswith("webhook-")


def test_webhooks_alone_do_not_load_lark_oapi():
    # lark-oapi takes seconds to import; a deployment with only custom-bot webhooks never pays for it.
    code = ("import sys; from bot.config import Settings; from bot.chat.feishu import build_feishu; "
            "channel = build_feishu(Settings(_env_file=None), None, None); "
            "print(sorted(channel.notifiers), 'lark_oapi' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=str(Path(__file__).resolve().parent.parent))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['feishu_webhook'] False"


def test_an_address_urllib3_reads_differently_is_refused_before_connecting(clock):
    # urlsplit sees open.feishu.cn; urllib3 (what requests connects with) sees 127.0.0.1:PORT.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        for url in (f"https://127.0.0.1:{port}\\@open.feishu.cn/open-apis/bot/v2/hook/x",
                    f"http://127.0.0.1:{port}\\@open.feishu.cn/open-apis/bot/v2/hook/x",
                    f"http://user:pw@127.0.0.1:{port}/open-apis/bot/v2/hook/x",
                    "https://[open.feishu.cn/open-apis/bot/v2/hook/x"):
            with pytest.raises(ChannelUnavailable) as caught:
                make_notifier({}, clock).post_text(url, "hello")
            assert "hook/x" not in str(caught.value)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


def test_redirects_are_not_followed(httpserver, clock):
    httpserver.expect_request("/open-apis/bot/v2/hook/moved", method="POST").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/elsewhere")})
    httpserver.expect_request("/elsewhere").respond_with_json({"code": 0, "msg": "success"})

    with pytest.raises(DeliveryError) as caught:
        make_notifier({}, clock, attempts=1).post_text(httpserver.url_for("/open-apis/bot/v2/hook/moved"), "hello")

    assert "307" in str(caught.value)
    assert [request.path for request, _ in httpserver.log] == ["/open-apis/bot/v2/hook/moved"]
