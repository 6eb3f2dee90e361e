"""Push webhooks as the service sees them: poll one watched branch now."""

from __future__ import annotations

from bot.clock import Clock
from bot.domain import RepoRef
from bot.service.jobs import Jobs
from bot.store import Store


class PushRequests:
    """Queues a poll job for a pushed branch, and tells which pushes are watched."""

    def __init__(self, store: Store, clock: Clock, jobs: Jobs) -> None:
        self._store = store
        self._clock = clock
        self._jobs = jobs

    def request(self, repo: RepoRef, branch: str) -> None:
        """Poll (repo, branch) at once; where no job runs (a web process on SQLite) the worker's tick takes it."""
        if self._jobs.queue.runs_jobs:
            self._jobs.request_poll(repo, branch)
        else:
            self._store.cursors.request_poll(repo, branch, self._clock())

    def is_watched(self, repo: RepoRef, branch: str) -> bool:
        """True when a subscription follows this branch (GitHub names compare case-insensitively)."""
        wanted = (repo.full_name.lower(), branch)
        return any((watched.full_name.lower(), b) == wanted for watched, b in self._store.subscriptions.watched())
