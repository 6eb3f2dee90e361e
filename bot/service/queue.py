"""The job-queue port: work divided into small jobs that any worker may run.

A job names a job function (bot/service/jobs.py) and its arguments. `lock`: no two jobs with the
same lock run at once (anywhere, with PostgreSQL). `queueing_lock`: at most one such job waits to
run; deferring another while one waits is a no-op. `slot`: at most one job of that name is ever
deferred for that slot, by any process (the periodic ticks: several processes' clocks, one tick).
Queues keep kinds of work apart, so a slow kind (digests, the LLM) never holds back another (polls,
cards).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# The queues and what runs on each.
POLL = "poll"  # one branch: read it from GitHub, store new commits, analyse and deliver them
DIGEST = "digest"  # one subscription's digest for one period
TICK = "tick"  # the periodic ticks: which branches to poll, which digests are due
QUEUES = (POLL, DIGEST, TICK)

JobArgs = Mapping[str, str | int | None]


@dataclass(frozen=True)
class Job:
    """One unit of work: a job function's name, its JSON-able arguments, and how it queues."""

    name: str
    args: JobArgs = field(default_factory=dict)
    queue: str = POLL
    lock: str | None = None
    queueing_lock: str | None = None
    slot: int | None = None


class JobRunner(Protocol):
    """Runs one job by name: the job functions' dispatcher (bot/service/jobs.py), given to the queue at start."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every job name it runs (registered with the queue at start)."""
        ...

    def __call__(self, name: str, args: JobArgs) -> None:
        """Run job `name` with `args`."""
        ...


class JobQueue(Protocol):
    """Where jobs wait and which workers run them."""

    def defer(self, job: Job) -> bool:
        """Queue `job`; False when one with its queueing lock already waits (nothing queued)."""
        ...

    def depth(self) -> dict[str, int]:
        """Jobs waiting, by queue (for /metrics)."""
        ...

    def start(self, runner: JobRunner) -> None:
        """Begin running queued jobs in this process (the worker role)."""
        ...

    def stop(self) -> None:
        """Stop taking jobs; let running ones finish."""
        ...

    def alive(self) -> None:
        """Raise unless the job loop of this process runs and reaches its store (for /healthz)."""
        ...

    @property
    def runs_jobs(self) -> bool:
        """True when a deferred job will run: on any worker (PostgreSQL), or here once started (in-process)."""
        ...

    def current_job(self) -> str | None:
        """The id of the job running on this thread, if any (a delivery claim's owner)."""
        ...

    def is_running(self, job_id: str) -> bool | None:
        """Whether that job still runs on a live worker; None when this queue cannot tell."""
        ...

    def live_workers(self) -> int:
        """Worker processes alive now, at least 1 (they share GITHUB_REQUESTS_PER_MINUTE)."""
        ...
