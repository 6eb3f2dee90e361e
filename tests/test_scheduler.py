"""Scheduling logic with an injected clock: digest times in each timezone, catch-up, job sync."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

from apscheduler.schedulers.background import BackgroundScheduler

from bot.domain import RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService
from bot.service.scheduler import Scheduler, last_digest_time, missed_digest_day
from bot.service.subscribe import NewSubscriptionDefaults, SubscribeRequest, subscribe
from tests.fakes import FakeClock, FakeNotifier, FakeSource, GatedAnalyser, make_commit

REPO = RepoRef.parse("octo/widgets")


def sub(**options) -> Subscription:
    return Subscription(**{"platform": "slack", "channel": "C1", "repo": REPO, **options})


def test_last_digest_time_in_the_subscription_timezone():
    shanghai = sub(timezone="Asia/Shanghai", digest_time=time(9, 0))
    # 00:30 UTC is 08:30 in Shanghai: today's 09:00 has not come, so the last one was yesterday's.
    assert last_digest_time(shanghai, datetime(2026, 1, 8, 0, 30, tzinfo=UTC)).date() == date(2026, 1, 7)
    assert last_digest_time(shanghai, datetime(2026, 1, 8, 1, 0, tzinfo=UTC)).date() == date(2026, 1, 8)


def test_missed_digest_is_caught_up_only_when_recent_and_undelivered():
    s = sub(timezone="Europe/Berlin", digest_time=time(9, 0))
    two_hours_late = datetime(2026, 1, 8, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
    assert missed_digest_day(s, two_hours_late, delivered=False) == date(2026, 1, 7)
    assert missed_digest_day(s, two_hours_late, delivered=True) is None
    assert missed_digest_day(s, datetime(2026, 1, 8, 20, 0, tzinfo=UTC), delivered=False) is None


def test_digest_jobs_follow_subscription_changes(store):
    clock = FakeClock(datetime(2026, 1, 8, 3, 0, tzinfo=UTC))
    backend = BackgroundScheduler()
    scheduler = Scheduler(store, watcher=None, digests=None, clock=clock, poll_interval=60, scheduler=backend)
    scheduler.sync()
    assert scheduler.digest_job_ids() == set()
    first, _ = store.subscriptions.save(sub(timezone="Asia/Shanghai", digest_time=time(9, 0)))
    second, _ = store.subscriptions.save(sub(channel="C2", timezone="UTC", digest_time=time(18, 30)))
    scheduler.sync()
    assert scheduler.digest_job_ids() == {f"digest:{first.id}", f"digest:{second.id}"}
    trigger = backend.get_job(f"digest:{first.id}").trigger
    assert "hour='9'" in str(trigger) and "minute='0'" in str(trigger) and str(trigger.timezone) == "Asia/Shanghai"
    store.subscriptions.save(first.model_copy(update={"digest_time": time(7, 15)}))
    store.subscriptions.remove("slack", "C2", REPO)
    scheduler.sync()
    assert scheduler.digest_job_ids() == {f"digest:{first.id}"}
    assert "hour='7'" in str(backend.get_job(f"digest:{first.id}").trigger)
    store.subscriptions.set_paused(first.id, True, "not_in_channel")
    scheduler.sync()
    assert scheduler.digest_job_ids() == set()


def test_sync_schedules_a_catch_up_for_a_digest_missed_while_down(store):
    clock = FakeClock(datetime(2026, 1, 8, 10, 0, tzinfo=UTC))
    backend = BackgroundScheduler()
    scheduler = Scheduler(store, watcher=None, digests=None, clock=clock, poll_interval=60, scheduler=backend)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}").args == (s.id, date(2026, 1, 7))
    claim, _ = store.deliveries.claim(s.id, "digest", "2026-01-07", "slack", "C1")
    backend.remove_job(f"catch-up:{s.id}")
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is not None  # a pending claim is not a delivered digest
    store.deliveries.mark_sent(claim.id, "1.0")
    backend.remove_job(f"catch-up:{s.id}")
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is None


class RecordingWatcher:
    def __init__(self):
        self.cycles = []

    def run_cycle(self, pairs=None):
        self.cycles.append(pairs)


def test_push_requests_poll_only_watched_branches(store):
    watcher = RecordingWatcher()
    scheduler = Scheduler(store, watcher=watcher, digests=None, clock=FakeClock(), poll_interval=60,
                          scheduler=BackgroundScheduler())
    store.subscriptions.save(sub())
    now = datetime(2026, 1, 8, tzinfo=UTC)
    store.cursors.request_poll(RepoRef.parse("OCTO/Widgets"), "main", now)  # a push names it differently
    store.cursors.request_poll(REPO, "unwatched", now)
    assert scheduler.poll_requested() == 1
    assert watcher.cycles == [[(REPO, "main")]]
    assert scheduler.poll_requested() == 0 and len(watcher.cycles) == 1


def test_a_subscription_created_after_the_due_time_does_not_catch_up():
    s = sub(timezone="UTC", digest_time=time(9, 0), created_at=datetime(2026, 1, 8, 9, 30, tzinfo=UTC))
    assert missed_digest_day(s, datetime(2026, 1, 8, 10, 0, tzinfo=UTC), delivered=False) is None
    older = s.model_copy(update={"created_at": datetime(2026, 1, 1, 9, 30)})  # naive, as SQLite returns it
    assert missed_digest_day(older, datetime(2026, 1, 8, 10, 0, tzinfo=UTC), delivered=False) == date(2026, 1, 7)


def test_an_unfinished_digest_is_caught_up_until_settled_but_not_after_the_window(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 1, tzinfo=UTC))
    backend = BackgroundScheduler()
    scheduler = Scheduler(store, watcher=None, digests=None, clock=clock, poll_interval=60, scheduler=backend)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    parent, _ = store.deliveries.claim(s.id, "digest", "2026-01-07", "slack", "C1")
    store.deliveries.mark_sent(parent.id, "1.0")
    reply, _ = store.deliveries.claim(s.id, "digest-entry", f"2026-01-07:{'a' * 40}", "slack", "C1")
    store.deliveries.claim(s.id, "digest-entry", f"2026-01-06:{'b' * 40}", "slack", "C1")  # another day's
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is not None  # a reply was never posted
    backend.remove_job(f"catch-up:{s.id}")
    clock.advance(hours=6, minutes=1)
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is None  # too late now: re-runs are bounded
    clock.advance(hours=-6)
    store.deliveries.mark_failed(reply.id)
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is None  # every reply reached a final status


def test_a_running_digest_job_gets_no_catch_up_and_a_racing_one_posts_nothing_twice(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, 20, tzinfo=UTC))
    notifier, analyser = FakeNotifier(), GatedAnalyser()
    digests = DigestService(store, analyser, Deliverer(store, {"slack": notifier}, clock), clock)
    backend = BackgroundScheduler()
    scheduler = Scheduler(store, watcher=None, digests=digests, clock=clock, poll_interval=60, scheduler=backend)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    for n in (1, 2):
        store.commits.save(make_commit(n=n, when=datetime(2026, 1, 7, 10, n, tzinfo=UTC)), branch="main")
    cron = threading.Thread(target=scheduler._digest_job, args=[s.id])  # fired at 09:00, still building
    cron.start()
    assert analyser.entered.wait(5)
    scheduler.sync()  # the minutely sync
    assert backend.get_job(f"catch-up:{s.id}") is None
    # A catch-up queued just before the cron job started must not post the digest again either.
    catch_up = threading.Thread(target=scheduler._digest_job, args=[s.id, date(2026, 1, 7)])
    catch_up.start()
    analyser.release.set()
    cron.join(5)
    catch_up.join(5)
    assert len(notifier.of_kind("digest")) == 1 and len(notifier.of_kind("card")) == 2
    scheduler.sync()
    assert backend.get_job(f"catch-up:{s.id}") is None  # settled


def test_a_database_write_failure_is_one_line_with_its_cause(store, caplog):
    import logging

    from sqlalchemy.exc import OperationalError

    class ReadOnly:
        def run_cycle(self, pairs=None):
            raise OperationalError("INSERT INTO commits ...", {}, Exception("attempt to write a readonly database"))

    clock = FakeClock()
    scheduler = Scheduler(store, watcher=ReadOnly(), digests=None, clock=clock, poll_interval=60,
                          scheduler=BackgroundScheduler())
    source = FakeSource()
    source.add_repo(REPO.full_name)
    subscribe(SubscribeRequest(platform="slack", channel="C1", repo=REPO), source, store.subscriptions,
              NewSubscriptionDefaults(digest_time=time(9, 0), timezone="UTC", language="en"), clock)
    with caplog.at_level(logging.ERROR):
        assert scheduler.poll_requested() == 1  # the one subscribing asked for
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is None and "attempt to write a readonly database" in record.error
