"""The job functions: what a worker does, one small job at a time, on any worker.

APScheduler in every process fires `schedule_ticks` and `schedule_digest_tick`; the queue's
locks make a tick that several processes fire at once run once. A tick hands due branches to
`poll_batch` jobs (paced under GitHub's limits; mostly 304s), re-queues branches that still have
undelivered commits (what a crash or a failing channel left), and queues the digests that are due.
A branch a batch finds news on gets a `deliver` job: analyses in parallel, cards in commit order,
one job per branch at a time. A push webhook's `poll` job polls one branch and delivers at once.
A `digest` job posts one subscription's digest on its own queue, so digests never hold back cards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.clock import Clock
from bot.domain import RepoRef
from bot.domain.values import parse_week, week_label
from bot.service.digest import DigestService, digest_settled
from bot.service.failures import log_failure
from bot.service.pacing import Pacing
from bot.service.patterns import Patterns
from bot.service.queue import DIGEST, POLL, TICK, Job, JobArgs, JobQueue
from bot.service.schedule import CATCH_UP, due_period, last_digest_time
from bot.service.watcher import Watcher
from bot.store import Store
from bot.store.subscriptions import DigestTiming

log = logging.getLogger(__name__)
NAMES: tuple[str, ...] = ("tick", "digest_tick", "poll", "poll_batch", "deliver", "digest", "expand")
# Scheduled polls handed out per job: a job's own cost (fetch, status writes, a thread pool) is paid once
# per batch rather than once per branch, while a tick's polls still spread over several workers.
POLL_BATCH = 25


def poll_job(repo: RepoRef, branch: str) -> Job:
    """Poll one branch and deliver what it finds: one such job runs, and one waits, per branch."""
    key = f"{repo.full_name.lower()}@{branch}"
    return Job("poll", {"repo": repo.full_name, "branch": branch}, queue=POLL, lock=f"branch:{key}",
               queueing_lock=f"poll:{key}")


def poll_batch_job(pairs: list[tuple[RepoRef, str]]) -> Job:
    """Poll several due branches (conditional requests, mostly 304s); each with news gets a `deliver` job."""
    # One string, a line per branch: a repository name has no "@", so the first one splits it from the branch.
    return Job("poll_batch", {"branches": "\n".join(f"{repo.full_name}@{branch}" for repo, branch in pairs)},
               queue=POLL)


def batch_pairs(args: JobArgs) -> list[tuple[RepoRef, str]]:
    """The branches of a `poll_batch` job."""
    pairs = []
    for line in str(args.get("branches") or "").splitlines():
        repo, _, branch = line.partition("@")
        pairs.append((RepoRef.parse(repo), branch))
    return pairs


def deliver_job(repo: RepoRef, branch: str) -> Job:
    """Deliver a branch's commits still undelivered (a failing channel, a crash), without asking GitHub again."""
    key = f"{repo.full_name.lower()}@{branch}"
    return Job("deliver", {"repo": repo.full_name, "branch": branch}, queue=POLL, lock=f"branch:{key}",
               queueing_lock=f"deliver:{key}")


def digest_job(subscription_id: int, day: date, weekly: bool = False) -> Job:
    """Post one subscription's digest of `day`, or of its ISO week (its delivery keys make a second run post
    nothing)."""
    # A daily job keeps its "day" argument and lock, so jobs queued before weekly digests existed still run.
    name, period = ("week", week_label(day)) if weekly else ("day", day.isoformat())
    return Job("digest", {"subscription": subscription_id, name: period}, queue=DIGEST,
               lock=f"digest:{subscription_id}", queueing_lock=f"digest:{subscription_id}:{period}")


def expand_job(kind: str, target: str) -> Job:
    """Read one pattern's list again (conditionally) and bring its concrete subscriptions up to date."""
    key = f"{kind}:{target.lower()}"
    return Job("expand", {"kind": kind, "target": target}, queue=POLL, lock=f"listing:{key}",
               queueing_lock=f"expand:{key}")


TICK_JOB = Job("tick", queue=TICK, lock="tick", queueing_lock="tick")
DIGEST_TICK_JOB = Job("digest_tick", queue=TICK, lock="digest-tick", queueing_lock="digest-tick")


@dataclass
class Jobs:
    """The job functions over the application's services; the queue calls it with a job's name and args."""

    store: Store
    watcher: Watcher
    digests: DigestService
    queue: JobQueue
    pacing: Pacing
    clock: Clock
    # Which (subscription, day, weekly) digests this process saw settled: not asked about again.
    _settled: set[tuple[int, date, bool]] | None = None
    patterns: Patterns | None = None  # None: pattern lists are not checked (no `expand` jobs)

    names = NAMES

    def __call__(self, name: str, args: JobArgs) -> None:
        """Run job `name` with `args` (the queue's runner); a failure is logged, and the ticks bring the work back."""
        handler = self._handlers().get(name)
        if handler is None:
            raise ValueError(f"unknown job {name!r}")
        try:
            handler(args)
        except Exception as exc:
            log_failure(f"{name} job failed", exc, **{key: value for key, value in args.items()})

    def _handlers(self) -> dict[str, Callable[[JobArgs], None]]:
        return {"tick": self._tick, "digest_tick": self._digest_tick, "poll": self._poll,
                "poll_batch": self._poll_batch, "deliver": self._deliver, "digest": self._digest,
                "expand": self._expand}

    def schedule_tick(self) -> None:
        """APScheduler's poll tick: queue the tick job, once per TICK_SECONDS slot however many processes fire
        (each tick hands out one tick's budget, so two ticks in one slot would double the polls)."""
        self.queue.defer(replace(TICK_JOB, slot=int(self.clock().timestamp() // self.pacing.tick_seconds)))

    def schedule_digest_tick(self) -> None:
        """APScheduler's digest tick."""
        self.queue.defer(DIGEST_TICK_JOB)

    def request_poll(self, repo: RepoRef, branch: str) -> None:
        """A push webhook: poll this branch now, whatever the pacing says."""
        self.queue.defer(poll_job(repo, branch))

    def tick(self) -> int:
        """Queue polls, in batches, for the branches due now (as many as the request budget allows) and a
        delivery for each other branch with commits still undelivered; how many branches were handed out."""
        retry = getattr(self.queue, "retry_stalled", None)
        if retry is not None:
            retry()
        # Backpressure: while a tick's worth of polls still waits, hand out only the room left, so a queue
        # that runs slower than the budget stretches the interval instead of growing a backlog.
        # A waiting job is counted as a whole batch (deliveries wait there too): the estimate errs on the side
        # of handing out less.
        waiting = self.queue.depth().get(POLL, 0) * min(POLL_BATCH, self.pacing.per_tick)
        room = max(0, self.pacing.per_tick - waiting)
        due = self.pacing.claim_due(self.clock(), room) if room else []
        for start in range(0, len(due), POLL_BATCH):
            self.queue.defer(poll_batch_job(due[start:start + POLL_BATCH]))
        queued = len(due)
        polled = {(repo.full_name, branch) for repo, branch in due}
        for repo, branch in self.store.commits.pending_branches():
            if (repo.full_name, branch) not in polled:
                self.queue.defer(deliver_job(repo, branch))
        self._hand_out_expands(max(0, room - len(due)))
        return queued

    def _hand_out_expands(self, room: int) -> None:
        """Pattern lists due for a check, within what is left of the tick's request budget."""
        if self.patterns is None:
            return
        now = self.clock()
        interval: list[float] = []

        def next_due() -> datetime:
            if not interval:  # asked only when a list is due: the count is a query
                interval.append(self.pacing.effective_interval(self.store.cursors.watched_count()))
            return now + timedelta(seconds=interval[0])

        for kind, target in self.patterns.claim_due(now, room, next_due):
            self.queue.defer(expand_job(kind, target))

    def digest_tick(self) -> int:
        """Queue each digest that is due and not yet posted (missed runs up to CATCH_UP late included)."""
        now = self.clock()
        settled = self._settled if self._settled is not None else set()
        self._settled = settled
        # Most subscriptions share a few timings: each one's due moment is worked out once a tick.
        dues: dict[tuple[str, time, str, str], datetime] = {}
        queued = 0
        for sub in self.store.subscriptions.digest_timings():  # active ones only
            timing = (sub.timezone, sub.digest_time, sub.digest_every, sub.digest_on)
            due = dues.get(timing)
            if due is None:
                due = dues[timing] = last_digest_time(sub, now)
            day = self._due_day(sub, due, now)
            weekly = sub.digest_every == "week"
            if day is None or (sub.id, day, weekly) in settled:
                continue
            if digest_settled(self.store, sub.id, day, weekly):
                settled.add((sub.id, day, weekly))
                continue
            queued += self.queue.defer(digest_job(sub.id, day, weekly))
        return queued

    @staticmethod
    def _due_day(sub: DigestTiming, due: datetime, now: datetime) -> date | None:
        created = sub.created_at
        if now - due > CATCH_UP or (created is not None and _aware(created) > due):
            return None  # too late to catch up, or the subscription did not exist when it was due
        return due_period(sub, due)

    def _tick(self, args: JobArgs) -> None:
        self.tick()

    def _digest_tick(self, args: JobArgs) -> None:
        self.digest_tick()

    def _poll(self, args: JobArgs) -> None:
        repo = RepoRef.parse(str(args["repo"]))
        report = self.watcher.run_cycle([(repo, str(args["branch"]))])
        # An idle poll is DEBUG: there is one per branch per POLL_INTERVAL.
        busy = report.new_commits or report.cards or report.failures
        log.log(logging.INFO if busy else logging.DEBUG, "poll done",
                extra={"repo": str(repo), "branch": args["branch"], "new": report.new_commits, "cards": report.cards,
                       "failures": len(report.failures)})

    def _poll_batch(self, args: JobArgs) -> None:
        report, news = self.watcher.poll(batch_pairs(args))
        for repo, branch in news:
            self.queue.defer(deliver_job(repo, branch))
        log.log(logging.INFO if news or report.failures else logging.DEBUG, "poll batch done",
                extra={"polled": report.polled, "with_news": len(news), "new": report.new_commits,
                       "failures": len(report.failures)})

    def _deliver(self, args: JobArgs) -> None:
        repo = RepoRef.parse(str(args["repo"]))
        self.watcher.deliver_pending(pairs=[(repo, str(args["branch"]))])

    def _expand(self, args: JobArgs) -> None:
        if self.patterns is not None:
            self.patterns.expand(str(args["kind"]), str(args["target"]))

    def _digest(self, args: JobArgs) -> None:
        sub = self.store.subscriptions.get(int(str(args["subscription"])))
        if sub is None or sub.paused:
            return  # unsubscribed or paused since it was queued
        if "week" in args:
            self.digests.deliver(sub, parse_week(str(args["week"])), weekly=True)
        else:
            self.digests.deliver(sub, date.fromisoformat(str(args["day"])))


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
