"""A chat outage loses no card: retries are bounded by time, not by how many polls or pushes come in between."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Importance, RepoRef, Subscription
from bot.service.notifier import DeliveryError, TransientDeliveryError
from bot.service.watcher import GIVE_UP_AFTER
from tests.fakes import make_commit

DOWN_REPO, OTHER_REPO = RepoRef.parse("octo/widgets"), RepoRef.parse("octo/other")
OUTAGE = TransientDeliveryError("Slack answered internal_error (HTTP 500)")


@pytest.fixture
def bot(testbot):
    """The testbot with channel DOWN (octo/widgets) answering 500 until told to recover, UP (octo/other) fine."""
    for channel, repo in (("DOWN", DOWN_REPO), ("UP", OTHER_REPO)):
        testbot.app.store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=repo,
                                                          branch="main", threshold=Importance.LOW))
    testbot.notifier().down["DOWN"] = OUTAGE
    return testbot


def cards_to(bot, channel) -> list[str]:
    return [sent.payload.sha for sent in bot.notifier().of_kind("card") if sent.channel == channel]


def test_a_card_survives_an_outage_with_pushes_arriving_every_5_seconds(bot):
    held = make_commit(repo="octo/widgets", n=1)
    bot.app.store.commits.save(held, branch="main")
    others = []
    for step in range(60):  # 300 s of outage; another repository is pushed to every 5 s
        other = make_commit(repo="octo/other", n=100 + step)
        others.append(other.sha)
        bot.app.store.commits.save(other, branch="main")
        bot.app.watcher.deliver_pending()
        assert cards_to(bot, "UP") == others  # the other channel gets each card in its own pass
        bot.clock.advance(seconds=5)
    assert cards_to(bot, "DOWN") == []
    del bot.notifier().down["DOWN"]
    for _ in range(130):  # recovery: the next retries (at most RETRY_MAX apart) post it, once
        bot.app.watcher.deliver_pending()
        bot.clock.advance(seconds=5)
    assert cards_to(bot, "DOWN") == [held.sha]
    assert bot.app.store.commits.unprocessed() == []


def test_ten_cards_survive_a_150_second_outage_at_a_5_second_poll(bot):
    start = bot.clock.now
    shas = []
    for n in range(10):
        commit = make_commit(repo="octo/widgets", n=n + 1)
        shas.append(commit.sha)
        bot.app.store.commits.save(commit, branch="main")
        bot.app.watcher.deliver_pending()
        bot.clock.advance(seconds=5)
    while bot.clock.now < start + timedelta(seconds=150):
        bot.app.watcher.deliver_pending()
        bot.clock.advance(seconds=5)
    del bot.notifier().down["DOWN"]
    for _ in range(130):
        bot.app.watcher.deliver_pending()
        bot.clock.advance(seconds=5)
    assert sorted(cards_to(bot, "DOWN")) == sorted(shas)
    assert len(cards_to(bot, "DOWN")) == 10


def listing(bot) -> str:
    return bot.send("/subscriptions", channel="DOWN").text


def test_a_card_failing_for_hours_is_given_up_with_its_reason_shown_and_counted(bot):
    start = bot.clock.now
    commit = make_commit(repo="octo/widgets", n=1)
    bot.app.store.commits.save(commit, branch="main")
    while bot.app.store.commits.unprocessed():
        bot.app.watcher.deliver_pending()
        bot.clock.advance(minutes=5)
        assert bot.clock.now - start <= GIVE_UP_AFTER + GIVE_UP_AFTER / 10, "never given up"
    assert cards_to(bot, "DOWN") == []
    text = listing(bot)
    assert "1 message could not be delivered here: still failing after 6 h: " in text
    assert "Slack answered internal_error (HTTP 500)" in text
    assert "given up after 6 h" in bot.app.store.commits.finished_reason(DOWN_REPO, commit.sha, "main")
    assert b'commit_radar_deliveries_given_up_total{kind="card",platform="slack"} 1.0' in bot.app.metrics.render()[0]


def test_a_refused_card_is_shown_in_subscriptions_and_counted(bot):
    bot.notifier().down["DOWN"] = DeliveryError("Slack refused: invalid_blocks")
    bot.app.store.commits.save(make_commit(repo="octo/widgets", n=1), branch="main")
    bot.app.watcher.deliver_pending()
    assert bot.app.store.commits.unprocessed() == []
    assert "1 message could not be delivered here: Slack refused: invalid_blocks" in listing(bot)
    assert b'commit_radar_deliveries_given_up_total{kind="card",platform="slack"} 1.0' in bot.app.metrics.render()[0]
