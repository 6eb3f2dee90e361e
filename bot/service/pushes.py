"""Push webhooks as the service sees them: a request to poll one watched branch soon."""

from __future__ import annotations

from bot.clock import Clock
from bot.domain import RepoRef
from bot.store import Store


class PushRequests:
    """Records a push for the worker (perhaps another process) and tells which pushes are watched."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def request(self, repo: RepoRef, branch: str) -> None:
        """Ask for a poll of (repo, branch); recorded in the store, since the worker may be another process."""
        self._store.cursors.request_poll(repo, branch, self._clock())

    def is_watched(self, repo: RepoRef, branch: str) -> bool:
        """True when a subscription follows this branch (GitHub names compare case-insensitively)."""
        wanted = (repo.full_name.lower(), branch)
        return any((watched.full_name.lower(), b) == wanted for watched, b in self._store.subscriptions.watched())
