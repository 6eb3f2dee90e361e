"""Help and usage texts, one per command of the table, in the reply's language."""

from __future__ import annotations

from bot.chat.commands.grammar import HELP
from bot.chat.commands.messages import Message, say
from bot.chat.commands.syntax import UsageError
from bot.chat.commands.table import BY_NAME, COMMANDS


def usage(command: str, language: str = "en") -> str:
    """One line: `Usage: /cmd …` (the syntax itself is the same in every language)."""
    return say(language, "usage.line", usage=BY_NAME[command].spec.usage)


def command_help(command: str, language: str = "en") -> str:
    """The usage line and what the command does."""
    return f"{usage(command, language)}\n{say(language, BY_NAME[command].help_key)}"


def overview(language: str = "en") -> str:
    """Every command of the table on one line each."""
    lines = [say(language, "help.overview")]
    lines += [f"  {command.spec.usage}" for command in COMMANDS]
    return "\n".join(lines)


def help_topic(args: tuple[str, ...], language: str = "en") -> str:
    """What `/help [command]` answers: the overview, or the named command's help."""
    if not args:
        return overview(language)
    topic = args[0].lower().lstrip("/")
    if topic not in BY_NAME:
        raise UsageError(HELP, Message("help.no_such_command", name=args[0]))
    return command_help(topic, language)
