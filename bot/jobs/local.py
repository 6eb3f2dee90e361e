"""The in-process job queue of the embedded default (`run` on SQLite): the same jobs, one process.

Each queue has its own threads, so the LLM or a digest never holds back a card. A job whose lock
is held waits for the running one and then runs; a job whose queueing lock already waits is
dropped. Nothing here is durable, and nothing needs to be: a job's effect is in the database (new
commits, delivery keys, cursors) and the periodic ticks re-create any work a crash left.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

from bot.service.queue import Job, JobRunner

log = logging.getLogger(__name__)
# Job ids name this process: a claim left by another process's in-process job is known abandoned.
PROCESS = uuid.uuid4().hex[:12]


class LocalQueue:
    """Thread pools per queue with locks and queueing locks, in memory."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self._sizes = sizes
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._runner: JobRunner | None = None
        self._guard = threading.Condition()
        self._waiting_keys: set[str] = set()
        self._running_locks: set[str] = set()
        self._behind_lock: dict[str, deque[Job]] = defaultdict(deque)
        self._queued: dict[str, int] = defaultdict(int)
        self._busy = 0
        self._stopped = False
        self._ids = itertools.count(1)
        self._running_ids: set[str] = set()
        self._local = threading.local()
        self._slots: dict[str, int] = {}  # the last slot deferred, by job name

    def defer(self, job: Job) -> bool:
        """Queue `job` (run at once when a thread of its queue is free); False when an equal one waits."""
        with self._guard:
            if self._stopped:
                return False
            if job.slot is not None:
                if self._slots.get(job.name, -1) >= job.slot:
                    return False
                self._slots[job.name] = job.slot
            if job.queueing_lock is not None:
                if job.queueing_lock in self._waiting_keys:
                    return False
                self._waiting_keys.add(job.queueing_lock)
            self._queued[job.queue] += 1
            self._busy += 1
            if self._runner is None:
                self._behind_lock["__not_started__"].append(job)
                return True
            self._submit(job)
        return True

    def depth(self) -> dict[str, int]:
        """Jobs waiting, by queue."""
        with self._guard:
            return {queue: count for queue, count in self._queued.items() if count}

    def start(self, runner: JobRunner) -> None:
        """Run jobs from now on, those deferred before included."""
        with self._guard:
            self._runner = runner
            for job in self._behind_lock.pop("__not_started__", deque()):
                self._submit(job)

    def stop(self, timeout: float = 30.0) -> None:
        """Take no new jobs; wait (at most `timeout`) for queued and running ones."""
        self.drain(timeout)
        with self._guard:
            self._stopped = True
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no job is queued or running (jobs a job defers included); True when idle."""
        with self._guard:
            return self._guard.wait_for(lambda: self._busy == 0, timeout)

    def alive(self) -> None:
        """Raise once stopped."""
        if self._stopped:
            raise RuntimeError("job queue stopped")

    @property
    def runs_jobs(self) -> bool:
        """True once started here (a web-only process on SQLite leaves jobs to the worker's ticks)."""
        return self._runner is not None and not self._stopped

    def current_job(self) -> str | None:
        """The id of the job running on this thread, if any."""
        return getattr(self._local, "job_id", None)

    def is_running(self, job_id: str) -> bool | None:
        """Whether job `job_id` runs now; another process's in-process jobs are over (that process is gone)."""
        if not job_id.startswith("local:"):
            return None
        with self._guard:
            return job_id in self._running_ids

    def live_workers(self) -> int:
        """One: the in-process queue is the only worker there is."""
        return 1

    def _submit(self, job: Job) -> None:
        # Called with the guard held.
        if job.lock is not None and job.lock in self._running_locks:
            self._behind_lock[job.lock].append(job)
            return
        if job.lock is not None:
            self._running_locks.add(job.lock)
        pool = self._pools.get(job.queue)
        if pool is None:
            pool = self._pools[job.queue] = ThreadPoolExecutor(max_workers=self._sizes.get(job.queue, 1),
                                                               thread_name_prefix=f"job-{job.queue}")
        pool.submit(self._run, job)

    def _run(self, job: Job) -> None:
        job_id = f"local:{PROCESS}:{next(self._ids)}"
        with self._guard:
            if job.queueing_lock is not None:
                self._waiting_keys.discard(job.queueing_lock)
            self._queued[job.queue] -= 1
            self._running_ids.add(job_id)
        self._local.job_id = job_id
        try:
            assert self._runner is not None
            self._runner(job.name, job.args)
        except Exception:  # a failing job is logged; the queue goes on
            log.exception("job failed", extra={"job": job.name, "args": dict(job.args)})
        finally:
            self._local.job_id = None
            with self._guard:
                self._running_ids.discard(job_id)
                self._busy -= 1
                if job.lock is not None:
                    self._running_locks.discard(job.lock)
                    behind = self._behind_lock.get(job.lock)
                    if behind:
                        self._submit(behind.popleft())
                    if not behind:
                        self._behind_lock.pop(job.lock, None)
                self._guard.notify_all()
