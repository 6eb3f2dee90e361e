"""The one scheduler (APScheduler 3): the poll cycle with jitter and each subscription's daily digest."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.domain import Subscription
from bot.service.digest import DigestService, digest_settled
from bot.service.watcher import Watcher
from bot.store import Store

log = logging.getLogger(__name__)
POLL_JOB = "poll-cycle"
SYNC_JOB = "sync-subscriptions"
REQUESTS_JOB = "poll-requests"
# How often the worker looks for polls requested by push webhooks (possibly in a web process).
REQUEST_CHECK_SECONDS = 5
# A digest missed while the process was down (or left unfinished) is still posted if at most this late.
CATCH_UP = timedelta(hours=6)


def last_digest_time(sub: Subscription, now: datetime) -> datetime:
    """The most recent moment at or before `now` when this subscription's digest was due."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    due = datetime.combine(local.date(), sub.digest_time, tzinfo=local.tzinfo)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), sub.digest_time, tzinfo=local.tzinfo)
    return due


def missed_digest_day(sub: Subscription, now: datetime, delivered: bool) -> date | None:
    """The day whose digest should be posted now to catch up, if its run was missed recently.

    Only a subscription that already existed when the digest was due missed it; a new one waits
    for its first scheduled run.
    """
    due = last_digest_time(sub, now)
    created = sub.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    if delivered or now - due > CATCH_UP or (created is not None and created > due):
        return None
    return due.date() - timedelta(days=1)


class Scheduler:
    """Owns the background scheduler; `sync()` makes digest jobs follow the subscriptions."""

    def __init__(self, store: Store, watcher: Watcher, digests: DigestService, clock: Clock,
                 poll_interval: int, scheduler: BackgroundScheduler | None = None) -> None:
        self._store = store
        self._watcher = watcher
        self._digests = digests
        self._clock = clock
        self._poll_interval = poll_interval
        self._scheduler = scheduler or BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                                         "misfire_grace_time": 3600})
        # The cron job and a catch-up are separate jobs: one lock per subscription keeps them apart.
        self._digest_locks: dict[int, threading.Lock] = {}
        self._digest_locks_guard = threading.Lock()

    def start(self) -> None:
        """Start polling now and every POLL_INTERVAL (jittered), and schedule every digest."""
        self._scheduler.add_job(self._poll_cycle, IntervalTrigger(seconds=self._poll_interval,
                                                                  jitter=max(1, self._poll_interval // 10)),
                                id=POLL_JOB, next_run_time=self._clock(), replace_existing=True)
        # Subscriptions may change in another process (a `serve` web process); re-read them regularly.
        self._scheduler.add_job(self.sync, IntervalTrigger(seconds=60), id=SYNC_JOB, replace_existing=True)
        self._scheduler.add_job(self.poll_requested, IntervalTrigger(seconds=REQUEST_CHECK_SECONDS),
                                id=REQUESTS_JOB, replace_existing=True)
        self._scheduler.start()
        self.sync()
        log.info("scheduler started", extra={"poll_interval": self._poll_interval})

    def stop(self) -> None:
        """Stop scheduling and wait for running jobs (in-flight deliveries) to finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return bool(self._scheduler.running)

    def resync(self) -> None:
        """After a command changed subscriptions: `sync()` when this process schedules (not in a web process)."""
        if self.running:
            self.sync()

    def alive(self) -> None:
        """Raise unless the scheduler runs with its poll job."""
        if not self._scheduler.running or self._scheduler.get_job(POLL_JOB) is None:
            raise RuntimeError("scheduler not running")

    def digest_job_ids(self) -> set[str]:
        """Ids of the scheduled digest jobs."""
        return {job.id for job in self._scheduler.get_jobs() if job.id.startswith("digest:")}

    def sync(self) -> None:
        """Add, move or remove digest jobs so they match the stored subscriptions."""
        subs = [sub for sub in self._store.subscriptions.list() if not sub.paused]
        wanted = {f"digest:{sub.id}": sub for sub in subs}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()
        now = self._clock()
        for job_id, sub in wanted.items():
            trigger = CronTrigger(hour=sub.digest_time.hour, minute=sub.digest_time.minute, timezone=sub.timezone)
            existing = self._scheduler.get_job(job_id)
            if existing is not None and repr(existing.trigger) != repr(trigger):
                existing.remove()
                existing = None
            if existing is None:
                self._scheduler.add_job(self._digest_job, trigger, args=[sub.id], id=job_id)
            self._schedule_catch_up(sub, now)

    def _schedule_catch_up(self, sub: Subscription, now: datetime) -> None:
        # Re-running an unfinished digest is safe (its delivery keys post only what is missing) and
        # stops by itself once the digest is settled or CATCH_UP has passed.
        catch_up = f"catch-up:{sub.id}"
        if self._scheduler.get_job(catch_up) is not None or self._digest_lock(sub.key).locked():
            return  # already queued, or this subscription's digest is being delivered right now
        day = missed_digest_day(sub, now, delivered=False)
        if day is not None and not digest_settled(self._store, sub.key, day):
            self._scheduler.add_job(self._digest_job, args=[sub.id, day], id=catch_up)

    def poll_requested(self) -> int:
        """Poll the branches a push webhook asked for (in this or a web process); returns how many."""
        requested = {(repo.full_name.lower(), branch) for repo, branch in self._store.cursors.take_poll_requests()}
        # GitHub names are case-insensitive: poll under the spelling the subscriptions use.
        pairs = [(repo, branch) for repo, branch in self._store.subscriptions.watched()
                 if (repo.full_name.lower(), branch) in requested]
        if pairs:
            try:
                self._watcher.run_cycle(pairs)
            except Exception as exc:  # the schedule must survive any one cycle's failure
                _log_failure("requested poll failed", exc)
        return len(pairs)

    def _poll_cycle(self) -> None:
        try:
            report = self._watcher.run_cycle()
            # An idle cycle is DEBUG: every POLL_INTERVAL it would land on the console's prompt line.
            busy = report.new_commits or report.cards or report.failures
            log.log(logging.INFO if busy else logging.DEBUG, "poll cycle done",
                    extra={"polled": report.polled, "new": report.new_commits, "cards": report.cards,
                           "failures": len(report.failures)})
        except Exception as exc:  # the schedule must survive any one cycle's failure
            _log_failure("poll cycle failed", exc)

    def _digest_lock(self, subscription_id: int) -> threading.Lock:
        with self._digest_locks_guard:
            return self._digest_locks.setdefault(subscription_id, threading.Lock())

    def _digest_job(self, subscription_id: int, day: date | None = None) -> None:
        # Waits for a running digest of the same subscription; its own run then posts only what is missing.
        with self._digest_lock(subscription_id):
            sub = self._store.subscriptions.get(subscription_id)
            if sub is None or sub.paused:
                return
            day = day or (last_digest_time(sub, self._clock()).date() - timedelta(days=1))
            try:
                outcome = self._digests.deliver(sub, day)
                log.info("digest job done", extra={"subscription": sub.id, "day": day.isoformat(),
                                                   "reason": outcome.reason})
            except Exception as exc:  # one subscription's digest must not stop the others
                _log_failure("digest job failed", exc, subscription=sub.id)


def _log_failure(what: str, exc: Exception, **context: object) -> None:
    """A database failure (read-only file, disk full, server gone) is one line with its cause; anything else a bug."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.causes import describe
    from bot.store.errors import StoreUnavailable

    if isinstance(exc, (SQLAlchemyError, StoreUnavailable)):
        log.error(what, extra={**context, "error": f"database: {describe(exc)}"})
    else:
        log.exception(what, extra=context)
