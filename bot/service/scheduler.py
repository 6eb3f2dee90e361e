"""The clock of every worker (APScheduler 3): it fires the periodic ticks and runs the job queue.

Every worker fires the same ticks; the queue's queueing locks make a tick several workers fire
at once wait, and run, once (bot/service/jobs.py). The work itself is jobs on the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.service.failures import log_failure
from bot.service.jobs import Jobs
from bot.service.queue import JobQueue

log = logging.getLogger(__name__)
POLL_TICK = "poll-tick"
DIGEST_TICK = "digest-tick"
# How often due branches are handed to poll jobs (the pacing spreads them within the interval).
TICK_SECONDS = 5
# How often due digests are looked for.
DIGEST_TICK_SECONDS = 30


class Scheduler:
    """Fires the ticks and runs this process's share of the jobs, from `start()` until `stop()`."""

    def __init__(self, jobs: Jobs, queue: JobQueue, clock: Clock, scheduler: BackgroundScheduler | None = None,
                 tick_seconds: float = TICK_SECONDS) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._scheduler = scheduler or BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                                         "misfire_grace_time": 60})

    def start(self) -> None:
        """Run queued jobs here, and fire the ticks now and then every few seconds."""
        self._queue.start(self._jobs)
        now = self._clock()
        self._scheduler.add_job(self._fire, IntervalTrigger(seconds=self._tick_seconds),
                                args=[self._jobs.schedule_tick], id=POLL_TICK, next_run_time=now,
                                replace_existing=True)
        self._scheduler.add_job(self._fire, IntervalTrigger(seconds=DIGEST_TICK_SECONDS),
                                args=[self._jobs.schedule_digest_tick], id=DIGEST_TICK, next_run_time=now,
                                replace_existing=True)
        self._scheduler.start()
        log.info("scheduler started", extra={"tick_seconds": self._tick_seconds})

    def stop(self) -> None:
        """Stop the ticks, then let running jobs (in-flight deliveries) finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._queue.stop()

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return bool(self._scheduler.running)

    def alive(self) -> None:
        """Raise unless the ticks fire and the job loop runs (for /healthz)."""
        if not self._scheduler.running or self._scheduler.get_job(POLL_TICK) is None:
            raise RuntimeError("scheduler not running")
        self._queue.alive()

    def resync(self) -> None:
        """After a command changed subscriptions: tick now, so a new branch's first poll comes at once."""
        if self.running:
            self._fire(self._jobs.schedule_tick)

    @staticmethod
    def _fire(schedule: Callable[[], None]) -> None:
        try:
            schedule()
        except Exception as exc:  # the clock must survive a database outage; the next tick tries again
            log_failure("tick failed", exc)
