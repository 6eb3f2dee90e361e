"""The console platform: commands typed on stdin, cards printed to stdout (no chat platform configured)."""

from __future__ import annotations

import itertools
import logging
import sys
import threading
from datetime import datetime
from typing import IO

from bot.domain import Card, Digest
from bot.render.console import card_text, digest_text
from bot.render.escape import console_text

log = logging.getLogger(__name__)
CHANNEL = "console"
PROMPT = "commit-radar> "
WELCOME = ("commit-radar console — no chat platform configured, so cards print here.\n"
           "Type /help for commands, e.g. /subscribe owner/repo --min medium, /commit <sha> owner/repo.")


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


class ConsoleSession:
    """Reads command lines and prints replies until stdin closes or `stop` is set."""

    def __init__(self, handler, notifier: ConsoleNotifier, stdin: IO[str] | None = None,
                 stop: threading.Event | None = None) -> None:
        self._handler = handler
        self._notifier = notifier
        self._in = stdin or sys.stdin
        self._stop = stop or threading.Event()

    def run(self) -> None:
        """The read-eval-print loop; EOF ends the loop but not the bot."""
        from bot.chat.commands import CommandContext

        interactive = self._in.isatty()
        self._notifier.post_text(CHANNEL, WELCOME)
        context = CommandContext(platform="console", channel=CHANNEL, user_id="console", is_direct=True)
        while not self._stop.is_set():
            if interactive:
                sys.stdout.write(PROMPT)
                sys.stdout.flush()
            line = self._in.readline()
            if not line:
                log.info("console input closed; the bot keeps running")
                return
            line = line.strip()
            if not line:
                continue
            if not line.startswith("/"):
                line = "/" + line  # at a terminal, "commit abc123" means "/commit abc123"
            try:
                reply = self._handler.handle(line, context)
            except Exception:  # a bad command must never end the session
                log.exception("console command failed")
                self._notifier.post_text(CHANNEL, "Something went wrong; see the log.")
                continue
            for card in reply.cards:
                self._notifier.post_card(CHANNEL, card)
            if reply.text:
                self._notifier.post_text(CHANNEL, reply.text)
