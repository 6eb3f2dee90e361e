"""Acknowledgements first: background answers wait for a lull in incoming requests.

Python runs one thread at a time; an answer that renders cards or builds an LLM prompt holds
the interpreter for milliseconds at a time, and fifty of them starting during a burst of
commands push acknowledgements past Slack's patience. Background work therefore starts only
once no request has arrived for `quiet` seconds — never later than `max_wait`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ForegroundFirst:
    """Counts requests in flight; background work waits for a quiet moment."""

    def __init__(self, quiet: float = 0.02, max_wait: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self._monotonic = monotonic
        self._busy = 0
        self._last = 0.0
        self._changed = threading.Condition()

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Wrap the handling of one incoming request."""
        with self._changed:
            self._busy += 1
            self._last = self._monotonic()
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._last = self._monotonic()
                self._changed.notify_all()

    def wait_for_lull(self) -> None:
        """Block until no request is in flight and none arrived for `quiet` seconds (at most `max_wait`)."""
        deadline = self._monotonic() + self.max_wait
        with self._changed:
            while True:
                now = self._monotonic()
                if now >= deadline:
                    return
                idle_for = now - self._last
                if self._busy == 0 and idle_for >= self.quiet:
                    return
                wait = self.quiet - idle_for if self._busy == 0 else deadline - now
                self._changed.wait(min(max(wait, 0.001), deadline - now))
