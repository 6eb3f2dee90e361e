"""The real application built in-process (tests/testbot.py): commands in, cards out, through bootstrap's wiring."""

from __future__ import annotations

from bot.domain import Card


def test_subscribe_then_a_push_posts_one_card_per_commit_above_the_threshold(testbot):
    repo = testbot.repo("octo/widgets")
    repo.commit("docs: first")
    reply = testbot.send("/subscribe octo/widgets --min medium")
    assert "octo/widgets" in reply.text and [sub.repo.full_name for sub in testbot.subscriptions()] == ["octo/widgets"]
    assert testbot.tick() == []  # a new subscription starts at the branch head

    repo.commit("fix: crash on start [high]")
    repo.commit("chore: tidy [low]")
    posted = testbot.tick()
    assert [(sent.kind, sent.channel) for sent in posted] == [("card", "C1")]
    card = posted[0].payload
    assert isinstance(card, Card) and card.title == "fix: crash on start [high]" and card.importance == "high"
    assert len(testbot.llm.calls) == 2  # each new commit analysed once
    assert testbot.tick() == [] and len(testbot.llm.calls) == 2  # nothing new: nothing posted, nothing asked


def test_commit_lookup_answers_with_the_card_and_asks_the_llm_once(testbot):
    repo = testbot.repo("octo/widgets")
    sha = repo.commit("feat: add the radar")
    first = testbot.send(f"/commit {sha[:7]} octo/widgets")
    again = testbot.send(f"/commit {sha} octo/widgets")
    assert [card.sha for card in first.cards] == [sha] == [card.sha for card in again.cards]
    assert len(testbot.llm.calls) == 1


def test_a_bad_command_gets_usage_and_touches_nothing(testbot):
    reply = testbot.send("/commit zz-not-a-sha")
    assert "Usage: /commit" in reply.text
    assert testbot.github.count() == 0 and testbot.llm.calls == []


def test_every_platform_is_wired_into_delivery(testbot):
    assert sorted(testbot.app.deliverer.platforms) == ["console", "feishu", "feishu_webhook", "slack"]
    assert all(platform.inbound is not None for platform in testbot.platforms.values())
