"""The one entry point every platform calls: parse → validate → handle → Reply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.chat.commands.commit import check_commit, run_commit
from bot.chat.commands.digest import check_digest, run_digest
from bot.chat.commands.grammar import Parsed, UsageError, command_name, parse, requested_language
from bot.chat.commands.help import COMMANDS, command_help, overview, usage
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.chat.commands.subscriptions import (check_subscribe, check_unsubscribe, run_list, run_subscribe,
                                             run_unsubscribe)
from bot.scrub import scrub_fields, scrub_text
from bot.service.lookup import CommitLookup

log = logging.getLogger(__name__)


def is_command(text: str) -> bool:
    """True when `text` starts with one of the bot's commands (`/commit …`, `help`)."""
    return command_name(text) is not None


@dataclass(frozen=True)
class Prepared:
    """A command whose arguments passed their checks, ready to run."""

    name: str
    args: Any


class CommandHandler:
    """Parses, validates and runs commands against the services; never raises."""

    def __init__(self, services: CommandServices) -> None:
        self.services = services
        self.lookup = services.lookup or CommitLookup(services.store, services.source, services.analyser)
        self._runners: dict[str, Callable[[Any, CommandContext, str], Reply]] = {
            "commit": lambda args, ctx, lang: run_commit(args, ctx, self.services, self.lookup, lang),
            "subscribe": lambda args, ctx, lang: run_subscribe(args, ctx, self.services, lang),
            "unsubscribe": lambda args, ctx, lang: run_unsubscribe(args, ctx, self.services, lang),
            "subscriptions": lambda args, ctx, lang: run_list(ctx, self.services, lang),
            "digest": lambda args, ctx, lang: run_digest(args, ctx, self.services, lang),
        }

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
        if prepared.name == "help":
            return Reply(text=prepared.args)
        try:
            return self._runners[prepared.name](prepared.args, ctx, lang)
        except UsageError as exc:
            return usage_reply(exc, lang)
        except Exception as exc:  # one failing command must not take the chat listener down; logged in full
            log.exception("command failed", extra={"command": prepared.name, "platform": ctx.platform,
                                                   "channel": ctx.channel})
            return Reply(text=say(lang, "failed.command", command=prepared.name, error=type(exc).__name__))

    def quick(self, text: str) -> Reply | None:
        """The answer when no service is needed (help, or arguments that fail their checks), else None.

        Chat adapters call this inside the platform's acknowledgement deadline and run `handle`
        later (Slack lazy listeners) only when this returns None.
        """
        prepared = self._checked(text, self.reply_language(text))
        if isinstance(prepared, Reply):
            return scrubbed(prepared)
        if prepared.name == "help":
            return Reply(text=prepared.args)
        return None

    def _checked(self, text: str, lang: str) -> Prepared | Reply:
        """The prepared command, or the Reply saying why it cannot run (a bug in a check included)."""
        try:
            return self._prepare(text, lang)
        except UsageError as exc:
            return usage_reply(exc, lang)
        except Exception as exc:  # a check that breaks must not take the chat listener down; logged in full
            log.exception("command check failed", extra={"command": command_name(text)})
            return Reply(text=say(lang, "failed.check", error=type(exc).__name__))

    def _prepare(self, text: str, lang: str) -> Prepared:
        parsed = parse(text)
        if parsed.wants_help:
            return Prepared("help", command_help(parsed.name, lang))
        if parsed.name == "help":
            return Prepared("help", _help_topic(parsed, lang))
        checks: dict[str, Callable[[Parsed], Any]] = {
            "commit": check_commit, "unsubscribe": check_unsubscribe,
            "subscribe": lambda p: check_subscribe(p, self.services.defaults.webhook_hosts),
            "subscriptions": lambda p: None, "digest": check_digest,
        }
        return Prepared(parsed.name, checks[parsed.name](parsed))


def scrubbed(reply: Reply) -> Reply:
    """The reply as it may leave the process: upstream error text in it (GitHub's, an LLM's) scrubbed of secrets."""
    cards = [scrub_fields(card, "notice") for card in reply.cards]
    changed = any(new is not old for new, old in zip(cards, reply.cards))
    text = scrub_text(reply.text) if reply.text else reply.text
    if text == reply.text and not changed:
        return reply
    return reply.model_copy(update={"text": text, "cards": cards})


def _help_topic(parsed: Parsed, lang: str) -> str:
    if not parsed.args:
        return overview(lang)
    topic = parsed.args[0].lower().lstrip("/")
    if topic not in COMMANDS:
        raise UsageError("help", Message("help.no_such_command", name=parsed.args[0]))
    return command_help(topic, lang)


def usage_reply(exc: UsageError, lang: str = "en") -> Reply:
    """An only-to-you reply naming what is wrong, with the usage line, in `lang`."""
    problem = exc.text(lang)
    first = say(lang, "usage.end", problem=problem[:1].upper() + problem[1:])
    if exc.command is None or exc.command == "help":
        return Reply(text=f"{first}\n{overview(lang)}")
    return Reply(text=f"{first}\n{usage(exc.command, lang)}\n{say(lang, 'usage.more', command=exc.command)}")
