"""Jobs: the in-process queue's locks, claims owned by jobs, analyses in parallel, a push polled at once, and
the PostgreSQL queue shared by several workers."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain import Importance, RepoRef, Subscription
from bot.domain.delivery import DeliveryOutcome
from bot.jobs.local import LocalQueue
from bot.service.delivery import Deliverer
from bot.service.queue import POLL, Job
from tests.fakes import FakeClock, FakeNotifier, make_commit
from tests.testbot import make_testbot

REPO = RepoRef.parse("octo/widgets")


class Recorder:
    """A job runner that records each job and can hold jobs until released."""

    names = ("work",)

    def __init__(self, queue=None, gate: threading.Event | None = None) -> None:
        self.ran: list[tuple[str, object, str | None]] = []
        self.queue = queue
        self.gate = gate
        self.in_flight = self.peak = 0
        self.lock = threading.Lock()
        self.entered = threading.Semaphore(0)

    def __call__(self, name, args):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        self.entered.release()
        if self.gate is not None:
            self.gate.wait(10)
        with self.lock:
            self.in_flight -= 1
            self.ran.append((name, args.get("n"), self.queue.current_job() if self.queue else None))


def test_the_local_queue_runs_a_lock_one_at_a_time_and_keeps_one_waiting_job_per_queueing_lock():
    queue = LocalQueue({POLL: 4})
    gate = threading.Event()
    runner = Recorder(queue, gate)
    queue.start(runner)
    assert queue.defer(Job("work", {"n": 1}, lock="branch:a", queueing_lock="poll:a"))
    assert queue.defer(Job("work", {"n": 2}, lock="branch:a", queueing_lock="poll:a2"))
    assert queue.defer(Job("work", {"n": 3}, lock="branch:b"))
    assert not queue.defer(Job("work", {"n": 4}, lock="branch:a", queueing_lock="poll:a2"))  # one waits already
    assert runner.entered.acquire(timeout=10) and runner.entered.acquire(timeout=10)  # a and b are running
    assert not runner.entered.acquire(timeout=0.2)  # the second a waits for the first
    gate.set()
    assert queue.drain(10)
    assert sorted(n for _, n, _ in runner.ran) == [1, 2, 3]
    assert runner.peak == 2  # a and b at once; the second a only after the first
    job_ids = [job_id for _, _, job_id in runner.ran]
    assert len(set(job_ids)) == 3 and not any(queue.is_running(job_id) for job_id in job_ids)
    queue.stop()


def test_a_pending_claim_is_left_to_its_running_job_and_recovered_once_that_job_is_over(store):
    class Owners:
        running: set[str] = {"pg:7"}
        current: str | None = "pg:7"

        def current_job(self):
            return self.current

        def is_running(self, job_id):
            return job_id in self.running

    owners, clock, notifier = Owners(), FakeClock(), FakeNotifier()
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO,
                                                   threshold=Importance.LOW))
    commit = make_commit()
    worker_a = Deliverer(store, {"slack": notifier}, clock, owners=owners)
    claim, _ = store.deliveries.claim_at(sub.id, "card", commit.sha, "slack", "C1", clock(), "pg:7")
    # Worker B starts later (every claim so far is older than it) while job 7 still runs on worker A.
    owners.current = "pg:8"
    worker_b = Deliverer(store, {"slack": notifier}, clock, owners=owners)
    from tests.fakes import FakeAnalyser

    analysis = FakeAnalyser().analyse(commit, "zh")
    assert worker_b.deliver_card(sub, commit, analysis) == DeliveryOutcome.DEFERRED
    assert notifier.sent == []
    # Job 7 posted, then its worker died before recording it: job 8 finds the post and does not repeat it.
    notifier.sent.append(type("Sent", (), {"channel": "C1", "key": f"card:{sub.id}:{commit.sha}",
                                            "message_id": "m-posted"})())
    owners.running = set()
    assert worker_b.deliver_card(sub, commit, analysis) == DeliveryOutcome.ALREADY
    record = store.deliveries.get(sub.id, "card", commit.sha)
    assert record.status == "sent" and record.message_id == "m-posted"
    assert worker_a is not worker_b


def test_a_burst_is_analysed_in_parallel_up_to_the_concurrency(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/bot.db", llm_concurrency=4)
    gate, entered = threading.Event(), threading.Semaphore(0)
    in_flight, peak, lock = [0], [0], threading.Lock()
    complete = bot.llm.complete

    def slow_complete(messages, mode, max_output_tokens):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        entered.release()
        gate.wait(10)
        with lock:
            in_flight[0] -= 1
        return complete(messages, mode, max_output_tokens)

    bot.llm.complete = slow_complete
    try:
        repo = bot.repo("octo/widgets")
        repo.commit("docs: first")
        bot.send("/subscribe octo/widgets --min low")
        bot.tick()
        for n in range(6):
            repo.commit(f"fix: change {n}")
        ticking = threading.Thread(target=bot.tick)
        ticking.start()
        for _ in range(4):
            assert entered.acquire(timeout=10)
        time.sleep(0.2)  # room for a fifth call, were the limit not kept
        assert peak[0] == 4
        gate.set()
        ticking.join(20)
        assert len(bot.llm.calls) == 6 and len(bot.notifier().of_kind("card")) == 6
        titles = [sent.payload.title for sent in bot.notifier().of_kind("card")]
        assert titles == [f"fix: change {n}" for n in range(6)]  # cards in commit order
    finally:
        gate.set()
        bot.app.close()


def test_a_push_webhook_polls_the_branch_at_once_without_waiting_for_a_tick(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/bot.db")
    try:
        repo = bot.repo("octo/widgets")
        repo.commit("docs: first")
        bot.send("/subscribe octo/widgets --min low")
        bot.tick()
        bot.app.queue.start(bot.app.jobs)  # the worker role, without the clock's ticks
        repo.commit("fix: crash on start")
        assert bot.push_event("octo/widgets", "main") == 202
        assert bot.app.queue.drain(20)
        assert [sent.payload.title for sent in bot.notifier().of_kind("card")] == ["fix: crash on start"]
    finally:
        bot.app.close()


def test_scheduled_polls_go_out_in_batches_and_only_branches_with_news_are_delivered(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/bot.db")
    try:
        repos = [bot.repo(f"octo/r{n}") for n in range(30)]
        for repo in repos:
            repo.commit("docs: first")
            bot.send(f"/subscribe {repo.full_name} --min low")
        bot.tick()  # cursors start at the heads
        ran: list[str] = []
        jobs = bot.app.jobs

        class Counting:
            names = jobs.names

            def __call__(self, name, args):
                ran.append(name)
                jobs(name, args)

        bot.app.queue.start(Counting())
        repos[7].commit("fix: crash on start")
        bot.clock.advance(seconds=3600)  # every branch due
        assert jobs.tick() == 30
        assert bot.app.queue.drain(20)
        assert sorted(ran) == ["deliver", "poll_batch", "poll_batch"]  # 30 branches, 25 a batch; one with news
        assert [sent.payload.title for sent in bot.notifier().of_kind("card")] == ["fix: crash on start"]
    finally:
        bot.app.close()


@pytest.mark.postgres
def test_workers_sharing_postgresql_post_each_card_once_and_run_each_branch_one_job_at_a_time(
        fake_github, postgres_url):
    bots = [make_testbot(fake_github, postgres_url) for _ in range(3)]
    first = bots[0]
    try:
        repos = [first.repo(f"octo/r{n}") for n in range(4)]
        for repo in repos:
            repo.commit("docs: first")
            first.send(f"/subscribe {repo.full_name} --min low", channel="C1")
            first.send(f"/subscribe {repo.full_name} --min low", channel="C2")
        first.tick()  # cursors start at the heads
        for bot in bots:
            bot.app.queue.start(bot.app.jobs)
        for repo in repos:
            for n in range(3):
                repo.commit(f"fix: {repo.full_name} change {n}")
        for bot in bots:  # every worker's tick fires: each branch is polled by one of them
            bot.app.jobs.tick()
        expected = {(channel, f"fix: {repo.full_name} change {n}") for repo in repos for n in range(3)
                    for channel in ("C1", "C2")}

        def posted():
            return [(sent.channel, sent.payload.title) for bot in bots for sent in bot.notifier().of_kind("card")]

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(posted()) < len(expected):
            time.sleep(0.1)
        time.sleep(0.5)  # anything posted twice would arrive in this time
        assert sorted(posted()) == sorted(expected)  # every card exactly once, across the three workers
        assert sum(len(bot.llm.calls) for bot in bots) == 12  # one analysis per commit
    finally:
        for bot in bots:
            bot.app.close()


def test_claims_name_their_job_in_the_store(store):
    clock = FakeClock(datetime(2026, 1, 8, tzinfo=UTC))
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    record, created = store.deliveries.claim_at(sub.id, "card", "a" * 40, "slack", "C1", clock(), "local:x:1")
    assert created and record.claimed_by == "local:x:1"
    store.deliveries.take_over(record.id, "local:y:2")
    assert store.deliveries.get(sub.id, "card", "a" * 40).claimed_by == "local:y:2"


def test_a_worker_serves_health_and_metrics_and_no_chat_or_webhook_endpoint(testbot):
    from werkzeug.test import Client

    app = testbot.app
    assert app.ops_router.paths == ["/healthz", "/metrics"]
    client = Client(app.ops_router)
    assert client.get("/slack/events").status_code == 404 and client.get("/github/webhook").status_code == 404
    repo = testbot.repo("octo/widgets")
    repo.commit("docs: first")
    testbot.send("/subscribe octo/widgets --min low")
    testbot.app.jobs("poll", {"repo": "octo/widgets", "branch": "main"})
    text = client.get("/metrics").get_data(as_text=True)
    for name in ("commit_radar_github_requests_total ", "commit_radar_analysis_llm_requests_total ",
                 "commit_radar_poll_seconds_count ", "commit_radar_polls_total{"):
        assert name in text, name
    assert "# TYPE commit_radar_github_requests_total counter" in text
    app.health["scheduler"] = app.scheduler.alive  # as the worker role adds it
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json["checks"]["scheduler"].startswith("fail")  # not started


@pytest.fixture
def pg_queue(postgres_url):
    """A PostgresQueue on a fresh schema (its store, for looking at the tables), stopped afterwards."""
    from bot.jobs.pg import PostgresQueue, install_schema
    from bot.store import open_store

    store = open_store(postgres_url)
    install_schema(store.engine)
    queue = PostgresQueue(postgres_url, {POLL: 2})
    yield queue, store
    queue.stop()
    store.close()


@pytest.mark.postgres
def test_a_postgresql_worker_is_alive_while_its_loop_runs_and_not_once_stopped(pg_queue):
    queue, _ = pg_queue
    queue.start(Recorder())
    queue.alive()
    assert queue.live_workers() == 1
    queue.stop()
    with pytest.raises(RuntimeError, match="job workers stopped"):
        queue.alive()


@pytest.mark.postgres
def test_a_running_postgresql_worker_takes_defers_and_health_checks_from_any_thread(pg_queue):
    queue, _ = pg_queue
    runner = Recorder(queue)
    queue.start(runner)
    answered = []

    def from_another_thread(n: int) -> None:  # as the scheduler's and the HTTP server's threads do
        queue.alive()
        queue.defer(Job("work", {"n": n}))
        answered.append((queue.depth(), queue.live_workers()))

    threads = [threading.Thread(target=from_another_thread, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(answered) == 5
    for _ in range(5):
        assert runner.entered.acquire(timeout=20)
    assert sorted(n for _, n, _ in runner.ran) == [0, 1, 2, 3, 4]
    queue.stop()  # and once more by the fixture, as Application.close after the scheduler's stop does


@pytest.mark.postgres
def test_a_stalled_job_whose_work_was_queued_again_is_ended_not_retried_and_the_tick_goes_on(pg_queue):
    from sqlalchemy import text

    queue, store = pg_queue
    assert queue.defer(Job("work", {"n": 1}, queueing_lock="poll:a", lock="branch:a"))
    with store.engine.begin() as conn:  # its worker took it, then died (kill -9): no heartbeat for an hour
        worker = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                   "VALUES (NOW() - INTERVAL '1 hour') RETURNING id")).scalar()
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker"), {"worker": worker})
    assert queue.defer(Job("work", {"n": 2}, queueing_lock="poll:a", lock="branch:a"))  # a tick queued it again
    assert queue.retry_stalled() == 0
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT args->>'n', status::text FROM procrastinate_jobs")).all())
    assert statuses == {"1": "failed", "2": "todo"}
    assert queue.retry_stalled() == 0  # nothing stalled is left


@pytest.mark.postgres
def test_a_slotted_job_is_deferred_once_per_slot_by_any_number_of_processes(pg_queue, postgres_url):
    from sqlalchemy import text

    from bot.jobs.pg import PostgresQueue

    first, store = pg_queue
    second = PostgresQueue(postgres_url, {POLL: 1})
    try:
        tick = Job("tick", queue="tick", lock="tick", queueing_lock="tick")
        # Two processes' clocks fire in the same 5 s slot, one after the other ran it: one tick, not two.
        assert first.defer(replace(tick, slot=100))
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))  # the first one ran and was deleted
        assert not second.defer(replace(tick, slot=100))
        assert not first.defer(replace(tick, slot=99))  # a late clock's older slot
        assert second.defer(replace(tick, slot=101))
        assert not first.defer(replace(tick, slot=102))  # slot 101's tick still waits: its queueing lock
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 1
    finally:
        second.stop()


def test_the_in_process_queue_defers_a_slotted_job_once_per_slot():
    queue = LocalQueue({"tick": 1})
    tick = Job("tick", queue="tick")
    assert queue.defer(replace(tick, slot=7))
    assert not queue.defer(replace(tick, slot=7)) and not queue.defer(replace(tick, slot=6))
    assert queue.defer(replace(tick, slot=8))
    queue.stop(0)


def test_a_bursts_analyses_start_while_its_later_commits_are_still_being_fetched(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/bot.db")
    try:
        repo = bot.repo("octo/widgets")
        repo.commit("docs: first")
        bot.send("/subscribe octo/widgets --min low")
        bot.tick()
        shas = [repo.commit(f"fix: change {n}") for n in range(6)]
        analysing = threading.Event()
        complete = bot.llm.complete

        def llm(*args, **kwargs):
            analysing.set()
            return complete(*args, **kwargs)

        bot.llm.complete = llm
        detail = fake_github._detail
        early: list[bool] = []

        def last_detail_waits(request, fake_repo, ref, query):
            # GitHub's request budget paces a burst's details: the last one arrives long after the first.
            if ref == shas[-1]:
                early.append(analysing.wait(5))
            return detail(request, fake_repo, ref, query)

        fake_github._detail = last_detail_waits
        bot.tick()
        assert early == [True]  # the LLM was asked before the burst's last commit was even fetched
        assert len(bot.llm.calls) == 6 and len(bot.notifier().of_kind("card")) == 6
    finally:
        bot.app.close()
