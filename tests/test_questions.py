"""Questions about a commit: storage (which commit a thread is about, turns, the hourly count) and the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import RepoRef, Subscription
from bot.store.questions import Turn

REPO = RepoRef.parse("octo/widgets")
SHA = "a" * 40
OTHER = "b" * 40
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _sent(store, sub, kind, item, message_id):
    delivery, _ = store.deliveries.claim(sub.id, kind, item, sub.platform, sub.channel)
    store.deliveries.mark_sent(delivery.id, message_id)


def _turn(n: int, user: str = "U1", sha: str = SHA, thread: str = "111.1", at: datetime = T0) -> Turn:
    return Turn("slack", "C1", thread, user, REPO.full_name, sha, f"question {n}", f"answer {n}", at)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def qstore(request, backend):
    from bot.store import open_store

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


def test_a_delivered_card_and_digest_entry_name_their_commit_and_a_digest_its_entries(qstore):
    sub, _ = qstore.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    _sent(qstore, sub, "card", SHA, "100.1")
    _sent(qstore, sub, "digest", "2026-03-01", "200.1")
    _sent(qstore, sub, "digest-entry", f"2026-03-01:{SHA}", "200.2")
    _sent(qstore, sub, "digest-entry", f"2026-03-01:{OTHER}", "200.3")
    card = qstore.questions.post("slack", "C1", "100.1")
    assert (card.repo, card.shas, card.kind) == ("octo/widgets", (SHA,), "card")
    digest = qstore.questions.post("slack", "C1", "200.1")
    assert (digest.repo, digest.shas) == ("octo/widgets", (SHA, OTHER))
    assert qstore.questions.post("slack", "C1", "200.3").shas == (OTHER,)
    # Another channel's message with the same id, or a message the bot never posted, is not the bot's.
    assert qstore.questions.post("slack", "C2", "100.1") is None
    assert qstore.questions.post("slack", "C1", "999.9") is None


def test_a_remembered_post_names_its_commit_once(qstore):
    qstore.questions.remember_post("slack", "C1", "300.1", "octo/widgets", SHA.upper(), T0)
    qstore.questions.remember_post("slack", "C1", "300.1", "octo/other", OTHER, T0)  # kept once
    post = qstore.questions.post("slack", "C1", "300.1")
    assert (post.repo, post.shas) == ("octo/widgets", (SHA,))


def test_turns_come_back_oldest_first_per_commit_and_the_hourly_count_per_user(qstore):
    for n in range(6):
        qstore.questions.add_turn(_turn(n, at=T0 + timedelta(minutes=n)))
    qstore.questions.add_turn(_turn(9, sha=OTHER))
    qstore.questions.add_turn(_turn(8, user="U2", thread="222.2", at=T0 - timedelta(hours=2)))
    turns = qstore.questions.turns("slack", "C1", "111.1", SHA, 4)
    assert [turn.question for turn in turns] == ["question 2", "question 3", "question 4", "question 5"]
    assert turns[0].asked_at == T0 + timedelta(minutes=2)
    assert [turn.question for turn in qstore.questions.turns("slack", "C1", "111.1", OTHER, 4)] == ["question 9"]
    assert qstore.questions.asked_since("slack", "U1", T0 + timedelta(minutes=3)) == 3
    assert qstore.questions.asked_since("slack", "U1", T0) == 7
    assert qstore.questions.asked_since("slack", "U2", T0 - timedelta(hours=1)) == 0
    assert qstore.questions.asked_since("feishu", "U1", T0 - timedelta(hours=1)) == 0
