"""The one entry point every platform calls: parse → check → run the table's command → Reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.chat.commands.grammar import HELP, command_name, parse, requested_language
from bot.chat.commands.help import command_help, help_topic, overview, usage
from bot.chat.commands.messages import say
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.chat.commands.syntax import UsageError
from bot.chat.commands.table import BY_NAME, Command
from bot.scrub import scrub_fields, scrub_text

log = logging.getLogger(__name__)


def is_command(text: str) -> bool:
    """True when `text` starts with one of the bot's commands (`/commit …`, `help`)."""
    return command_name(text) is not None


@dataclass(frozen=True)
class Prepared:
    """A command whose arguments passed their checks, ready to run."""

    command: Command[Any]
    args: Any


class CommandHandler:
    """Parses, validates and runs commands against the services; never raises."""

    def __init__(self, services: CommandServices) -> None:
        self.services = services

    @property
    def language(self) -> str:
        """The language replies take when the command does not name one (LANGUAGE, like the cards)."""
        return self.services.defaults.language

    def reply_language(self, text: str) -> str:
        """`--lang` when the command line names it, else the configured language."""
        return requested_language(text) or self.language

    def handle(self, text: str, ctx: CommandContext) -> Reply:
        """Answer one command line as typed, e.g. `/commit abc1234 owner/repo`."""
        return scrubbed(self._handle(text, ctx))

    def _handle(self, text: str, ctx: CommandContext) -> Reply:
        lang = self.reply_language(text)
        prepared = self._checked(text, lang)
        if isinstance(prepared, Reply):
            return prepared
        command = prepared.command
        try:
            return command.run(prepared.args, ctx, self.services, lang)
        except UsageError as exc:
            return usage_reply(exc, lang)
        except Exception as exc:  # one failing command must not take the chat listener down; logged in full
            log.exception("command failed", extra={"command": command.name, "platform": ctx.platform,
                                                   "channel": ctx.channel})
            return Reply(text=say(lang, "failed.command", command=command.name, error=type(exc).__name__))

    def quick(self, text: str) -> Reply | None:
        """The answer when no service is needed (help, or arguments that fail their checks), else None.

        Chat adapters call this inside the platform's acknowledgement deadline and run `handle`
        later (Slack lazy listeners) only when this returns None.
        """
        prepared = self._checked(text, self.reply_language(text))
        return scrubbed(prepared) if isinstance(prepared, Reply) else None

    def _checked(self, text: str, lang: str) -> Prepared | Reply:
        """The prepared command, or the Reply that answers it now: help, or why it cannot run (a broken check too)."""
        try:
            return self._prepare(text, lang)
        except UsageError as exc:
            return usage_reply(exc, lang)
        except Exception as exc:  # a check that breaks must not take the chat listener down; logged in full
            log.exception("command check failed", extra={"command": command_name(text)})
            return Reply(text=say(lang, "failed.check", error=type(exc).__name__))

    def _prepare(self, text: str, lang: str) -> Prepared | Reply:
        parsed = parse(text)
        if parsed.wants_help:
            return Reply(text=command_help(parsed.name, lang))
        if parsed.name == HELP:
            return Reply(text=help_topic(parsed.args, lang))
        command = BY_NAME[parsed.name]
        return Prepared(command, command.check(parsed, self.services.defaults))


def scrubbed(reply: Reply) -> Reply:
    """The reply as it may leave the process: upstream error text in it (GitHub's, an LLM's) scrubbed of secrets."""
    cards = [scrub_fields(card, "notice") for card in reply.cards]
    changed = any(new is not old for new, old in zip(cards, reply.cards, strict=True))
    text = scrub_text(reply.text) if reply.text else reply.text
    if text == reply.text and not changed:
        return reply
    return reply.model_copy(update={"text": text, "cards": cards})


def usage_reply(exc: UsageError, lang: str = "en") -> Reply:
    """An only-to-you reply naming what is wrong, with the usage line, in `lang`."""
    problem = exc.text(lang)
    first = say(lang, "usage.end", problem=problem[:1].upper() + problem[1:])
    if exc.command is None or exc.command == HELP:
        return Reply(text=f"{first}\n{overview(lang)}")
    return Reply(text=f"{first}\n{usage(exc.command, lang)}\n{say(lang, 'usage.more', command=exc.command)}")
