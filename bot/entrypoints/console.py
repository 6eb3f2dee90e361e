"""The console session: command lines read from stdin, replies printed through the console platform."""

from __future__ import annotations

import logging
import sys
import threading
from typing import IO

from bot.chat.commands import CommandContext, CommandHandler
from bot.chat.commands.messages import say
from bot.chat.console import CHANNEL, ConsoleNotifier

log = logging.getLogger(__name__)
PROMPT = "commit-radar> "
QUIT_WORDS = ("/quit", "/exit")


class ConsoleSession:
    """Reads command lines and prints replies; `/quit`, `exit` or Ctrl-D stop the whole bot through `stop`."""

    def __init__(self, handler: CommandHandler, notifier: ConsoleNotifier, stdin: IO[str] | None = None,
                 stop: threading.Event | None = None) -> None:
        self._handler = handler
        self._notifier = notifier
        self._in = stdin or sys.stdin
        self._stop = stop or threading.Event()
        self._lang = getattr(handler, "language", "en")

    def run(self) -> None:
        """The read-eval-print loop, until a quit command, the end of input or `stop`."""
        interactive = self._in.isatty()
        if interactive:
            self._notifier.post_text(CHANNEL, say(self._lang, "console.welcome"))
        context = CommandContext(platform="console", channel=CHANNEL, user_id="console", is_direct=True)
        lines_read = 0
        while not self._stop.is_set():
            if interactive:
                self._notifier.prompt(PROMPT)
            line = self._in.readline()
            if not line:
                # Ctrl-D at a terminal, or the end of piped commands, means "done"; a process started
                # with stdin already closed (docker without -i, systemd) is a service and keeps running.
                if interactive or lines_read:
                    self._quit(newline=interactive)
                else:
                    log.info("console off: stdin is closed, so no commands are read; the bot keeps running")
                return
            if not interactive and not lines_read:
                self._notifier.post_text(CHANNEL, say(self._lang, "console.welcome"))
            lines_read += 1
            line = line.strip()
            if not line:
                continue
            if not line.startswith("/"):
                line = "/" + line  # at a terminal, "commit abc123" means "/commit abc123"
            if line.lower() in QUIT_WORDS:
                self._quit()
                return
            self._answer(line, context)

    def _answer(self, line: str, context: CommandContext) -> None:
        try:
            reply = self._handler.handle(line, context)
        except Exception:  # a bad command must never end the session
            log.exception("console command failed")
            self._notifier.post_text(CHANNEL, say(self._lang, "console.failed"))
            return
        for card in reply.cards:
            self._notifier.post_card(CHANNEL, card)
        text = reply.text
        if text and line.split()[0].lower() == "/help" and len(line.split()) == 1:
            text += "\n" + say(self._lang, "console.help_quit")  # only the console can be quit from
        if text:
            self._notifier.post_text(CHANNEL, text)

    def _quit(self, newline: bool = False) -> None:
        if newline:
            self._notifier.prompt("\n")  # Ctrl-D leaves the cursor on the prompt line
        self._notifier.post_text(CHANNEL, say(self._lang, "console.goodbye"))
        log.info("console quit: stopping")
        self._stop.set()
