"""The Feishu app-bot notifier: lark-oapi talking to a fake Feishu Open API on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime

import pytest

from bot.chat.feishu.notifier import FeishuNotifier, build_client, request_uuid
from bot.chat.feishu.policy import FeishuRetry
from bot.domain import DeliveryOutcome, Subscription
from bot.render.card import build_card
from bot.service.delivery import Deliverer
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError
from tests.fake_feishu import FakeFeishu
from tests.fakes import FakeClock
from tests.samples import TZ, hostile_analysis, hostile_commit, sample_analysis, sample_commit, sample_digest

CHAT = "oc_team"


@pytest.fixture
def fake(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def notifier(fake, sleeps) -> FeishuNotifier:
    client = build_client(fake.app_id, fake.app_secret, fake.base_url, timeout=5)
    return FeishuNotifier(client, FeishuRetry(sleeper=sleeps.append, attempts=4, base_delay=1.0, max_wait=30))


def a_card(language: str = "en"):
    commit = sample_commit()
    return build_card(commit, sample_analysis(commit, language=language), TZ, language)


def test_card_goes_to_the_chat_as_card_json_2(fake, notifier):
    message_id = notifier.post_card(CHAT, a_card(), key="card:1:abc")

    assert message_id == fake.messages[0].message_id
    [create] = fake.calls_to("create")
    assert create.query == {"receive_id_type": "chat_id"}
    assert create.headers["Authorization"] == f"Bearer {fake.token}"
    assert create.body["receive_id"] == CHAT
    assert create.body["msg_type"] == "interactive"
    assert create.body["uuid"] == request_uuid("card:1:abc")
    assert len(create.body["uuid"]) <= 50
    card = fake.messages[0].content
    assert card["schema"] == "2.0"
    assert card["body"]["elements"]
    assert len(fake.calls_to("token")) == 1


def test_the_same_delivery_key_is_one_message_however_often_it_is_sent(fake, notifier):
    first = notifier.post_card(CHAT, a_card(), key="card:7:55c2665")
    again = notifier.post_card(CHAT, a_card(), key="card:7:55c2665")
    other = notifier.post_card(CHAT, a_card(), key="card:8:55c2665")

    assert first == again != other
    assert len(fake.calls_to("create")) == 3
    assert len(fake.messages) == 2
    assert len(fake.calls_to("token")) == 1  # the tenant token is cached


def test_digest_parent_then_per_commit_cards_as_thread_replies(fake, notifier):
    digest = sample_digest()
    parent = notifier.post_digest(CHAT, digest, key="digest:3:2026-01-08")
    replies = [notifier.post_card(CHAT, build_card(e.commit, e.analysis, TZ, "zh"), thread_id=parent,
                                  key=f"digest-card:3:{e.commit.sha}") for e in digest.entries]

    assert fake.messages[0].message_id == parent and fake.messages[0].chat_id == CHAT
    assert fake.messages[0].content["schema"] == "2.0"
    assert len(fake.calls_to("reply")) == len(digest.entries) == len(replies)
    for message in fake.messages[1:]:
        assert message.reply_to == parent
        assert message.reply_in_thread is True
        assert message.msg_type == "interactive"
    assert fake.calls_to("reply")[0].path == f"/open-apis/im/v1/messages/{parent}/reply"


def test_text_notice_cannot_mention_everyone(fake, notifier):
    notifier.post_text(CHAT, 'roll-up <at user_id="all">all</at> 3 more commits', key="rollup:1:x")

    [message] = fake.messages
    assert message.msg_type == "text"
    assert "<at" not in message.content["text"]
    assert "3 more commits" in message.content["text"]


def test_hostile_commit_text_stays_inert_in_the_card(fake, notifier):
    commit = hostile_commit()
    notifier.post_card(CHAT, build_card(commit, hostile_analysis(commit, language="en"), TZ, "en"))

    assert "<at " in commit.message  # the input really tries to mention everyone
    sent = fake.calls_to("create")[0].body["content"]
    assert "<at " not in sent and "<at>" not in sent


@pytest.mark.parametrize("code, words", [
    (230002, "not a member"),
    (232009, "dissolved"),
    (230035, "may not send"),
    (230027, "permission"),
])
def test_permission_errors_make_the_channel_unavailable(fake, notifier, code, words):
    fake.fail_next("create", 400, {"code": code, "msg": "refused"})

    with pytest.raises(ChannelUnavailable) as caught:
        notifier.post_card(CHAT, a_card(), key="card:1:x")
    assert words in caught.value.reason
    assert str(code) in caught.value.reason


def test_bot_removed_from_chat_pauses_the_subscription(fake, notifier, store):
    sub, _ = store.subscriptions.save(Subscription(platform="feishu", channel=CHAT, repo=sample_commit().repo))
    deliverer = Deliverer(store, {"feishu": notifier}, FakeClock())
    fake.fail_next("create", 400, {"code": 230002, "msg": "Bot is not in the chat"})

    commit = sample_commit()
    outcome = deliverer.deliver_card(sub, commit, sample_analysis(commit))

    assert outcome == DeliveryOutcome.PAUSED
    paused = store.subscriptions.get(sub.id)
    assert paused.paused and "not a member" in paused.paused_reason
    assert fake.messages == []


def test_delivery_records_the_feishu_message_id(fake, notifier, store):
    sub, _ = store.subscriptions.save(Subscription(platform="feishu", channel=CHAT, repo=sample_commit().repo))
    deliverer = Deliverer(store, {"feishu": notifier}, FakeClock())
    commit = sample_commit()

    assert deliverer.deliver_card(sub, commit, sample_analysis(commit)) == DeliveryOutcome.SENT
    assert deliverer.deliver_card(sub, commit, sample_analysis(commit)) != DeliveryOutcome.SENT

    record = store.deliveries.get(sub.id, "card", commit.sha)
    assert record.message_id == fake.messages[0].message_id
    assert len(fake.messages) == 1
    assert fake.calls_to("create")[0].body["uuid"] == request_uuid(f"card:{sub.id}:{commit.sha}")


def test_rate_limit_waits_for_the_reset_and_retries(fake, notifier, sleeps):
    fake.rate_limit_next("create", times=2, reset=3)

    message_id = notifier.post_card(CHAT, a_card(), key="card:1:y")

    assert message_id == fake.messages[0].message_id
    assert sleeps == [3.0, 3.0]
    assert len(fake.calls_to("create")) == 3
    assert len(fake.messages) == 1
    assert len({call.body["uuid"] for call in fake.calls_to("create")}) == 1  # retries keep the uuid


def test_rate_limit_beyond_the_retry_budget_is_transient(fake, notifier, sleeps):
    fake.rate_limit_next("create", times=10, reset=1)

    with pytest.raises(TransientDeliveryError, match="rate limited"):
        notifier.post_card(CHAT, a_card())
    assert len(fake.calls_to("create")) == 4
    assert sleeps == [1.0, 1.0, 1.0]
    assert fake.messages == []


def test_a_reset_longer_than_max_wait_is_not_slept(fake, notifier, sleeps):
    fake.rate_limit_next("create", times=1, reset=600)

    with pytest.raises(TransientDeliveryError, match="retry after 600s"):
        notifier.post_card(CHAT, a_card())
    assert sleeps == []
    assert len(fake.calls_to("create")) == 1


def test_per_chat_frequency_limit_backs_off(fake, notifier, sleeps):
    fake.fail_next("create", 400, {"code": 230020, "msg": "This operation triggers the frequency limit."}, times=2)

    notifier.post_text(CHAT, "hello")
    assert sleeps == [1.0, 2.0]
    assert len(fake.messages) == 1


def test_server_errors_and_html_pages_are_retried(fake, notifier, sleeps):
    fake.fail_next("create", 502, "<html>Bad Gateway</html>")
    fake.fail_next("create", 500, {"code": 1500, "msg": "internal error"})

    notifier.post_text(CHAT, "hello")
    assert len(fake.calls_to("create")) == 3
    assert sleeps == [1.0, 2.0]


def test_refused_card_falls_back_to_its_text(fake, notifier):
    fake.fail_next("create", 400, {"code": 230099, "msg": "Failed to create card content"})
    card = a_card()

    notifier.post_card(CHAT, card, key="card:2:z")

    [message] = fake.messages
    assert message.msg_type == "text"
    assert card.title.split()[0] in message.content["text"]


def test_other_refusals_are_permanent_delivery_errors(fake, notifier):
    fake.fail_next("create", 400, {"code": 230028, "msg": "The messages do NOT pass the audit."})

    with pytest.raises(DeliveryError) as caught:
        notifier.post_text(CHAT, "hello")
    assert not isinstance(caught.value, (ChannelUnavailable, TransientDeliveryError))
    assert "230028" in str(caught.value)


def test_wrong_app_secret_is_reported_not_paused(httpserver):
    fake = FakeFeishu(httpserver)
    client = build_client(fake.app_id, "wrong-secret", fake.base_url, timeout=5)
    notifier = FeishuNotifier(client, FeishuRetry(sleeper=lambda s: None))

    with pytest.raises(TransientDeliveryError, match="FEISHU_APP_SECRET"):
        notifier.post_text(CHAT, "hello")
    assert fake.calls_to("create") == []


def test_every_request_has_a_timeout():
    # A listening socket that never answers: the request must give up, not hang.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        client = build_client(f"cli_{uuid.uuid4().hex[:12]}", "s", f"http://127.0.0.1:{port}", timeout=0.2)
        notifier = FeishuNotifier(client, FeishuRetry(sleeper=lambda s: None, attempts=2))
        with pytest.raises(TransientDeliveryError, match="ReadTimeout"):
            notifier.post_text(CHAT, "hello")
    finally:
        silent.close()


def test_find_delivered_cannot_tell(notifier):
    assert notifier.find_delivered(CHAT, "card:1:abc", datetime.now(UTC)) is None
