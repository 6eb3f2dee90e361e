"""Delivery claims: in progress elsewhere is left alone, a crash leftover is recovered, timestamps are UTC."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from bot.domain import Importance, RepoRef, Subscription
from bot.domain.delivery import DeliveryOutcome, DeliveryState
from bot.render.rollup import RollupLine, RollupPart
from bot.service.delivery import Deliverer
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier, make_commit, rate_limited

REPO = RepoRef.parse("octo/widgets")


def subscribe(store) -> Subscription:
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    return sub


def card(n: int = 1):
    commit = make_commit(n=n)
    return commit, FakeAnalyser().analyse(commit, "en")


class GatedNotifier(FakeNotifier):
    """Signals when a post starts and holds it until released (a slow platform)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def post_card(self, channel, card, thread_id=None, key=None):
        self.entered.set()
        assert self.release.wait(5), "the test never released the post"
        return super().post_card(channel, card, thread_id=thread_id, key=key)


def test_a_claim_another_thread_is_posting_is_left_to_it(store):
    sub = subscribe(store)
    notifier = GatedNotifier()
    deliverer = Deliverer(store, {"slack": notifier}, FakeClock())
    commit, analysis = card()
    outcomes = []
    first = threading.Thread(target=lambda: outcomes.append(deliverer.deliver_card(sub, commit, analysis)))
    first.start()
    assert notifier.entered.wait(5)
    # Posting right now in the other thread.
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.DEFERRED
    notifier.release.set()
    first.join(5)
    assert outcomes == [DeliveryOutcome.SENT]
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.ALREADY
    assert len(notifier.sent) == 1


def test_a_fresh_claim_of_another_live_process_waits_for_the_lease(store):
    sub = subscribe(store)
    clock = FakeClock()
    notifier = FakeNotifier()
    deliverer = Deliverer(store, {"slack": notifier}, clock)
    commit, analysis = card()
    # Another process (started earlier, sharing the database) claims and is still posting.
    store.deliveries.claim_at(sub.id, "card", commit.sha, "slack", "C1", clock())
    clock.advance(minutes=9)
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.DEFERRED
    assert notifier.sent == []
    clock.advance(minutes=1)  # the lease ran out: that process died
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.SENT
    assert len(notifier.sent) == 1
    assert store.deliveries.pending() == []


def test_a_claim_left_by_a_killed_process_is_recovered_at_once_after_restart(store):
    sub = subscribe(store)
    clock = FakeClock()
    notifier = FakeNotifier()
    posted, unposted = card(1), card(2)
    store.deliveries.claim_at(sub.id, "card", posted[0].sha, "slack", "C1", clock())
    notifier.post_card("C1", None, key=f"card:{sub.id}:{posted[0].sha}")  # reached Slack, then kill -9
    store.deliveries.claim_at(sub.id, "card", unposted[0].sha, "slack", "C1", clock())  # killed before posting
    restarted = Deliverer(store, {"slack": notifier}, clock)  # no time passes: the lease does not matter
    assert restarted.deliver_card(sub, *posted) == DeliveryOutcome.ALREADY
    assert restarted.deliver_card(sub, *unposted) == DeliveryOutcome.SENT
    assert len(notifier.sent) == 2 and store.deliveries.pending() == []
    assert store.deliveries.get(sub.id, "card", posted[0].sha).message_id == "m1"


def test_own_deferred_claim_is_retried_by_the_next_cycle_without_waiting(store):
    sub = subscribe(store)
    notifier = FakeNotifier(fail_with=[rate_limited()])
    deliverer = Deliverer(store, {"slack": notifier}, FakeClock())
    commit, analysis = card()
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.DEFERRED
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.SENT
    assert len(notifier.sent) == 1


def test_hold_reserves_a_delivery_for_the_holding_thread(store):
    sub = subscribe(store)
    notifier = FakeNotifier()
    deliverer = Deliverer(store, {"slack": notifier}, FakeClock())
    commit, analysis = card()
    assert deliverer.hold(sub, "card", commit.sha)
    other = []
    thread = threading.Thread(target=lambda: other.append((deliverer.hold(sub, "card", commit.sha),
                                                           deliverer.deliver_card(sub, commit, analysis))))
    thread.start()
    thread.join(5)
    assert other == [(False, DeliveryOutcome.DEFERRED)] and notifier.sent == []
    assert deliverer.deliver_card(sub, commit, analysis) == DeliveryOutcome.SENT  # the holder posts it
    deliverer.release_held()
    assert deliverer.hold(sub, "card", commit.sha)  # sent: nothing left to hold against anyone
    assert len(notifier.sent) == 1


class RecordingSince(FakeNotifier):
    def __init__(self) -> None:
        super().__init__()
        self.since: list[datetime] = []

    def find_delivered(self, channel, key, since):
        self.since.append(since)
        return super().find_delivered(channel, key, since)


def test_timestamps_come_back_as_aware_utc(any_store):
    store = any_store
    sub = subscribe(store)
    clock = FakeClock(datetime(2026, 1, 8, 20, 0, tzinfo=timezone(timedelta(hours=8))))
    commit, analysis = card()
    record, _ = store.deliveries.claim_at(sub.id, "card", commit.sha, "slack", "C1", clock())
    assert record.created_at == datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
    assert record.created_at.utcoffset() == timedelta(0)
    notifier = RecordingSince()
    assert Deliverer(store, {"slack": notifier}, clock).deliver_card(sub, commit, analysis) == DeliveryOutcome.SENT
    assert notifier.since == [datetime(2026, 1, 8, 12, 0, tzinfo=UTC)]
    sent = store.deliveries.get(sub.id, "card", commit.sha)
    assert sent.sent_at is not None and sent.sent_at.utcoffset() == timedelta(0)


def test_states_are_stored_as_the_plain_text_they_always_were(any_store):
    # DeliveryState is a StrEnum so rows written by older versions still read back, with no migration.
    store = any_store
    sub = subscribe(store)
    sent, pending = card(1), card(2)
    assert Deliverer(store, {"slack": FakeNotifier()}, FakeClock()).deliver_card(sub, *sent) == DeliveryOutcome.SENT
    store.deliveries.claim(sub.id, "card", pending[0].sha, "slack", "C1")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT item, status FROM deliveries ORDER BY id")).all()
    assert [(item, status, type(status)) for item, status in rows] == [
        (sent[0].sha, "sent", str), (pending[0].sha, "pending", str)]
    assert store.deliveries.get(sub.id, "card", sent[0].sha).status is DeliveryState.SENT
    assert store.deliveries.count(DeliveryState.PENDING) == 1


def rollup_part(index: int = 0, title: str = "fix: a thing") -> RollupPart:
    commit = make_commit(n=index + 1)
    line = RollupLine(Importance.HIGH, commit.sha, commit.url, title)
    return RollupPart(language="en", repo="octo/widgets", index=index, total=2, count=2, limit=10, lines=(line,))


class RollupFakeNotifier(FakeNotifier):
    """A platform that renders roll-up parts itself."""

    def post_rollup(self, channel, part, thread_id=None, key=None):
        return self._post("rollup", channel, part, thread_id, key)


def test_a_roll_up_part_goes_out_once_and_its_message_id_threads_the_next(store):
    notifier = RollupFakeNotifier()
    deliverer = Deliverer(store, {"slack": notifier}, FakeClock())
    sub = subscribe(store)
    outcome, parent = deliverer.deliver_rollup(sub, "a:0:x", rollup_part(0))
    assert outcome == DeliveryOutcome.SENT and parent == notifier.sent[0].message_id
    assert deliverer.deliver_rollup(sub, "a:0:x", rollup_part(0)) == (DeliveryOutcome.ALREADY, parent)
    deliverer.deliver_rollup(sub, "a:1:y", rollup_part(1), thread_id=parent)
    assert [(s.kind, s.thread_id, s.key) for s in notifier.sent] == [
        ("rollup", None, f"rollup:{sub.id}:a:0:x"), ("rollup", parent, f"rollup:{sub.id}:a:1:y")]


def test_a_platform_without_roll_up_rendering_gets_the_part_as_plain_text_with_tokens_hidden(store):
    notifier = FakeNotifier()
    deliverer = Deliverer(store, {"slack": notifier}, FakeClock())
    token = "xoxb-" + "1234567890abcdefghij"
    outcome, _ = deliverer.deliver_rollup(subscribe(store), "a:0:x", rollup_part(0, f"fix: leaked {token}"))
    [sent] = notifier.sent
    assert outcome == DeliveryOutcome.SENT and sent.kind == "text"
    assert "fix: leaked" in sent.payload and token not in sent.payload and make_commit(n=1).sha[:7] in sent.payload
