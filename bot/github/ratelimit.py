"""The request budget: at most GITHUB_REQUESTS_PER_MINUTE GitHub requests a minute across all workers."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from bot.github.errors import RateLimited

log = logging.getLogger(__name__)

# How often the live worker count is read again (a database query on PostgreSQL).
SHARE_REFRESH = 5.0
# The part of a minute's share that may go out at once, after a quiet spell.
BURST = 1 / 20


def _one_worker() -> int:
    return 1


class RequestBudget:
    """A token bucket every GitHub request takes one token from before it is sent (304s and retries too).

    Each process gets `per_minute / workers()` (its share; `workers()`, one when None, is read at
    most every SHARE_REFRESH seconds, first at the first request). The bucket holds a twentieth of
    the share and refills at the share less that, so no window of a minute ever sees more than the
    share, even after a quiet spell.
    A token due later than `max_wait` raises RateLimited rather than block.
    """

    def __init__(self, per_minute: float, *, workers: Callable[[], int] | None = None, max_wait: float = 60.0,
                 now: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_minute = float(per_minute)
        self.max_wait = max_wait
        self._workers = workers or _one_worker
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()
        self._live = 1
        self._read_at: float | None = None
        self._capacity, self._rate = self._shape(self.share)
        self._tokens = self._capacity
        self._updated = now()

    @property
    def share(self) -> float:
        """This process's requests per minute: the limit divided among the live workers."""
        return self.per_minute / self._live

    def take(self, what: str = "") -> float:
        """Wait for a token (through the injected sleep); the seconds waited. RateLimited beyond `max_wait`."""
        self._refresh_share()
        with self._lock:
            now = self._now()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            # Tokens are reserved in order: a negative count is a queue of requests waiting their turn.
            wait = max(0.0, (1 - self._tokens) / self._rate)
            if wait > self.max_wait:
                raise RateLimited(f"GitHub request budget of {self.share:g} a minute used up, no request sent; "
                                  f"the next goes in {wait:.0f} s (GITHUB_REQUESTS_PER_MINUTE)",
                                  retry_after=wait, target=what)
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return wait

    def _refresh_share(self) -> None:
        with self._lock:
            now = self._now()
            if self._read_at is not None and now - self._read_at < SHARE_REFRESH:
                return
            self._read_at = now  # the other threads keep the old share meanwhile
        try:
            live = max(1, int(self._workers()))
        except Exception:  # a database blink keeps the last share rather than stop every request
            log.warning("live worker count unavailable; keeping the GitHub request share", exc_info=True)
            return
        with self._lock:
            if live == self._live:
                return
            self._live = live
            self._capacity, self._rate = self._shape(self.share)
            self._tokens = min(self._tokens, self._capacity)
        log.info("github request share", extra={"workers": live, "per_minute": round(self.share, 2)})

    @staticmethod
    def _shape(share: float) -> tuple[float, float]:
        """The bucket's size and its refill per second for a share of `share` requests a minute."""
        capacity = max(1.0, math.floor(share * BURST))
        # Size plus a minute's refill is the share; below two a minute, one request per window at least.
        return capacity, max(share - capacity, share / 2) / 60
