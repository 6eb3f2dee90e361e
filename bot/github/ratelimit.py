"""The request budget: at most GITHUB_REQUESTS_PER_MINUTE GitHub requests a minute across all workers."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from bot.github.errors import RateLimited

log = logging.getLogger(__name__)

# How often the live worker count is read again (a database query on PostgreSQL).
SHARE_REFRESH = 5.0
# The part of a minute's share that may go out at once, after a quiet spell.
BURST = 1 / 20
WINDOW = 60.0
# A worker that starts beside others sends nothing for this long: time for them to read the new count.
JOIN_HOLD = SHARE_REFRESH + 1.0


def _one_worker() -> int:
    return 1


def _always() -> bool:
    return True


class RequestBudget:
    """A token bucket every GitHub request takes one token from before it is sent (304s and retries too).

    Each process gets `per_minute / workers()` (its share; `workers()`, one when None, is read at
    most every SHARE_REFRESH seconds, first at the first request). The bucket holds a twentieth of
    the share and refills at the share less that, which spreads requests out; on top, no window of a
    minute holds more than the current share of this process's requests. When a worker joins, the
    others send at their old share until they read the new count, and the window then holds them
    back until their own last minute fits the smaller share; the newcomer itself (when `counted()`: a job's
    request) sends nothing for JOIN_HOLD, so that together no minute ever sees more than the limit.
    A token due later than `max_wait` raises RateLimited rather than block.
    """

    def __init__(self, per_minute: float, *, workers: Callable[[], int] | None = None, max_wait: float = 60.0,
                 now: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 counted: Callable[[], bool] | None = None) -> None:
        self.per_minute = float(per_minute)
        self.max_wait = max_wait
        self._workers = workers or _one_worker
        # Whether this request comes from one of the workers `workers()` counts (a web process is not one,
        # and its first lookup must not wait out JOIN_HOLD).
        self._counted = counted or _always
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()
        self._live = 1
        self._read_at: float | None = None
        self._capacity, self._rate = self._shape(self.share)
        self._tokens = self._capacity
        self._updated = now()
        self._sent: deque[float] = deque()  # when each request of the last WINDOW went (or is to go) out
        self._hold_until = 0.0

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
            at = max(now + max(0.0, (1 - self._tokens) / self._rate), self._window_free(now), self._hold_until)
            wait = at - now
            if wait > self.max_wait:
                raise RateLimited(f"GitHub request budget of {self.share:g} a minute used up, no request sent; "
                                  f"the next goes in {wait:.0f} s (GITHUB_REQUESTS_PER_MINUTE)",
                                  retry_after=wait, target=what)
            self._tokens -= 1
            self._sent.append(at)
        if wait > 0:
            self._sleep(wait)
        return wait

    def _window_free(self, now: float) -> float:
        """The earliest time one more request keeps every window of a minute within the share."""
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        allowed = max(1, math.floor(self.share))
        if len(self._sent) < allowed:
            return self._sent[-1] if self._sent else now
        # The request `allowed` places back must be a minute old first.
        return max(self._sent[-allowed] + WINDOW, self._sent[-1])

    def _refresh_share(self) -> None:
        with self._lock:
            now = self._now()
            if self._read_at is not None and now - self._read_at < SHARE_REFRESH:
                return
            first = self._read_at is None and self._counted()
            self._read_at = now  # the other threads keep the old share meanwhile
        try:
            live = max(1, int(self._workers()))
        except Exception:  # a database blink keeps the last share rather than stop every request
            log.warning("live worker count unavailable; keeping the GitHub request share", exc_info=True)
            return
        with self._lock:
            if first and live > 1:
                self._hold_until = self._now() + JOIN_HOLD
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
