"""Refused inbound requests in the log: one WARNING line per client and reason a minute, the rest counted.

Every inbound endpoint refuses requests it cannot trust. Each refusal deserves a line (an operator
must see a misconfigured secret or a probe), but a client sending thousands of bad requests must
not be able to flood the log: within a window only the first refusal per (client, reason) is
written, and the next line for that pair says how many were left out. A table of clients is kept
for the window only and is bounded, so a flood from many addresses cannot grow memory either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = 60.0
MAX_TRACKED = 4096
OTHERS = "(other clients)"  # where refusals go once the table is full


@dataclass
class _Seen:
    logged_at: float
    suppressed: int = 0


def client_of(environ: dict) -> str:
    """The peer address of a WSGI request (forwarding headers are the client's own words, so ignored)."""
    return str(environ.get("REMOTE_ADDR") or "unknown")[:64]


class RefusalLog:
    """Writes refusals to `logger` at WARNING, at most one line per client and reason per `window` seconds."""

    def __init__(self, logger: logging.Logger, endpoint: str, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_tracked: int = MAX_TRACKED) -> None:
        self._log = logger
        self._endpoint = endpoint
        self._window = window
        self._clock = clock
        self._max = max_tracked
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._swept_at = clock()
        self._lock = threading.Lock()

    def refused(self, client: str, reason: str) -> None:
        """Record one refused request from `client`; `reason` is a short fixed text, never request content."""
        now = self._clock()
        with self._lock:
            key = (client, reason)
            lines = self._sweep(now, keep=key)
            seen = self._seen.get(key)
            if seen is None and len(self._seen) >= self._max:
                key = (OTHERS, reason)
                seen = self._seen.get(key)
            if seen is not None and now - seen.logged_at < self._window:
                seen.suppressed += 1
            else:
                lines.append((key, seen.suppressed if seen else 0, "request refused"))
                self._seen[key] = _Seen(now)
        for (who, why), suppressed, message in lines:
            self._write(message, who, why, suppressed)

    def _sweep(self, now: float, keep: tuple[str, str]) -> list[tuple[tuple[str, str], int, str]]:
        # Once a window, forget pairs that have been quiet for a whole window; what they still
        # owe (a count of left-out lines) is written now, as nobody else would write it. `keep`
        # is the pair being refused now: its count goes on its own next line.
        if now - self._swept_at < self._window:
            return []
        self._swept_at = now
        owed = []
        for key, seen in list(self._seen.items()):
            if key != keep and now - seen.logged_at >= self._window:
                del self._seen[key]
                if seen.suppressed:
                    owed.append((key, seen.suppressed, "refused requests left out of the log"))
        return owed

    def _write(self, message: str, client: str, reason: str, suppressed: int) -> None:
        extra: dict[str, object] = {"endpoint": self._endpoint, "client": client, "reason": reason}
        if suppressed:
            extra["suppressed"] = suppressed  # refusals of this pair left out of the log since its last line
        self._log.warning(message, extra=extra)
