"""Help and usage texts, one per command, in the reply's language."""

from __future__ import annotations

from bot.chat.commands.grammar import SPECS
from bot.chat.commands.messages import say

COMMANDS = ("commit", "subscribe", "unsubscribe", "subscriptions", "digest")


def usage(command: str, language: str = "en") -> str:
    """One line: `Usage: /cmd …` (the syntax itself is the same in every language)."""
    return say(language, "usage.line", usage=SPECS[command].usage)


def command_help(command: str, language: str = "en") -> str:
    """The usage line and what the command does."""
    if command == "help":
        return overview(language)
    return f"{usage(command, language)}\n{say(language, 'help.' + command)}"


def overview(language: str = "en") -> str:
    """Every command on one line each."""
    lines = [say(language, "help.overview")]
    lines += [f"  {SPECS[name].usage}" for name in COMMANDS]
    return "\n".join(lines)
