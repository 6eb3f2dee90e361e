"""Command-line grammar: tokenise what was typed, split positionals from options, name what is wrong."""

from __future__ import annotations

import re
import shlex

from bot.chat.commands.messages import Message
from bot.chat.commands.syntax import Parsed, Spec, UsageError
from bot.chat.commands.table import BY_NAME

# `help` is the grammar's own: answered from the table, not a command in it.
HELP = "help"
HELP_SPEC = Spec("/help [command]", 0, 1)
HELP_WORDS = ("help", "--help", "-h", "?")

# Typing `--` on phones and Macs often turns it into a dash; quotes into curly quotes.
_TRANSLATE = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ",
                            "\u3000": " "})
_DASHED = re.compile(r"^(?:\u2014|\u2013|\u2012|\u2015)(?=\S)")
# Slack wraps links (and, with escaping on, more) in <…|…>; keep the target.
_SLACK_LINK = re.compile(r"^<([^|<>]+)(?:\|[^<>]*)?>$")


def command_name(text: str) -> str | None:
    """The known command `text` starts with (`/commit …` → `commit`, `help` → `help`), else None."""
    words = (text or "").translate(_TRANSLATE).split()
    if not words:
        return None
    first = words[0].lower()
    if first in (HELP, "/" + HELP):
        return HELP
    if first.startswith("/") and first[1:] in BY_NAME:
        return first[1:]
    return None


def tokenise(text: str) -> list[str]:
    """Split like a shell (quotes group words), after undoing chat clients' typographic changes."""
    try:
        words = shlex.split(text.translate(_TRANSLATE))
    except ValueError:
        raise UsageError(None, Message("grammar.unbalanced_quote")) from None
    tokens = []
    for word in words:
        word = _DASHED.sub("--", word)
        link = _SLACK_LINK.match(word)
        tokens.append(link.group(1) if link else word)
    return tokens


def parse(text: str) -> Parsed:
    """Parse a whole command line such as `/subscribe owner/repo main --min medium`."""
    free = _free_text(text)
    if free is not None:
        return free
    tokens = tokenise(text)
    if not tokens:
        raise UsageError(HELP, Message("grammar.empty"))
    head = tokens[0].lower().lstrip("/")
    spec = _spec(head)
    if spec is None:
        raise UsageError(HELP, Message("grammar.unknown_command", name=tokens[0]))
    rest = tokens[1:]
    if head != HELP and rest and rest[0].lower() in HELP_WORDS:
        return Parsed(head, wants_help=True)
    if head != HELP and any(word.lower() in ("--help", "-h") for word in rest):
        return Parsed(head, wants_help=True)
    args, options = _split(head, spec, rest)
    if len(args) < spec.min_args:
        raise UsageError(head, Message("grammar.missing", name=spec.usage.split()[len(args) + 1]))
    if len(args) > spec.max_args:
        raise UsageError(head, Message("grammar.unexpected", value=args[spec.max_args]))
    return Parsed(head, tuple(args), options)


def _free_text(text: str) -> Parsed | None:
    """A command whose Spec takes free text: its first word, then the rest of the line untouched; else None."""
    words = (text or "").translate(_TRANSLATE).split(maxsplit=2)
    head = words[0].lower().lstrip("/") if words else ""
    command = BY_NAME.get(head)
    if command is None or not command.spec.free_text:
        return None
    rest = words[1:]
    if rest and rest[0].lower() in HELP_WORDS:
        return Parsed(head, wants_help=True)
    if len(rest) < 2:
        words = command.spec.usage.split()  # the first positional, or the free text (the usage's last word)
        raise UsageError(head, Message("grammar.missing", name=words[-1] if rest else words[1]))
    first = _SLACK_LINK.match(rest[0])
    return Parsed(head, (first.group(1) if first else rest[0], rest[1].strip()))


def _split(head: str, spec: Spec, words: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    """Positionals and options (`--name value`, `--name=value`, `--flag`) of command `head`."""
    args: list[str] = []
    options: dict[str, str | bool] = {}
    pending = iter(words)
    for word in pending:
        if not word.startswith("--"):
            args.append(word)
            continue
        name, has_inline, inline = word.partition("=")
        name = name.lower()
        if not _takes_value(head, spec, name):
            if has_inline:
                raise UsageError(head, Message("grammar.flag_with_value", name=name))
            options[name] = True
            continue
        value = inline if has_inline else next(pending, "")
        if not value.strip():
            raise UsageError(head, Message("grammar.needs_value", name=name))
        options[name] = value
    return args, options


def _takes_value(head: str, spec: Spec, name: str) -> bool:
    if name in spec.options:
        return spec.options[name]
    if not spec.options:
        raise UsageError(head, Message("grammar.no_options", name=name, command=head))
    raise UsageError(head, Message("grammar.unknown_option", name=name, known=", ".join(spec.options)))


def _spec(name: str) -> Spec | None:
    if name == HELP:
        return HELP_SPEC
    command = BY_NAME.get(name)
    return command.spec if command else None


def requested_language(text: str) -> str | None:
    """The `--lang zh|en` a command line names (even one that fails its checks), else None."""
    try:
        words = tokenise(text)
    except UsageError:
        return None
    for index, word in enumerate(words):
        name, has_inline, inline = word.partition("=")
        if name.lower() != "--lang":
            continue
        value = inline if has_inline else (words[index + 1] if index + 1 < len(words) else "")
        if value.strip().lower() in ("zh", "en"):
            return value.strip().lower()
    return None
