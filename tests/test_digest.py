"""Digests: local-day windows, parent plus thread, once per day, on demand, empty days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.domain import Commit, Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService, day_window, previous_local_day
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier

REPO = RepoRef.parse("octo/widgets")


def commit_at(n: int, when: datetime) -> Commit:
    sha = f"{n:040x}"
    return Commit(repo=REPO, sha=sha, message=f"fix: thing {n}", author_name="Ada", committed_at=when,
                  url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,))


def make(store, **options):
    clock = FakeClock(datetime(2026, 1, 9, 1, 0, tzinfo=timezone.utc))
    notifier = FakeNotifier()
    analyser = FakeAnalyser()
    service = DigestService(store, analyser, Deliverer(store, {"slack": notifier}, clock), clock)
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO,
                                                   timezone="Asia/Shanghai", **options))
    return service, notifier, analyser, sub, clock


def test_window_is_the_local_calendar_day():
    start, end = day_window(date(2026, 1, 8), "Asia/Shanghai")
    assert start == datetime(2026, 1, 7, 16, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(days=1)
    start, end = day_window(date(2026, 3, 8), "America/New_York")  # DST starts: a 23-hour day
    assert end - start == timedelta(hours=23)
    assert previous_local_day(datetime(2026, 1, 8, 17, tzinfo=timezone.utc), "Asia/Shanghai") == date(2026, 1, 8)


def test_digest_posts_parent_then_replies_in_its_thread_once(store):
    service, notifier, analyser, sub, clock = make(store, threshold=Importance.HIGH)
    shanghai = timezone(timedelta(hours=8))
    store.commits.save(commit_at(1, datetime(2026, 1, 8, 0, 30, tzinfo=shanghai)), branch="main")
    store.commits.save(commit_at(2, datetime(2026, 1, 8, 23, 30, tzinfo=shanghai)), branch="main")
    store.commits.save(commit_at(3, datetime(2026, 1, 9, 0, 30, tzinfo=shanghai)), branch="main")  # next day
    store.commits.save(commit_at(4, datetime(2026, 1, 8, 12, 0, tzinfo=shanghai)), branch="dev")  # other branch
    outcome = service.deliver(sub, date(2026, 1, 8))
    assert outcome.posted and outcome.entries == 2
    parent = notifier.of_kind("digest")
    assert len(parent) == 1
    digest = parent[0].payload
    assert [entry.commit.sha for entry in digest.entries] == [f"{2:040x}", f"{1:040x}"]  # newest first
    replies = notifier.of_kind("card")
    assert len(replies) == 2 and {reply.thread_id for reply in replies} == {parent[0].message_id}
    again = service.deliver(sub, date(2026, 1, 8))
    assert again.posted and len(notifier.sent) == 3  # scheduled re-run: nothing new


def test_on_demand_digest_posts_again(store):
    service, notifier, analyser, sub, clock = make(store)
    store.commits.save(commit_at(1, datetime(2026, 1, 8, 3, 0, tzinfo=timezone.utc)), branch="main")
    service.deliver(sub, date(2026, 1, 8))
    clock.advance(seconds=5)
    service.deliver(sub, date(2026, 1, 8), force=True)
    assert len(notifier.of_kind("digest")) == 2 and len(notifier.of_kind("card")) == 2


def test_empty_day_note_or_skip(store):
    service, notifier, analyser, sub, clock = make(store)
    assert service.deliver(sub, date(2026, 1, 8)).posted
    assert len(notifier.of_kind("digest")) == 1 and notifier.of_kind("digest")[0].payload.entries == ()
    skip_sub, _ = store.subscriptions.save(sub.model_copy(update={"id": None, "channel": "C2",
                                                                  "empty_digest": "skip"}))
    outcome = service.deliver(skip_sub, date(2026, 1, 8))
    assert not outcome.posted and len(notifier.sent) == 1

