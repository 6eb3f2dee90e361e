"""One logging setup: one line per event, `key=value` context, secrets scrubbed."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from bot.scrub import Scrubber, current

# Control characters (ESC starts terminal escape sequences) and bidi overrides, shown as escapes
# so untrusted text in a log line cannot recolour, rewrite or reorder a terminal or log viewer.
_UNSAFE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime", "taskName"}


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(ch.isspace() or ch in '"=' for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class KeyValueFormatter(logging.Formatter):
    """`time level logger message key=value…` on a single line, secrets and token-shaped text masked.

    The whole line is scrubbed (message, context and traceback alike) by the process's scrubber
    (bot.scrub) and by one holding the `secrets` given here.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._own = Scrubber(secrets)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{key}={_quote(value)}" for key, value in record.__dict__.items()
                           if key not in _STANDARD and not key.startswith("_"))
        if context:
            line = f"{line} {context}"
        line = line.replace("\r", "\\r").replace("\n", "\\n")
        line = _UNSAFE.sub(_escape, line)
        if self._own.secrets:
            line = self._own.scrub(line)
        return current().scrub(line)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = (), stream=None) -> None:
    """Configure the root logger once; calling again replaces the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Library chatter (request lines with headers) stays out of INFO.
    for noisy in ("urllib3", "httpx", "httpx2", "httpcore", "alembic", "apscheduler", "Lark", "waitress.queue",
                  "procrastinate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
