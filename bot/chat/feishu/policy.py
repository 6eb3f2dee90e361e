"""The one retry policy for Feishu requests (app API and custom-bot webhooks), with an injected sleeper."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from bot.chat.feishu.errors import Answer
from bot.service.notifier import TransientDeliveryError

log = logging.getLogger(__name__)

Result = TypeVar("Result")
Sleeper = Callable[[float], None]


class FeishuRetry:
    """Retries rate limits, 5xx answers and transport failures a bounded number of times.

    A rate-limit answer waits for `x-ogw-ratelimit-reset` when Feishu sends it, else backs off
    exponentially; a wait longer than `max_wait` is not slept but reported as a
    TransientDeliveryError so the delivery is retried in a later cycle. Every other answer is
    returned to the caller to classify.
    """

    def __init__(self, sleeper: Sleeper = time.sleep, attempts: int = 4, base_delay: float = 1.0,
                 max_wait: float = 30.0) -> None:
        self._sleep = sleeper
        self._attempts = max(1, attempts)
        self._base = base_delay
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self.retries = 0
        self.waited = 0.0

    def run(self, send: Callable[[], tuple[Answer, Result]], what: str) -> tuple[Answer, Result]:
        """Call `send` until it gives a final answer; raise TransientDeliveryError when the budget is spent."""
        last = "no attempt"
        for attempt in range(self._attempts):
            try:
                answer, result = send()
            except requests.RequestException as exc:
                # The exception text may carry the URL (a webhook's token): report only its type.
                last = f"transport failure ({type(exc).__name__})"
                wait = self._backoff(attempt)
            else:
                if answer.rate_limited:
                    last = f"rate limited, {answer.describe()}"
                    reset = answer.reset_after()
                    wait = self._backoff(attempt) if reset is None else reset
                elif answer.server_failing:
                    last = f"server failing, {answer.describe()}"
                    wait = self._backoff(attempt)
                else:
                    return answer, result
            if attempt + 1 == self._attempts:
                break
            if wait > self._max_wait:
                raise TransientDeliveryError(f"Feishu {what}: {last}; retry after {wait:.0f}s")
            log.info("feishu retry", extra={"what": what, "attempt": attempt + 1, "wait": round(wait, 2),
                                            "reason": last})
            with self._lock:
                self.retries += 1
                self.waited += wait
            self._sleep(wait)
        raise TransientDeliveryError(f"Feishu {what}: {last} after {self._attempts} attempts")

    def _backoff(self, attempt: int) -> float:
        return min(self._max_wait, self._base * (2 ** attempt))
