"""The one retry and rate-limit policy for GitHub requests, with an injectable clock and sleeper."""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout

from bot.causes import clip_middle, one_line
from bot.github.errors import (
    Endpoint,
    GitHubError,
    RateLimited,
    error_for,
    is_rate_limit,
    is_secondary_limit,
    transport_error,
)

log = logging.getLogger(__name__)

# Transport failures worth another attempt; anything else from requests is a bug or a bad URL.
TRANSIENT = (Timeout, ConnectionError, ChunkedEncodingError)
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# GitHub's rate-limit window is an hour. A reset or Retry-After beyond that (or `inf`, `1e300`)
# comes from a broken proxy; believing it would block, or overflow datetime, until a restart.
MAX_HINT = 3600.0


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def hinted_wait(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds, clamped to 0..MAX_HINT; None when absent or not a number."""
    seconds = _number(headers.get("retry-after"))
    return None if seconds is None else min(max(0.0, seconds), MAX_HINT)


def reset_epoch(headers: Mapping[str, str], now: float) -> float | None:
    """X-RateLimit-Reset as epoch seconds, clamped to 0..now+MAX_HINT; None when absent or not a number."""
    reset = _number(headers.get("x-ratelimit-reset"))
    return None if reset is None else min(max(0.0, reset), now + MAX_HINT)


@dataclass(frozen=True)
class GitHubResponse:
    """One HTTP answer: status, lower-cased headers, text body."""

    status: int
    headers: Mapping[str, str]
    body: str

    def json(self):
        """The body parsed as JSON; GitHubError when it is not JSON (e.g. a proxy's HTML page)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            raise GitHubError(f"expected JSON from GitHub, got {clip_middle(one_line(self.body), 120)!r} "
                              f"(HTTP {self.status}); check "
                              f"GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3)", self.status) from None


class GitHubStats:
    """Counters the lead exports as metrics; safe to update from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.not_modified = 0
        self.retries = 0
        self.rate_limit_waits = 0
        self.waited_seconds = 0.0
        self.budget_waits = 0
        self.budget_waited_seconds = 0.0
        self.rate_limit_limit: int | None = None
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: float | None = None

    def count_reply(self, status: int) -> None:
        """One more answered request (304s are free against the rate limit)."""
        with self._lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1

    def count_budget_wait(self, seconds: float) -> None:
        """One request held back by the request budget (GITHUB_REQUESTS_PER_MINUTE) for `seconds`."""
        with self._lock:
            self.budget_waits += 1
            self.budget_waited_seconds += seconds

    @property
    def counted(self) -> int:
        """Requests that count against the rate limit (everything but 304)."""
        return self.requests - self.not_modified

    def snapshot(self) -> dict[str, float | int | None]:
        """A consistent copy of every counter."""
        with self._lock:
            return {"requests": self.requests, "not_modified": self.not_modified,
                    "counted": self.requests - self.not_modified, "retries": self.retries,
                    "rate_limit_waits": self.rate_limit_waits, "waited_seconds": round(self.waited_seconds, 3),
                    "budget_waits": self.budget_waits,
                    "budget_waited_seconds": round(self.budget_waited_seconds, 3),
                    "rate_limit_limit": self.rate_limit_limit, "rate_limit_remaining": self.rate_limit_remaining,
                    "rate_limit_reset": self.rate_limit_reset}


@dataclass(frozen=True)
class GitHubLimits:
    """GitHubRetry's knobs: tries, backoff, the longest wait, and how requests are spaced near the rate limit."""

    attempts: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_wait: float = 60.0
    low_remaining: int = 50
    max_pace: float = 1.0
    secondary_wait: float = 60.0
    rate_limit_retries: int = 2


class GitHubRetry:
    """Decides, for every GitHub request, whether to wait first, retry, or give up with a typed error.

    Primary limit: X-RateLimit-Remaining/Reset are tracked across threads; below `low_remaining`
    requests are spaced so the rest of the budget lasts until the reset (at most `max_pace` apart);
    at zero, everyone waits for the reset. Rate-limit answers (403/429) wait for Retry-After or the
    reset, or a minute for secondary limits. Any single wait longer than `max_wait` raises RateLimited
    instead of blocking, and later requests fail fast until that moment passes. 5xx and transport
    errors back off exponentially with jitter, `attempts` tries in all, then raise Unavailable.
    (The names are GitHubLimits fields.)
    """

    def __init__(self, limits: GitHubLimits = GitHubLimits(), *, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time, jitter: Callable[[], float] = random.random,
                 stats: GitHubStats | None = None) -> None:
        self.limits = limits
        self._attempts = max(1, limits.attempts)
        self.sleep = sleep
        self.now = now
        self.jitter = jitter
        self.stats = stats or GitHubStats()
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._next_slot = 0.0

    def run(self, send: Callable[[], GitHubResponse], what: str, endpoint: Endpoint | None = None) -> GitHubResponse:
        """Send through the policy; returns any answer that is neither retryable nor a rate limit.

        `endpoint` (host, timeout) is only for the texts of the errors raised.
        """
        failures = 0
        limited = 0
        while True:
            self._wait_for_budget(what, endpoint)
            try:
                reply = send()
            except TRANSIENT as exc:
                failures += 1
                if failures >= self._attempts:
                    raise transport_error(exc, what, endpoint, failures) from exc
                self._retry_sleep(self._backoff(failures), what, type(exc).__name__)
                continue
            self._observe(reply.headers)
            if is_rate_limit(reply.status, reply.headers, reply.body):
                limited += 1
                wait = self._limit_wait(reply, limited)
                if limited > self.limits.rate_limit_retries or wait > self.limits.max_wait:
                    raise error_for(reply.status, reply.headers, reply.body, what, endpoint)
                self._rate_sleep(wait, what)
                continue
            if reply.status in RETRYABLE_STATUSES:
                failures += 1
                if failures >= self._attempts:
                    raise error_for(reply.status, reply.headers, reply.body, what, endpoint, failures)
                hinted = hinted_wait(reply.headers)
                wait = min(hinted, self.limits.max_wait) if hinted is not None else self._backoff(failures)
                self._retry_sleep(wait, what, f"HTTP {reply.status}")
                continue
            return reply

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.limits.backoff_cap, self.limits.backoff_base * 2 ** (failures - 1))
        return ceiling * (0.5 + self.jitter() / 2)

    def _observe(self, headers: Mapping[str, str]) -> None:
        try:
            remaining = int(float(headers["x-ratelimit-remaining"]))
            limit = int(float(headers.get("x-ratelimit-limit", remaining)))
        except (KeyError, ValueError, OverflowError):
            return
        reset = reset_epoch(headers, self.now())
        if reset is None:
            return
        stats = self.stats
        with stats._lock:
            # Answers from parallel requests arrive out of order: within one window the lowest count is newest.
            known = stats.rate_limit_remaining
            same_window = stats.rate_limit_reset == reset and known is not None
            stats.rate_limit_remaining = min(known, remaining) if same_window and known is not None else remaining
            stats.rate_limit_limit = limit
            stats.rate_limit_reset = reset

    def _wait_for_budget(self, what: str, endpoint: Endpoint | None = None) -> None:
        stats = self.stats
        with self._lock:
            now = self.now()
            wait = max(0.0, self._blocked_until - now)
            remaining, reset = stats.rate_limit_remaining, stats.rate_limit_reset
            if not wait and remaining is not None and reset is not None and reset > now:
                if remaining <= 0:
                    self._blocked_until = reset + 1
                    wait = reset + 1 - now
                elif remaining <= self.limits.low_remaining:
                    interval = min(self.limits.max_pace, (reset - now) / remaining)
                    slot = max(now, self._next_slot)
                    self._next_slot = slot + interval
                    wait = slot - now
        if wait > self.limits.max_wait:
            until = datetime.fromtimestamp(now + wait, UTC)
            host = endpoint.host if endpoint else "GitHub"
            raise RateLimited(f"{host} rate limit used up, no request sent; it resets at "
                              f"{until:%Y-%m-%d %H:%M:%S} UTC", reset_at=until, target=what)
        if wait > 0:
            self._rate_sleep(wait, what)

    def _limit_wait(self, reply: GitHubResponse, limited: int) -> float:
        now = self.now()
        hinted = hinted_wait(reply.headers)
        reset = reset_epoch(reply.headers, now)
        if hinted is not None:
            wait = hinted
        elif reply.headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            wait = max(0.0, reset - now) + 1
        elif is_secondary_limit(reply.body) or reply.status == 429:
            # GitHub: with neither header, wait at least a minute, longer on each repeat.
            wait = self.limits.secondary_wait * 2 ** (limited - 1)
        else:
            wait = self.limits.secondary_wait
        with self._lock:
            self._blocked_until = max(self._blocked_until, now + wait)
        return wait

    def _rate_sleep(self, seconds: float, what: str) -> None:
        with self.stats._lock:
            self.stats.rate_limit_waits += 1
            self.stats.waited_seconds += seconds
        log.info("github rate limit wait", extra={"target": what, "seconds": round(seconds, 2)})
        self.sleep(seconds)

    def _retry_sleep(self, seconds: float, what: str, reason: str) -> None:
        with self.stats._lock:
            self.stats.retries += 1
            self.stats.waited_seconds += seconds
        log.warning("github request retry", extra={"target": what, "reason": reason, "seconds": round(seconds, 2)})
        self.sleep(seconds)
