"""Paced polling: every watched branch polled about once per POLL_INTERVAL, never faster than the
GitHub request budget allows. When the watched set does not fit, the interval stretches (with a
warning and a metric) instead of the budget being overrun; new subscriptions' first polls are
spread over the ticks that follow instead of spending the budget at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain import RepoRef
from bot.store import Store

log = logging.getLogger(__name__)
# The share of the request budget that periodic polls may use; the rest is for new commits'
# details, pushes and lookups.
POLL_SHARE = 0.8


class Pacing:
    """Hands out the branches due for a poll, at most the budget's worth per tick."""

    def __init__(self, store: Store, poll_interval: float, requests_per_minute: int, tick_seconds: float,
                 on_interval: Callable[[float], None] | None = None,
                 jitter: Callable[[], float] = random.random) -> None:
        self._store = store
        self._interval = poll_interval
        self._per_tick = max(1, int(requests_per_minute * POLL_SHARE * tick_seconds / 60))
        self._tick = tick_seconds
        self._on_interval = on_interval
        self._jitter = jitter
        self._stretched_to = 0.0

    @property
    def tick_seconds(self) -> float:
        """How often a tick hands out polls."""
        return self._tick

    @property
    def per_tick(self) -> int:
        """Polls one tick may start."""
        return self._per_tick

    def effective_interval(self, watched: int) -> float:
        """POLL_INTERVAL, or longer when `watched` branches cannot all be polled that often."""
        return max(self._interval, watched * self._tick / self._per_tick)

    def claim_due(self, now: datetime, limit: int | None = None) -> list[tuple[RepoRef, str]]:
        """The branches to poll now (oldest due first, at most `limit`, never more than a tick's budget);
        each is next due one effective interval later."""
        interval = self.effective_interval(self._store.cursors.watched_count())
        self._report(interval)

        def next_due() -> datetime:
            # Jitter keeps branches that came due together (a burst of new subscriptions) apart next time.
            return now + timedelta(seconds=interval * (0.9 + 0.2 * self._jitter()))

        budget = self._per_tick if limit is None else min(limit, self._per_tick)
        return self._store.cursors.claim_due(now, budget, next_due)

    def _report(self, interval: float) -> None:
        if self._on_interval is not None:
            self._on_interval(interval)
        if interval > self._interval and interval > self._stretched_to * 1.1:
            log.warning("poll interval stretched: the watched branches do not fit the GitHub request budget",
                        extra={"poll_interval": self._interval, "effective_interval": round(interval),
                               "polls_per_tick": self._per_tick})
        self._stretched_to = interval if interval > self._interval else 0.0
