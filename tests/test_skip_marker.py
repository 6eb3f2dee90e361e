"""The skip marker: `[skip radar]` / `[radar skip]` in a message means no card and no digest entry, only a count."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain import Commit, FileChange, Importance, RepoRef, Subscription
from bot.domain.filters import skip_marked
from bot.render import labels as L
from bot.render.console import digest_text
from bot.render.feishu import digest_card
from bot.render.markdown import report
from bot.render.slack import digest_message
from bot.service.delivery import Deliverer
from bot.service.digest import DigestDay, DigestService, build_digest
from bot.service.watcher import Watcher, WatchLimits
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier

REPO = RepoRef.parse("octo/widgets")


def commit(n: int, message: str, hour: int = 10) -> Commit:
    sha = f"{n:040x}"
    return Commit(repo=REPO, sha=sha, message=message, author_name="Ada", committed_at=datetime(2026, 1, 8, hour,
                  tzinfo=UTC), url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,),
                  files=(FileChange(filename="src/app.py", additions=3),))


@pytest.mark.parametrize(("message", "marked"), [
    ("fix: typo [skip radar]", True),
    ("[radar skip] chore: bump", True),
    ("feat: thing\n\nbody\n\n[Skip Radar]", True),
    ("chore: x [RADAR  SKIP]", True),
    ("ci: [skip ci]", False),
    ("docs: skip radar for now", False),
    ("fix: [skip radars]", False),
    ("", False),
])
def test_the_marker_anywhere_in_the_message_any_case(message, marked):
    assert skip_marked(message) is marked


def test_a_marked_commit_is_not_wanted_but_is_still_followed():
    sub = Subscription(platform="slack", channel="C1", repo=REPO)
    marked = commit(1, "fix: quiet [skip radar]")
    assert not sub.wants(marked, "main")
    assert sub.wants(marked, "main", skipped_too=True)
    assert not sub.wants(marked, "dev", skipped_too=True)  # the other filters still apply


def test_the_watcher_posts_no_card_and_asks_no_analysis_for_a_marked_commit(store):
    clock, notifier, analyser = FakeClock(), FakeNotifier(), FakeAnalyser()
    watcher = Watcher(store, source=None, analyser=analyser, deliverer=Deliverer(store, {"slack": notifier}, clock),
                      clock=clock, limits=WatchLimits(max_cards_per_poll=10))
    store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO, threshold=Importance.LOW))
    store.commits.save(commit(1, "feat: loud"), branch="main")
    store.commits.save(commit(2, "feat: quiet\n\n[radar skip]"), branch="main")
    watcher.deliver_pending()
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [f"{1:040x}"]
    assert [sha for sha, _ in analyser.calls] == [f"{1:040x}"]
    assert store.commits.unprocessed() == []


def test_the_digest_leaves_marked_commits_out_and_counts_them(store):
    clock, notifier, analyser = FakeClock(datetime(2026, 1, 9, 1, tzinfo=UTC)), FakeNotifier(), FakeAnalyser()
    service = DigestService(store, analyser, Deliverer(store, {"slack": notifier}, clock), clock)
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO,
                                                   ignore_authors=["bot"]))
    store.commits.save(commit(1, "feat: loud"), branch="main")
    store.commits.save(commit(2, "feat: quiet [skip radar]"), branch="main")
    store.commits.save(commit(3, "docs: also quiet [radar skip]", hour=11), branch="main")
    ignored = commit(4, "chore: by the bot [skip radar]").model_copy(update={"author_name": "bot"})
    store.commits.save(ignored, branch="main")  # filtered out by the subscription: not counted at all
    outcome = service.deliver(sub, date(2026, 1, 8))
    assert outcome.posted and outcome.entries == 1
    digest = notifier.of_kind("digest")[0].payload
    assert [entry.commit.sha for entry in digest.entries] == [f"{1:040x}"] and digest.skipped == 2
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [f"{1:040x}"]
    assert [sha for sha, _ in analyser.calls] == [f"{1:040x}"]  # marked commits cost no analysis


def test_a_day_of_only_marked_commits_is_an_empty_day(store):
    clock, notifier = FakeClock(datetime(2026, 1, 9, 1, tzinfo=UTC)), FakeNotifier()
    service = DigestService(store, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock)
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO, empty_digest="skip"))
    store.commits.save(commit(1, "feat: quiet [skip radar]"), branch="main")
    outcome = service.deliver(sub, date(2026, 1, 8))
    assert not outcome.posted and notifier.sent == []


def test_the_report_counts_marked_commits_without_analysing_them():
    analyser = FakeAnalyser()
    listed = [commit(1, "feat: loud"), commit(2, "chore: quiet [skip radar]")]
    wanted = DigestDay(REPO, None, date(2026, 1, 8), "UTC", "en")
    digest = build_digest(wanted, lambda start, end: listed, analyser)
    assert [entry.commit.sha for entry in digest.entries] == [f"{1:040x}"] and digest.skipped == 1
    assert analyser.calls == [(f"{1:040x}", "en")]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_rendering_shows_the_skipped_count_and_none_when_there_is_none(language):
    listed = [commit(1, "feat: loud"), commit(2, "chore: quiet [skip radar]")]
    wanted = DigestDay(REPO, "main", date(2026, 1, 8), "UTC", language)
    digest = build_digest(wanted, lambda start, end: listed, FakeAnalyser())
    note = L.counted(language, "skipped_count", 1, count=1)
    assert note and note in str(digest_message(digest)) and note in str(digest_card(digest))
    assert note in digest_text(digest) and note in report([digest], digest.day, language)
    clean = build_digest(wanted, lambda start, end: listed[:1], FakeAnalyser())
    for text in (str(digest_message(clean)), str(digest_card(clean)), digest_text(clean),
                 report([clean], clean.day, language)):
        assert note not in text
