"""SlackNotifier against the fake Slack Web API: posting, retries, fallbacks, channel loss, crash recovery."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.chat.slack.client import SlackRetry, make_client
from bot.chat.slack.notifier import METADATA_EVENT, SlackNotifier
from bot.domain import DeliveryOutcome, RepoRef, Subscription
from bot.render.card import build_card
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError
from tests.fake_slack import fake, shared_fake  # noqa: F401
from tests.fakes import FakeAnalyser, FakeClock, make_commit
from tests.samples import sample_analysis, sample_commit, sample_digest

SINCE = datetime.now(UTC) - timedelta(minutes=5)


@pytest.fixture
def policy():
    return SlackRetry(sleep=lambda seconds: None)


@pytest.fixture
def notifier(fake, policy):
    return SlackNotifier(make_client("xoxb-test-token", fake.api_url, policy))


def card():
    commit = sample_commit()
    return build_card(commit, sample_analysis(commit), "Asia/Shanghai", "en")


def test_card_is_posted_with_blocks_and_its_delivery_key(fake, notifier):
    ts = notifier.post_card("C1", card(), key="card:1:abc")
    [call] = fake.calls_to("chat.postMessage")
    assert call.params["channel"] == "C1" and call.params["blocks"] and call.params["text"]
    assert call.params["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"key": "card:1:abc"}}
    assert call.params["unfurl_links"] is False and "thread_ts" not in call.params
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"
    assert ts == fake.posts("C1")[0]["ts"]


def test_digest_parent_then_cards_in_its_thread(fake, notifier):
    parent = notifier.post_digest("C1", sample_digest(), key="digest:1:2026-01-07")
    reply = notifier.post_card("C1", card(), thread_id=parent, key="digest-entry:1:x")
    note = notifier.post_text("C1", "3 more commits <!channel>", thread_id=parent)
    first, second, third = fake.calls_to("chat.postMessage")
    assert "thread_ts" not in first.params and second.params["thread_ts"] == parent == third.params["thread_ts"]
    assert "<!channel>" not in third.params["text"] and "&lt;!channel&gt;" in third.params["text"]
    assert len({parent, reply, note}) == 3


def test_429_waits_exactly_retry_after_then_posts_once(fake, notifier, policy):
    fake.rate_limit("chat.postMessage", retry_after=7, times=2)
    ts = notifier.post_card("C1", card())
    assert ts and len(fake.calls_to("chat.postMessage")) == 3 and len(fake.posts("C1")) == 1
    assert list(policy.waits) == [7.0, 7.0]


def test_rate_limit_beyond_the_budget_is_transient(fake, notifier, policy):
    fake.rate_limit("chat.postMessage", retry_after=1, times=4)
    with pytest.raises(TransientDeliveryError, match="ratelimited"):
        notifier.post_card("C1", card())
    assert len(fake.calls_to("chat.postMessage")) == 4 and list(policy.waits) == [1.0, 1.0, 1.0]
    fake.reset()
    fake.rate_limit("chat.postMessage", retry_after=3600)  # longer than we block for: give the slot back
    with pytest.raises(TransientDeliveryError):
        notifier.post_card("C1", card())
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_a_server_error_on_a_post_is_transient_and_not_repeated(fake, notifier, policy):
    # Slack may have posted before failing: the Deliverer checks find_delivered before posting again.
    fake.fail("chat.postMessage", status=503, body="upstream down")
    with pytest.raises(TransientDeliveryError, match="HTTP 503"):
        notifier.post_card("C1", card(), key="card:1:abc")
    assert len(fake.calls_to("chat.postMessage")) == 1 and list(policy.waits) == []


def test_server_errors_on_history_reads_are_retried_with_backoff(fake, notifier, policy):
    top = notifier.post_card("C1", card(), key="card:1:aaa")
    fake.fail("conversations.history", status=503, body="upstream down", times=2)
    assert notifier.find_delivered("C1", "card:1:aaa", SINCE) == top
    assert list(policy.waits) == [0.5, 1.0] and len(fake.calls_to("conversations.history")) == 3


def test_invalid_blocks_falls_back_to_text(fake, notifier):
    fake.fail("chat.postMessage", "invalid_blocks")
    ts = notifier.post_card("C1", card(), thread_id="1.2", key="card:1:abc")
    first, second = fake.calls_to("chat.postMessage")
    assert "blocks" in first.params and "blocks" not in second.params
    assert second.params["text"] == first.params["text"] and second.params["thread_ts"] == "1.2"
    assert second.params["metadata"]["event_payload"]["key"] == "card:1:abc"
    assert ts == fake.posts("C1")[0]["ts"]


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"])
def test_lost_channels_raise_channel_unavailable_with_the_reason(fake, notifier, error):
    fake.channel_errors["C1"] = error
    with pytest.raises(ChannelUnavailable) as caught:
        notifier.post_text("C1", "hello")
    assert caught.value.reason.startswith(f"{error}: ")


def test_other_refusals_are_permanent_failures(fake, notifier):
    fake.fail("chat.postMessage", "msg_too_long")
    with pytest.raises(DeliveryError) as caught:
        notifier.post_text("C1", "hello")
    assert not isinstance(caught.value, (TransientDeliveryError, ChannelUnavailable))


def test_unreachable_slack_is_transient(policy):
    notifier = SlackNotifier(make_client("xoxb-test-token", "http://127.0.0.1:9/api/", policy))
    with pytest.raises(TransientDeliveryError):
        notifier.post_text("C1", "hello")
    assert len(policy.waits) == 3


def test_find_delivered_looks_in_history_and_our_threads(fake, notifier):
    top = notifier.post_card("C1", card(), key="card:1:aaa")
    parent = notifier.post_digest("C1", sample_digest(), key="digest:1:2026-01-07")
    reply = notifier.post_card("C1", card(), thread_id=parent, key="digest-entry:1:2026-01-07:bbb")
    notifier.post_card("C2", card(), key="card:2:ccc")
    assert notifier.find_delivered("C1", "card:1:aaa", SINCE) == top
    assert notifier.find_delivered("C1", "digest-entry:1:2026-01-07:bbb", SINCE) == reply
    assert notifier.find_delivered("C1", "card:2:ccc", SINCE) is None
    assert notifier.find_delivered("C1", "card:1:aaa", datetime.now(UTC) + timedelta(hours=1)) is None
    history = fake.calls_to("conversations.history")[0].params
    assert history["include_all_metadata"] in ("true", "1", True) and history["channel"] == "C1"


@pytest.fixture
def west_of_utc():
    """The host's local time five hours behind UTC, as on a server in New York in winter."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "EST5"  # POSIX rule: needs no tz database
    time.tzset()
    naive = datetime(2026, 1, 8, 12, 0)
    assert naive.timestamp() - naive.replace(tzinfo=UTC).timestamp() == 5 * 3600
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_find_delivered_reads_a_naive_since_as_utc(fake, notifier, west_of_utc):
    # SQLite hands back naive datetimes that are UTC; read as local time they would point hours away.
    since = datetime.now(UTC) - timedelta(minutes=5)
    top = notifier.post_card("C1", card(), key="card:1:aaa")
    assert notifier.find_delivered("C1", "card:1:aaa", since.replace(tzinfo=None)) == top
    oldest = float(fake.calls_to("conversations.history")[0].params["oldest"])
    assert oldest == pytest.approx(since.timestamp() - 1, abs=1e-5)


def test_find_delivered_without_history_access_cannot_tell(fake, notifier):
    fake.history_error = "missing_scope"
    assert notifier.find_delivered("C1", "card:1:aaa", SINCE) is None
    fake.history_error = "channel_not_found"
    with pytest.raises(ChannelUnavailable):
        notifier.find_delivered("C1", "card:1:aaa", SINCE)


# --- with the real delivery and digest services ---


class CrashAfterPost:
    """The real notifier, but the process 'dies' right after Slack accepted the message."""

    platform = "slack"

    def __init__(self, inner: SlackNotifier) -> None:
        self.inner = inner

    def post_card(self, channel, card, thread_id=None, key=None):
        self.inner.post_card(channel, card, thread_id=thread_id, key=key)
        raise SystemExit("killed between post and record")

    def find_delivered(self, channel, key, since):
        return self.inner.find_delivered(channel, key, since)


def subscription(store, channel="C1") -> Subscription:
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel=channel,
                                                   repo=RepoRef.parse("octo/widgets"), timezone="Asia/Shanghai"))
    return sub


def test_a_crash_between_post_and_record_never_posts_twice(fake, notifier, store):
    sub = subscription(store)
    commit = make_commit(sha="ab" * 20)
    analysis = FakeAnalyser().analyse(commit, "zh")
    with pytest.raises(SystemExit):
        Deliverer(store, {"slack": CrashAfterPost(notifier)}, FakeClock()).deliver_card(sub, commit, analysis)
    assert len(fake.posts("C1")) == 1 and store.deliveries.pending()
    restarted = Deliverer(store, {"slack": notifier}, FakeClock())
    assert restarted.deliver_card(sub, commit, analysis) == DeliveryOutcome.ALREADY
    assert restarted.deliver_card(sub, commit, analysis) == DeliveryOutcome.ALREADY
    assert len(fake.posts("C1")) == 1 and store.deliveries.pending() == []
    assert store.deliveries.get(sub.id, "card", commit.sha).message_id == fake.posts("C1")[0]["ts"]


def test_crash_recovery_on_sqlite_west_of_utc_never_posts_twice(fake, notifier, store, west_of_utc):
    sub = subscription(store)
    commit = make_commit(sha="a1" * 20)
    analysis = FakeAnalyser().analyse(commit, "zh")
    with pytest.raises(SystemExit):
        Deliverer(store, {"slack": CrashAfterPost(notifier)}, FakeClock()).deliver_card(sub, commit, analysis)
    assert Deliverer(store, {"slack": notifier}, FakeClock()).deliver_card(sub, commit, analysis) == DeliveryOutcome.ALREADY
    assert len(fake.posts("C1")) == 1
    assert store.deliveries.get(sub.id, "card", commit.sha).message_id == fake.posts("C1")[0]["ts"]


def test_a_crash_before_posting_posts_on_retry(fake, notifier, store):
    sub = subscription(store)
    commit = make_commit(sha="cd" * 20)
    store.deliveries.claim(sub.id, "card", commit.sha, "slack", "C1")  # claimed, then the process died
    assert Deliverer(store, {"slack": notifier}, FakeClock()).deliver_card(
        sub, commit, FakeAnalyser().analyse(commit, "zh")) == DeliveryOutcome.SENT
    assert len(fake.posts("C1")) == 1


def test_removed_bot_pauses_the_subscription_with_the_reason(fake, notifier, store):
    sub = subscription(store)
    fake.channel_errors["C1"] = "not_in_channel"
    commit = make_commit(sha="ef" * 20)
    outcome = Deliverer(store, {"slack": notifier}, FakeClock()).deliver_card(
        sub, commit, FakeAnalyser().analyse(commit, "zh"))
    assert outcome == DeliveryOutcome.PAUSED
    paused = store.subscriptions.get(sub.id)
    assert paused.paused and paused.paused_reason.startswith("not_in_channel: the bot is not a member")


def test_daily_digest_is_a_parent_with_thread_replies(fake, notifier, store):
    sub = subscription(store)
    for n in range(3):
        store.commits.save(make_commit(n=n + 1, when=datetime(2026, 1, 7, 2 + n, tzinfo=UTC)), branch="main")
    clock = FakeClock(datetime(2026, 1, 8, 1, 0, tzinfo=UTC))
    service = DigestService(store, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock)
    assert service.deliver(sub, date(2026, 1, 7)).posted
    parent, *replies = fake.posts("C1")
    assert "thread_ts" not in parent and len(replies) == 3
    assert {reply["thread_ts"] for reply in replies} == {parent["ts"]}
    service.deliver(sub, date(2026, 1, 7))  # the scheduler firing again: nothing new is posted
    assert len(fake.posts("C1")) == 4
