"""A chat outage loses no card: retries are bounded by time, not by how many polls or pushes come in between."""

from __future__ import annotations

from bot.chat.commands import CommandHandler, CommandServices
from bot.chat.commands.model import CommandContext, Defaults
from bot.domain import Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.metrics import Metrics
from bot.service.notifier import DeliveryError, TransientDeliveryError
from bot.service.watcher import GIVE_UP_AFTER, Watcher
from tests.fakes import FakeAnalyser, FakeClock, FakeDigests, FakeNotifier, FakeSource, make_commit

DOWN_REPO, OTHER_REPO = RepoRef.parse("octo/widgets"), RepoRef.parse("octo/other")


class Outage(FakeNotifier):
    """A chat platform whose channel DOWN answers 500 until told to recover."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.refuse = False

    def _post(self, kind, channel, payload, thread_id, key):
        if channel == "DOWN" and self.refuse:
            raise DeliveryError("Slack refused: invalid_blocks")
        if channel == "DOWN" and self.down:
            raise TransientDeliveryError("Slack answered internal_error (HTTP 500)")
        return super()._post(kind, channel, payload, thread_id, key)


def world(store):
    clock, notifier, metrics = FakeClock(), Outage(), Metrics()
    deliverer = Deliverer(store, {"slack": notifier}, clock, metrics)
    watcher = Watcher(store, None, FakeAnalyser(), deliverer, clock, metrics=metrics)
    for channel, repo in (("DOWN", DOWN_REPO), ("UP", OTHER_REPO)):
        store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=repo, branch="main",
                                              threshold=Importance.LOW))
    return clock, notifier, watcher, metrics


def cards_to(notifier, channel) -> list[str]:
    return [sent.payload.sha for sent in notifier.of_kind("card") if sent.channel == channel]


def test_a_card_survives_an_outage_with_pushes_arriving_every_5_seconds(store):
    clock, notifier, watcher, _ = world(store)
    held = make_commit(repo="octo/widgets", n=1)
    store.commits.save(held, branch="main")
    others = []
    for step in range(60):  # 300 s of outage; another repository is pushed to every 5 s
        other = make_commit(repo="octo/other", n=100 + step)
        others.append(other.sha)
        store.commits.save(other, branch="main")
        watcher.deliver_pending()
        assert cards_to(notifier, "UP") == others  # the other channel gets each card in its own pass
        clock.advance(seconds=5)
    assert cards_to(notifier, "DOWN") == []
    notifier.down = False
    for _ in range(130):  # recovery: the next retries (at most RETRY_MAX apart) post it, once
        watcher.deliver_pending()
        clock.advance(seconds=5)
    assert cards_to(notifier, "DOWN") == [held.sha]
    assert store.commits.unprocessed() == []


def test_ten_cards_survive_a_150_second_outage_at_a_5_second_poll(store):
    clock, notifier, watcher, _ = world(store)
    shas = []
    for n in range(10):
        commit = make_commit(repo="octo/widgets", n=n + 1)
        shas.append(commit.sha)
        store.commits.save(commit, branch="main")
        watcher.deliver_pending()
        clock.advance(seconds=5)
    while clock.now < FakeClock().now.replace(minute=2, second=30):
        watcher.deliver_pending()
        clock.advance(seconds=5)
    notifier.down = False
    for _ in range(130):
        watcher.deliver_pending()
        clock.advance(seconds=5)
    assert sorted(cards_to(notifier, "DOWN")) == sorted(shas)
    assert len(cards_to(notifier, "DOWN")) == 10


def listing(store) -> str:
    handler = CommandHandler(CommandServices(store=store, source=FakeSource(), analyser=FakeAnalyser(),
                                             digests=FakeDigests(), defaults=Defaults(language="en")))
    return handler.handle("/subscriptions", CommandContext(platform="slack", channel="DOWN", user_id="U1")).text


def test_a_card_failing_for_hours_is_given_up_with_its_reason_shown_and_counted(store):
    clock, notifier, watcher, metrics = world(store)
    commit = make_commit(repo="octo/widgets", n=1)
    store.commits.save(commit, branch="main")
    while store.commits.unprocessed():
        watcher.deliver_pending()
        clock.advance(minutes=5)
        assert clock.now - FakeClock().now <= GIVE_UP_AFTER + GIVE_UP_AFTER / 10, "never given up"
    assert cards_to(notifier, "DOWN") == []
    text = listing(store)
    assert "1 message could not be delivered here: still failing after 6 h: " in text
    assert "Slack answered internal_error (HTTP 500)" in text
    assert "given up after 6 h" in store.commits.finished_reason(DOWN_REPO, commit.sha, "main")
    assert b'commit_radar_deliveries_given_up_total{kind="card",platform="slack"} 1.0' in metrics.render()[0]


def test_a_refused_card_is_shown_in_subscriptions_and_counted(store):
    clock, notifier, watcher, metrics = world(store)
    notifier.refuse = True
    store.commits.save(make_commit(repo="octo/widgets", n=1), branch="main")
    watcher.deliver_pending()
    assert store.commits.unprocessed() == []
    assert "1 message could not be delivered here: Slack refused: invalid_blocks" in listing(store)
    assert b'commit_radar_deliveries_given_up_total{kind="card",platform="slack"} 1.0' in metrics.render()[0]
