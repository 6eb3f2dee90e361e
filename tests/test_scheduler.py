"""The ticks with an injected clock: digest times in each timezone, catch-up, polls handed out, failures one line."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, time

import pytest

from bot.domain import RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService
from bot.service.jobs import POLL_BATCH, Jobs, batch_pairs, deliver_job, digest_job, poll_batch_job, poll_job
from bot.service.pacing import Pacing
from bot.service.queue import Job
from bot.service.schedule import last_digest_time
from tests.fakes import FakeClock, FakeNotifier, GatedAnalyser, make_commit

REPO = RepoRef.parse("octo/widgets")


def sub(**options) -> Subscription:
    return Subscription(**{"platform": "slack", "channel": "C1", "repo": REPO, **options})


class RecordingQueue:
    """A JobQueue that keeps what was deferred (queueing locks honoured) and runs nothing by itself."""

    runs_jobs = True

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def defer(self, job: Job) -> bool:
        if job.queueing_lock is not None and any(j.queueing_lock == job.queueing_lock for j in self.jobs):
            return False
        self.jobs.append(job)
        return True

    def depth(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs:
            counts[job.queue] = counts.get(job.queue, 0) + 1
        return counts

    def take(self) -> list[Job]:
        jobs, self.jobs = self.jobs, []
        return jobs

    def current_job(self) -> str | None:
        return None

    def is_running(self, job_id: str) -> bool | None:
        return None


def jobs_for(store, clock, watcher=None, digests=None, rpm: int = 600) -> tuple[Jobs, RecordingQueue]:
    queue = RecordingQueue()
    pacing = Pacing(store, poll_interval=60, requests_per_minute=rpm, tick_seconds=5, jitter=lambda: 0.5)
    return Jobs(store=store, watcher=watcher, digests=digests, queue=queue, pacing=pacing, clock=clock), queue


def test_last_digest_time_in_the_subscription_timezone():
    shanghai = sub(timezone="Asia/Shanghai", digest_time=time(9, 0))
    # 00:30 UTC is 08:30 in Shanghai: today's 09:00 has not come, so the last one was yesterday's.
    assert last_digest_time(shanghai, datetime(2026, 1, 8, 0, 30, tzinfo=UTC)).date() == date(2026, 1, 7)
    assert last_digest_time(shanghai, datetime(2026, 1, 8, 1, 0, tzinfo=UTC)).date() == date(2026, 1, 8)


def test_a_due_digest_is_queued_once_for_its_day_in_the_subscription_timezone(store):
    clock = FakeClock(datetime(2026, 1, 8, 0, 59, tzinfo=UTC))  # 08:59 in Shanghai
    jobs, queue = jobs_for(store, clock)
    s, _ = store.subscriptions.save(sub(timezone="Asia/Shanghai", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    jobs.digest_tick()
    assert queue.take() == []  # the last run (yesterday 09:00 there) is a day old: past the catch-up window
    clock.advance(minutes=1)
    jobs.digest_tick()
    jobs.digest_tick()  # a second worker's tick: the waiting job's queueing lock keeps it to one
    assert [job.args for job in queue.take()] == [{"subscription": s.id, "day": "2026-01-07"}]


def test_a_missed_digest_is_caught_up_only_when_recent_and_not_settled(store):
    clock = FakeClock(datetime(2026, 1, 8, 10, 0, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    jobs.digest_tick()
    assert queue.take() == [digest_job(s.id, date(2026, 1, 7))]
    claim, _ = store.deliveries.claim(s.id, "digest", "2026-01-07", "slack", "C1")
    jobs.digest_tick()
    assert len(queue.take()) == 1  # a pending claim is not a delivered digest
    store.deliveries.mark_sent(claim.id, "1.0")
    jobs.digest_tick()
    assert queue.take() == []


def test_a_digest_is_not_caught_up_after_the_window_nor_for_a_newer_subscription_nor_when_paused(store):
    clock = FakeClock(datetime(2026, 1, 8, 15, 1, tzinfo=UTC))  # 6 h 1 min after 09:00
    jobs, queue = jobs_for(store, clock)
    store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0), created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    store.subscriptions.save(sub(channel="C2", timezone="UTC", digest_time=time(15, 0),
                                 created_at=datetime(2026, 1, 8, 15, 0, 30, tzinfo=UTC)))
    paused, _ = store.subscriptions.save(sub(channel="C3", timezone="UTC", digest_time=time(15, 0),
                                             created_at=datetime(2026, 1, 1)))  # naive, as SQLite returns it
    store.subscriptions.set_paused(paused.id, True, "not_in_channel")
    jobs.digest_tick()
    assert queue.take() == []


def test_an_unfinished_digest_is_queued_until_every_reply_is_settled(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 1, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    parent, _ = store.deliveries.claim(s.id, "digest", "2026-01-07", "slack", "C1")
    store.deliveries.mark_sent(parent.id, "1.0")
    reply, _ = store.deliveries.claim(s.id, "digest-entry", f"2026-01-07:{'a' * 40}", "slack", "C1")
    store.deliveries.claim(s.id, "digest-entry", f"2026-01-06:{'b' * 40}", "slack", "C1")  # another day's
    jobs.digest_tick()
    assert len(queue.take()) == 1  # a reply was never posted
    store.deliveries.mark_failed(reply.id)
    jobs.digest_tick()
    assert queue.take() == []  # every reply reached a final status


def test_two_workers_running_the_same_digest_post_it_once(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, 20, tzinfo=UTC))
    notifier, analyser = FakeNotifier(), GatedAnalyser()
    digests = DigestService(store, analyser, Deliverer(store, {"slack": notifier}, clock), clock)
    jobs, _ = jobs_for(store, clock, digests=digests)
    s, _ = store.subscriptions.save(sub(timezone="UTC", digest_time=time(9, 0),
                                        created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    for n in (1, 2):
        store.commits.save(make_commit(n=n, when=datetime(2026, 1, 7, 10, n, tzinfo=UTC)), branch="main")
    job = digest_job(s.id, date(2026, 1, 7))
    first = threading.Thread(target=jobs, args=(job.name, job.args))
    first.start()
    assert analyser.entered.wait(5)  # still building when the second one starts
    second = threading.Thread(target=jobs, args=(job.name, job.args))
    second.start()
    analyser.release.set()
    first.join(5)
    second.join(5)
    assert len(notifier.of_kind("digest")) == 1 and len(notifier.of_kind("card")) == 2


def test_the_tick_hands_out_due_branches_paced_and_the_ones_with_undelivered_commits(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock, rpm=12)  # 12 a minute: 0.8 of it in 5 s ticks is 1 poll a tick
    repos = [RepoRef.parse(f"octo/r{n}") for n in range(3)]
    for repo in repos:
        store.subscriptions.save(sub(repo=repo), restart_cursor_at=clock())
    jobs.tick()
    first = queue.take()
    assert [batch_pairs(job.args) for job in first] == [[(repos[0], "main")]]
    jobs.tick()
    second = queue.take()  # the workers take each tick's polls
    jobs.tick()
    assert len(second) == 1 and len(queue.take()) == 1  # the other two, one per tick: never the budget at once
    jobs.tick()
    assert queue.take() == []  # none due until the (stretched) interval has passed
    store.commits.save(make_commit(repo="octo/r1", n=1), branch="main")
    jobs.tick()
    # Undelivered commits (a failing channel, a crash): delivered again, without asking GitHub again.
    assert queue.take() == [deliver_job(repos[1], "main")]


def test_a_push_noted_by_a_web_process_is_polled_at_the_next_tick_under_the_spelling_of_the_subscription(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock)
    store.subscriptions.save(sub(), restart_cursor_at=clock())
    jobs.tick()
    queue.take()
    store.cursors.request_poll(REPO, "main", clock())
    store.cursors.request_poll(REPO, "unwatched", clock())
    jobs.tick()
    assert queue.take() == [poll_batch_job([(REPO, "main")])]


def test_a_push_to_a_worker_polls_and_delivers_that_branch_at_once(store):
    calls = []

    class Watcher:
        def run_cycle(self, pairs=None):
            calls.append(pairs)
            from bot.service.watcher import CycleReport
            return CycleReport()

    jobs, queue = jobs_for(store, FakeClock(), watcher=Watcher())
    jobs.request_poll(REPO, "main")
    [job] = queue.take()
    assert job == poll_job(REPO, "main") and job.lock == "branch:octo/widgets@main"
    jobs(job.name, job.args)
    assert calls == [[(REPO, "main")]]


def test_due_branches_go_out_in_batches_and_each_branch_with_news_gets_its_own_delivery(store):
    from bot.service.watcher import CycleReport

    clock = FakeClock(datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    polled: list[list[tuple[RepoRef, str]]] = []

    class Watcher:
        def poll(self, pairs):
            polled.append(pairs)
            return CycleReport(polled=len(pairs)), [pair for pair in pairs if pair[0].name in {"r3", "r40"}]

    jobs, queue = jobs_for(store, clock, watcher=Watcher(), rpm=1200)  # 80 polls a tick
    repos = [RepoRef.parse(f"octo/r{n}") for n in range(60)]
    for repo in repos:
        store.subscriptions.save(sub(repo=repo), restart_cursor_at=clock())
    assert jobs.tick() == 60
    batches = queue.take()
    assert [len(batch_pairs(job.args)) for job in batches] == [POLL_BATCH, POLL_BATCH, 60 - 2 * POLL_BATCH]
    assert {pair for job in batches for pair in batch_pairs(job.args)} == {(repo, "main") for repo in repos}
    for job in batches:
        jobs(job.name, job.args)
    assert sum(len(pairs) for pairs in polled) == 60
    assert queue.take() == [deliver_job(RepoRef.parse("octo/r3"), "main"), deliver_job(RepoRef.parse("octo/r40"), "main")]


def test_a_batch_round_trips_branch_names_with_slashes_and_at_signs():
    pairs = [(REPO, "release/2.x"), (RepoRef.parse("a-b/c.d_e"), "user@feature")]
    assert batch_pairs(poll_batch_job(pairs).args) == pairs


def test_the_interval_stretches_with_a_warning_when_the_branches_do_not_fit_the_budget(store, caplog):
    pacing = Pacing(store, poll_interval=300, requests_per_minute=500, tick_seconds=5)
    assert pacing.per_tick == 33 and pacing.effective_interval(1_000) == 300
    assert pacing.effective_interval(5_000) == pytest.approx(5_000 * 5 / 33)  # about 12.6 minutes
    seen = []
    stretched = Pacing(store, poll_interval=60, requests_per_minute=12, tick_seconds=5, on_interval=seen.append)
    for n in range(30):
        store.subscriptions.save(sub(repo=RepoRef.parse(f"octo/r{n}")))
    with caplog.at_level(logging.WARNING):
        stretched.claim_due(datetime(2026, 1, 8, tzinfo=UTC))
    assert seen == [150.0] and "poll interval stretched" in caplog.text


def test_a_database_write_failure_in_a_job_is_one_line_with_its_cause(store, caplog):
    from sqlalchemy.exc import OperationalError

    class ReadOnly:
        def run_cycle(self, pairs=None):
            raise OperationalError("INSERT INTO commits ...", {}, Exception("attempt to write a readonly database"))

    jobs, _ = jobs_for(store, FakeClock(), watcher=ReadOnly())
    job = poll_job(REPO, "main")
    with caplog.at_level(logging.ERROR):
        jobs(job.name, job.args)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is None and "attempt to write a readonly database" in record.error


def test_the_tick_hands_out_no_more_polls_while_a_ticks_worth_still_waits(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock, rpm=45)  # 3 polls a tick
    for n in range(8):
        store.subscriptions.save(sub(repo=RepoRef.parse(f"octo/r{n}")), restart_cursor_at=clock())
    jobs.tick()
    assert [len(batch_pairs(job.args)) for job in queue.jobs] == [3]
    jobs.tick()  # the workers are slower than the budget: nothing taken yet, so nothing more handed out
    assert len(queue.jobs) == 1
    queue.take()  # the batch ran
    jobs.tick()
    assert [len(batch_pairs(job.args)) for job in queue.jobs] == [3]
    queue.take()
    jobs.tick()
    assert [len(batch_pairs(job.args)) for job in queue.take()] == [2]  # the rest follow, oldest due first


def test_each_process_clock_defers_the_tick_of_its_five_second_slot(store):
    clock = FakeClock(datetime(2026, 1, 8, 9, 0, 1, tzinfo=UTC))
    jobs, queue = jobs_for(store, clock)
    slots = []
    for step in (0, 3, 2):  # another process's clock later in the same slot, then the next slot
        clock.advance(seconds=step)
        jobs.schedule_tick()
        slots += [(job.name, job.slot) for job in queue.take()]
    start = int(datetime(2026, 1, 8, 9, 0, 0, tzinfo=UTC).timestamp()) // 5
    assert slots == [("tick", start), ("tick", start), ("tick", start + 1)]  # the queue keeps one per slot
