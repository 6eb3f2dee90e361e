"""The one bounded retry policy for LLM calls, with an injectable sleeper."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

Sleeper = Callable[[float], None]


@dataclass(frozen=True)
class LLMRetry:
    """At most `max_attempts` requests per analysis and `max_total_wait` seconds of waiting."""

    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 30.0
    max_total_wait: float = 90.0

    def delay(self, retry_number: int, retry_after: float | None, waited: float) -> float | None:
        """Seconds to wait before retry `retry_number` (0-based), or None to stop retrying.

        A server's Retry-After is honoured as given; one longer than `max_delay`, or one that
        would overrun `max_total_wait`, ends the retries instead of blocking a worker.
        """
        wait = retry_after if retry_after is not None else min(self.max_delay, self.base_delay * 2 ** retry_number)
        if wait > self.max_delay or waited + wait > self.max_total_wait:
            return None
        return max(0.0, wait)


def parse_retry_after(headers: dict[str, str] | object, now: datetime | None = None) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (delta seconds or HTTP date); None if absent."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def real_sleep(seconds: float) -> None:
    """time.sleep, the production sleeper."""
    time.sleep(seconds)
