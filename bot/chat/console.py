"""The console platform: cards printed to stdout; commands typed on stdin are read by bot/entrypoints/console.py."""

from __future__ import annotations

import itertools
import logging
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import IO

from bot.chat.platform import Inbound, Platform, PlatformKind
from bot.config import Settings
from bot.domain import Card, Digest
from bot.render.console import card_text, digest_text
from bot.render.escape import console_text
from bot.service.notifier import Notifier
from bot.wsgi import WSGIApp

log = logging.getLogger(__name__)
CHANNEL = "console"


class ConsoleNotifier:
    """Prints cards and notices to a stream; message ids are local counters."""

    platform = "console"

    def __init__(self, out: IO[str] | None = None) -> None:
        self._out = out or sys.stdout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _print(self, text: str, thread_id: str | None) -> str:
        message_id = f"console-{next(self._ids)}"
        if thread_id:
            text = "\n".join("    │ " + line for line in text.splitlines())
        with self._lock:
            self._out.write(text.rstrip() + "\n\n")
            self._out.flush()
        return message_id

    def prompt(self, text: str) -> None:
        """Write `text` with no line end (the prompt), in turn with cards printed by other threads."""
        with self._lock:
            self._out.write(text)
            self._out.flush()

    def post_card(self, channel: str, card: Card, thread_id: str | None = None, key: str | None = None) -> str:
        """Print one card."""
        return self._print(card_text(card), thread_id)

    def post_digest(self, channel: str, digest: Digest, key: str | None = None) -> str:
        """Print a digest's header and commit list."""
        return self._print(digest_text(digest), None)

    def post_text(self, channel: str, text: str, thread_id: str | None = None, key: str | None = None) -> str:
        """Print a notice; its text may quote commit titles, so escape sequences are dropped."""
        return self._print(console_text(text), thread_id)

    def find_delivered(self, channel: str, key: str, since: datetime) -> str | None:
        """A terminal cannot be searched; a crash between print and record may print again."""
        return None


class ConsolePlatform:
    """The console as a Platform: always built, so console subscriptions deliver; it serves no HTTP route."""

    name = "console"

    def __init__(self, out: IO[str] | None = None) -> None:
        self.notifier = ConsoleNotifier(out)

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        """Cards for subscriptions whose platform is "console"."""
        return {"console": self.notifier}

    def routes(self) -> Mapping[str, WSGIApp]:
        """None: the console is stdin and stdout."""
        return {}

    def start(self) -> None:
        """Nothing to open: the process reads stdin itself when no chat platform is set."""

    def stop(self) -> None:
        """Nothing to close."""


def _build(settings: Settings, inbound: Inbound) -> Platform:
    return ConsolePlatform(inbound.console_out)


def _skip_check(settings: Settings) -> str | None:
    return "the terminal needs no check"


# The console answers only when nothing else does: bootstrap.chat_platforms decides that.
KIND = PlatformKind(name="console", enabled=lambda settings: True, answers=lambda settings: False,
                    warnings=lambda settings: [], build=_build, check=None, skip_check=_skip_check)
