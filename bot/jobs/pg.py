"""The job queue on PostgreSQL, through procrastinate: any number of workers, each job run once.

procrastinate claims jobs with `FOR UPDATE SKIP LOCKED`, keeps `lock` (no two jobs with one lock
run at once) and `queueing_lock` (one waiting job per key), wakes workers at once with
LISTEN/NOTIFY, and records each worker's heartbeat, so a job whose worker died is known stalled
and is retried (`retry_stalled`). Jobs are sync functions; procrastinate runs them in threads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bot.service.queue import DIGEST, POLL, QUEUES, TICK, Job, JobRunner

log = logging.getLogger(__name__)
# One advisory lock key for "installing procrastinate's schema": processes starting at once take turns.
SCHEMA_LOCK = 7_426_031_771
# A worker whose heartbeat is older than this is stalled; its running jobs are retried.
STALLED_AFTER = 30.0
HEARTBEAT = 5.0
# Workers each process runs: one for the poll and tick queues, one for digests (see _work).
WORKER_GROUPS = 2
# /healthz fails when this process's job loop has not run for this long.
LATE = 45.0


def conninfo(database_url: str) -> str:
    """libpq's form of a SQLAlchemy PostgreSQL URL (`postgresql+psycopg://` → `postgresql://`)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def install_schema(engine: Engine) -> None:
    """Create procrastinate's tables and functions once; concurrent starts wait for each other."""
    from procrastinate.schema import SchemaManager

    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return
        conn.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
        log.info("job queue schema installed")


class PostgresQueue:
    """procrastinate's App: defers from any process, runs workers in the worker role."""

    def __init__(self, database_url: str, concurrency: Mapping[str, int]) -> None:
        import procrastinate

        self._concurrency = dict(concurrency)
        # Two apps on purpose. Once a connector's async pool is open (the workers' event loop), its sync
        # calls run that pool's coroutines on whatever loop the calling thread has, which hangs from the
        # scheduler's and the HTTP server's threads. So defers and queries from any thread go through
        # `app`, a plain sync pool, and only the workers' loop uses `_workers_app`.
        self.app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(
            conninfo=conninfo(database_url), min_size=1, max_size=8))
        self.app.open()
        self._workers_app = procrastinate.App(connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(database_url), min_size=1, max_size=4))
        self._runner: JobRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._local = threading.local()
        self._failed: BaseException | None = None
        self._name = f"commit-radar-{uuid.uuid4().hex[:8]}"
        self._beat_at = time.monotonic()
        self._closed = False

    def defer(self, job: Job) -> bool:
        """Queue `job`; False when one with its queueing lock already waits."""
        from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation

        if job.slot is not None:
            from procrastinate import sql

            # procrastinate's own once-per-timestamp record of periodic defers, shared by every process. It
            # keeps only the newest slot: a later one recorded means this clock is behind, and is not asked.
            connector = self.app.connector.get_sync_connector()
            later = connector.execute_query_all(
                "SELECT 1 FROM procrastinate_periodic_defers WHERE task_name = %(name)s AND periodic_id = %(name)s "
                "AND defer_timestamp >= %(slot)s", name=job.name, slot=job.slot)
            if later:
                return False
            try:
                row = connector.execute_query_one(
                    sql.queries["defer_periodic_job"], task_name=job.name, periodic_id=job.name,
                    defer_timestamp=job.slot, queue=job.queue, priority=0, lock=job.lock,
                    queueing_lock=job.queueing_lock, args=dict(job.args))
            except UniqueViolation:  # the one of an earlier slot still waits (its queueing lock)
                return False
            return row["id"] is not None
        deferrer = self.app.configure_task(name=job.name, queue=job.queue, lock=job.lock,
                                           queueing_lock=job.queueing_lock)
        try:
            deferrer.defer(**dict(job.args))
        except AlreadyEnqueued:
            return False
        return True

    def depth(self) -> dict[str, int]:
        """Jobs waiting, by queue."""
        rows = self.app.job_manager.list_queues()
        return {row["name"]: int(row["todo"]) for row in rows if row["todo"]}

    @property
    def runs_jobs(self) -> bool:
        """Always: some worker takes what is deferred here."""
        return True

    def current_job(self) -> str | None:
        """The id of the job running on this thread, if any (a delivery claim's owner)."""
        return getattr(self._local, "job_id", None)

    def is_running(self, job_id: str) -> bool | None:
        """True while job `job_id` runs on a worker whose heartbeat is fresh (not stalled)."""
        if not job_id.startswith("pg:"):
            return None
        query = ("SELECT 1 FROM procrastinate_jobs job JOIN procrastinate_workers worker "
                 "ON worker.id = job.worker_id WHERE job.id = %(id)s AND job.status = 'doing' "
                 "AND worker.last_heartbeat > NOW() - make_interval(secs => %(stalled)s)")
        rows = self.app.connector.get_sync_connector().execute_query_all(
            query, id=int(job_id[3:]), stalled=STALLED_AFTER)
        return bool(rows)

    def live_workers(self) -> int:
        """Worker processes with a fresh heartbeat (at least 1, for a process about to start its own)."""
        # procrastinate_workers keeps ids and heartbeats, not the names given to run_worker_async; every
        # process runs one worker per group of _work, so processes are fresh rows over groups, rounded up
        # for a process whose workers are half started or half stopped.
        rows = self.app.connector.get_sync_connector().execute_query_all(
            "SELECT count(*) AS fresh FROM procrastinate_workers "
            "WHERE last_heartbeat > NOW() - make_interval(secs => %(stalled)s)", stalled=STALLED_AFTER)
        fresh = int(rows[0]["fresh"]) if rows else 0
        return max(1, -(-fresh // WORKER_GROUPS))

    def retry_stalled(self) -> int:
        """Put the running jobs of stalled workers (no heartbeat for STALLED_AFTER) back in their queue; how many."""
        from procrastinate import sql
        from procrastinate.exceptions import UniqueViolation

        # The same rule as procrastinate's get_stalled_jobs, whose only form is async (and this is a job thread).
        query = ("SELECT job.id, job.task_name FROM procrastinate_jobs job LEFT JOIN procrastinate_workers worker "
                 "ON worker.id = job.worker_id WHERE job.status = 'doing' AND (job.worker_id IS NULL OR "
                 "worker.last_heartbeat < NOW() - make_interval(secs => %(stalled)s))")
        connector = self.app.connector.get_sync_connector()
        stalled = connector.execute_query_all(query, stalled=STALLED_AFTER)
        now = datetime.now(UTC)
        retried = 0
        for row in stalled:
            try:
                self.app.job_manager.retry_job_by_id(row["id"], retry_at=now)
                retried += 1
                log.warning("stalled job retried", extra={"job": row["task_name"], "job_id": row["id"]})
            except UniqueViolation:
                # The same work already waits (a tick queued it again): this copy is ended instead, which
                # also frees its lock for the one waiting.
                connector.execute_query(sql.queries["finish_job"], job_id=row["id"], status="failed",
                                        delete_job=False)
                log.warning("stalled job ended: the same job already waits", extra={"job": row["task_name"],
                                                                                   "job_id": row["id"]})
        return retried

    def start(self, runner: JobRunner) -> None:
        """Run workers for every queue on a background event loop (each queue with its concurrency)."""
        self._runner = runner
        for name in runner.names:
            self._register(name)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="job-workers", daemon=True)
        self._thread.start()
        ready.wait(30)

    def stop(self) -> None:
        """Stop taking jobs; running jobs finish (procrastinate's graceful shutdown). Safe to call twice."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            for task in self._workers:
                try:
                    loop.call_soon_threadsafe(task.cancel)
                except RuntimeError:  # the loop closed between the check and the call: nothing left to stop
                    break
        if self._thread is not None:
            self._thread.join(60)
        if not self._closed:
            self._closed = True
            self.app.close()

    def alive(self) -> None:
        """Raise when the workers have ended, their heartbeat is late (a stalled loop), or the database is gone."""
        if self._closed:  # stopped here (its thread may still be winding down): not alive, whatever it says
            raise RuntimeError("job workers stopped: the queue was closed")
        if self._thread is not None and not self._thread.is_alive():
            raise RuntimeError(f"job workers stopped: {type(self._failed).__name__ if self._failed else 'ended'}")
        if self._thread is not None and time.monotonic() - self._beat_at > LATE:
            raise RuntimeError(f"the job loop has not run for {time.monotonic() - self._beat_at:.0f} s")
        self.app.check_connection()

    def _register(self, name: str) -> None:
        def run(context: Any, **args: Any) -> None:
            self._local.job_id = f"pg:{context.job.id}"
            try:
                assert self._runner is not None
                self._runner(name, args)
            finally:
                self._local.job_id = None

        self._workers_app.task(name=name, queue=POLL, pass_context=True)(run)

    def _serve(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._work(ready))
        except BaseException as exc:  # recorded for /healthz, logged in full
            self._failed = exc
            log.exception("job workers failed")

    async def _work(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        # procrastinate runs sync jobs on the loop's default executor, which asyncio sizes from the CPU
        # count (6 threads on 2 cores): give it one thread per job the workers may run at once.
        threads = sum(self._concurrency.get(queue, 1) for queue in (POLL, DIGEST)) + 2
        self._loop.set_default_executor(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job"))
        # Digests on workers of their own: a minute with hundreds of digests due never holds back a card.
        groups = {(POLL, TICK): self._concurrency.get(POLL, 8) + 1, (DIGEST,): self._concurrency.get(DIGEST, 2)}
        assert set(QUEUES) == {queue for group in groups for queue in group}
        async with self._workers_app.open_async():
            self._workers = [asyncio.create_task(self._workers_app.run_worker_async(
                queues=list(queues), concurrency=concurrency, name=f"{self._name}-{'-'.join(queues)}",
                install_signal_handlers=False, update_heartbeat_interval=HEARTBEAT,
                stalled_worker_timeout=STALLED_AFTER, delete_jobs="successful"))
                for queues, concurrency in groups.items()]
            beat = asyncio.create_task(self._beat())
            ready.set()
            await asyncio.gather(*self._workers, return_exceptions=True)
            beat.cancel()

    async def _beat(self) -> None:
        # The loop's own pulse: a loop blocked (or a thread wedged) stops it, and /healthz sees it late.
        while True:
            self._beat_at = time.monotonic()
            await asyncio.sleep(HEARTBEAT)
