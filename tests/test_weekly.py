"""Weekly digests: when they are due, which week they cover, what the thread carries, their keys and storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from bot.domain import ChangeType, Commit, FileChange, Importance, RepoRef, Subscription
from bot.domain.values import parse_week, week_label
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService, digest_settled, week_window
from bot.service.jobs import Jobs, digest_job
from bot.service.pacing import Pacing
from bot.service.schedule import last_digest_time
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier
from tests.test_scheduler import RecordingQueue

REPO = RepoRef.parse("octo/widgets")
W48 = date(2026, 11, 23)  # Monday of ISO week 2026-W48
SHANGHAI = timezone(timedelta(hours=8))


def sub(**options) -> Subscription:
    return Subscription(**{"platform": "slack", "channel": "C1", "repo": REPO, "digest_every": "week",
                           "created_at": datetime(2026, 1, 1, tzinfo=UTC), **options})


def commit_at(n: int, when: datetime, files: tuple[tuple[str, int], ...] = (("src/app.py", 1),),
              message: str | None = None) -> Commit:
    sha = f"{n:040x}"
    return Commit(repo=REPO, sha=sha, message=message or f"change {n}", author_name="Ada", committed_at=when,
                  url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,),
                  files=tuple(FileChange(filename=name, additions=lines) for name, lines in files))


class TypedAnalyser(FakeAnalyser):
    """FakeAnalyser with a change type per SHA too."""

    def __init__(self, importance, change_type=None) -> None:
        super().__init__(importance)
        self.change_type = change_type or {}

    def analyse(self, commit, language):
        analysis = super().analyse(commit, language)
        return analysis.model_copy(update={"change_type": self.change_type.get(commit.sha, ChangeType.FEATURE)})


def test_iso_weeks_parse_and_label():
    assert parse_week("2026-W48") == W48 and parse_week("2026-w01") == date(2025, 12, 29)
    assert week_label(date(2027, 1, 1)) == "2026-W53" and week_label(W48 + timedelta(days=6)) == "2026-W48"
    for bad in ("2026-W54", "2025-W53", "2026-48", "2026-W4", "W48"):
        with pytest.raises(ValueError):
            parse_week(bad)


def test_a_week_window_is_seven_local_days():
    start, end = week_window(W48, "Asia/Shanghai")
    assert start == datetime(2026, 11, 22, 16, tzinfo=UTC) and end - start == timedelta(days=7)
    start, end = week_window(date(2026, 3, 2), "America/New_York")  # the week DST starts in
    assert end - start == timedelta(days=7, hours=-1)


def test_the_last_weekly_due_time_is_on_its_weekday():
    monday = sub(digest_time=time(9, 0))
    assert last_digest_time(monday, datetime(2026, 11, 25, 12, tzinfo=UTC)) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert last_digest_time(monday, datetime(2026, 11, 30, 8, 59, tzinfo=UTC)).date() == date(2026, 11, 23)
    assert last_digest_time(monday, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)).date() == date(2026, 11, 30)
    friday = sub(digest_on="fri", digest_time=time(17, 30), timezone="Asia/Shanghai")
    due = last_digest_time(friday, datetime(2026, 11, 30, 1, tzinfo=UTC))  # Monday 09:00 in Shanghai
    assert due.date() == date(2026, 11, 27) and due.hour == 17 and due.minute == 30


def jobs_for(store, clock, digests=None):
    queue = RecordingQueue()
    pacing = Pacing(store, poll_interval=60, requests_per_minute=600, tick_seconds=5, jitter=lambda: 0.5)
    return Jobs(store=store, watcher=None, digests=digests, queue=queue, pacing=pacing, clock=clock), queue


def test_a_weekly_digest_is_queued_on_its_day_for_the_last_full_week_and_daily_keys_stay(store):
    clock = FakeClock(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # Monday 09:30 in Shanghai
    jobs, queue = jobs_for(store, clock)
    weekly, _ = store.subscriptions.save(sub(timezone="Asia/Shanghai", digest_time=time(9, 0)))
    friday, _ = store.subscriptions.save(sub(channel="C2", timezone="Asia/Shanghai", digest_on="fri"))
    daily, _ = store.subscriptions.save(sub(channel="C3", digest_every="day", timezone="Asia/Shanghai"))
    jobs.digest_tick()
    queued = queue.take()
    assert queued == [digest_job(weekly.id, W48, weekly=True), digest_job(daily.id, date(2026, 11, 29))]
    assert queued[0].args == {"subscription": weekly.id, "week": "2026-W48"}
    assert queued[0].queueing_lock == f"digest:{weekly.id}:2026-W48"
    assert queued[1].args == {"subscription": daily.id, "day": "2026-11-29"}  # daily jobs as before
    assert queued[1].queueing_lock == f"digest:{daily.id}:2026-11-29"
    clock.now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # Tuesday: the Monday digest is past catching up
    jobs.digest_tick()
    assert [job.args for job in queue.take()] == [{"subscription": daily.id, "day": "2026-11-30"}]
    clock.now = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)  # Friday 09:30: the Friday one covers W48 too
    jobs.digest_tick()
    assert digest_job(friday.id, W48, weekly=True) in queue.take()


def test_a_weekly_digest_is_not_due_for_a_subscription_made_after_its_time(store):
    clock = FakeClock(datetime(2026, 11, 30, 10, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock)
    store.subscriptions.save(sub(created_at=datetime(2026, 11, 30, 9, 30, tzinfo=UTC)))
    jobs.digest_tick()
    assert queue.take() == []


def week_service(store, analyser=None, **options):
    clock = FakeClock(datetime(2026, 11, 30, 2, tzinfo=UTC))
    notifier = FakeNotifier()
    service = DigestService(store, analyser or FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock)
    saved, _ = store.subscriptions.save(sub(timezone="Asia/Shanghai", **options))
    return service, notifier, saved, clock


def test_the_week_s_parent_holds_every_commit_and_its_thread_only_the_high_ones_once(store):
    inside = [commit_at(1, datetime(2026, 11, 23, 0, 10, tzinfo=SHANGHAI)),
              commit_at(2, datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)),
              commit_at(3, datetime(2026, 11, 29, 23, 50, tzinfo=SHANGHAI))]
    outside = [commit_at(4, datetime(2026, 11, 22, 23, 50, tzinfo=SHANGHAI)),
               commit_at(5, datetime(2026, 11, 30, 0, 10, tzinfo=SHANGHAI))]
    for item in inside + outside:
        store.commits.save(item, branch="main")
    analyser = FakeAnalyser({inside[0].sha: Importance.HIGH, inside[2].sha: Importance.HIGH,
                             inside[1].sha: Importance.LOW})
    service, notifier, saved, clock = week_service(store, analyser)
    outcome = service.deliver(saved, W48, weekly=True)
    assert outcome.posted and outcome.entries == 3
    [parent] = notifier.of_kind("digest")
    assert parent.payload.weekly and parent.payload.day == W48
    assert {entry.commit.sha for entry in parent.payload.entries} == {item.sha for item in inside}
    replies = notifier.of_kind("card")
    assert sorted(reply.payload.sha for reply in replies) == sorted([inside[0].sha, inside[2].sha])
    assert {reply.thread_id for reply in replies} == {parent.message_id}
    assert store.deliveries.get(saved.id, "digest", "2026-W48").status == "sent"
    for high in (inside[0], inside[2]):
        assert store.deliveries.get(saved.id, "digest-entry", f"2026-W48:{high.sha}").status == "sent"
    assert store.deliveries.get(saved.id, "digest-entry", f"2026-W48:{inside[1].sha}") is None
    assert digest_settled(store, saved.id, W48, weekly=True)
    assert not digest_settled(store, saved.id, W48)  # the daily digest of that Monday is another one
    service.deliver(saved, W48 + timedelta(days=3), weekly=True)  # any day of the week names the week
    assert len(notifier.sent) == 3


def test_the_weekly_job_delivers_the_week(store):
    store.commits.save(commit_at(1, datetime(2026, 11, 24, 12, tzinfo=SHANGHAI)), branch="main")
    analyser = FakeAnalyser({f"{1:040x}": Importance.HIGH})
    service, notifier, saved, clock = week_service(store, analyser)
    jobs, queue = jobs_for(store, clock, digests=service)
    job = digest_job(saved.id, W48, weekly=True)
    jobs(job.name, job.args)
    assert len(notifier.of_kind("digest")) == 1 and notifier.of_kind("digest")[0].payload.weekly
    assert len(notifier.of_kind("card")) == 1
    jobs.digest_tick()
    assert queue.take() == []  # settled: not queued again


def test_an_empty_week_follows_the_empty_day_rule(store):
    service, notifier, saved, clock = week_service(store)
    assert service.deliver(saved, W48, weekly=True).posted
    assert notifier.of_kind("digest")[0].payload.entries == ()
    skipping, _ = store.subscriptions.save(saved.model_copy(update={"id": None, "channel": "C9",
                                                                    "empty_digest": "skip"}))
    outcome = service.deliver(skipping, W48, weekly=True)
    assert not outcome.posted and len(notifier.sent) == 1
    assert digest_settled(store, skipping.id, W48, weekly=True)


def test_weekly_options_round_trip(any_store):
    saved, _ = any_store.subscriptions.save(sub(digest_on="thu"))
    assert (saved.digest_every, saved.digest_on) == ("week", "thu")
    again, created = any_store.subscriptions.save(saved.model_copy(update={"digest_every": "day"}))
    assert not created and any_store.subscriptions.get(saved.id).digest_every == "day"
    assert Subscription(platform="slack", channel="C", repo=REPO).digest_every == "day"
    with pytest.raises(ValueError):
        Subscription(platform="slack", channel="C", repo=REPO, digest_on="monday-ish")


def test_subscriptions_from_before_weekly_digests_stay_daily(sqlite_url):
    from sqlalchemy import text

    from bot.store import open_store
    from bot.store.db import make_engine
    from tests.test_store import _upgrade

    _upgrade(sqlite_url, "0004")
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO subscriptions (platform, channel, repo, branch, threshold, digest_time, timezone, "
            "language, paths, ignore_authors, include_merges, all_commits, empty_digest, paused, created_at) VALUES "
            "('slack', 'C1', 'octo/widgets', 'main', 'high', '09:00', 'UTC', 'en', '[]', '[]', 1, 0, 'note', 0, "
            ":now)"), {"now": datetime(2026, 1, 1, tzinfo=UTC)})
    engine.dispose()
    store = open_store(sqlite_url)
    try:
        [old] = store.subscriptions.list()
        assert (old.digest_every, old.digest_on) == ("day", "mon")
    finally:
        store.close()
