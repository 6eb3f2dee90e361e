"""Command-line grammar: tokenise what was typed, split positionals from options, name what is wrong."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from bot.chat.commands.messages import Message

# Option name -> True when it takes a value, False for a flag.
SUBSCRIBE_OPTIONS: dict[str, bool] = {
    "--min": True, "--digest": True, "--tz": True, "--lang": True, "--paths": True,
    "--ignore-authors": True, "--no-merges": False, "--merges": False, "--skip-empty": False,
    "--feishu-webhook": True, "--secret": True,
}


@dataclass(frozen=True)
class Spec:
    """How many positionals a command takes and which options it knows."""

    usage: str
    min_args: int
    max_args: int
    options: dict[str, bool] = field(default_factory=dict)


SPECS: dict[str, Spec] = {
    "commit": Spec("/commit <sha> [owner/repo]", 1, 2),
    "subscribe": Spec("/subscribe owner/repo [branch] [--min high|medium|low] [--digest HH:MM] [--tz Area/City] "
                      "[--lang zh|en] [--paths 'glob,…'] [--ignore-authors 'name,…'] [--no-merges] "
                      "[--feishu-webhook URL [--secret S]]",
                      1, 2, SUBSCRIBE_OPTIONS),
    "unsubscribe": Spec("/unsubscribe owner/repo [branch]", 1, 2),
    "subscriptions": Spec("/subscriptions", 0, 0),
    "digest": Spec("/digest owner/repo [branch] [YYYY-MM-DD]", 1, 3),
    "help": Spec("/help [command]", 0, 1),
}
HELP_WORDS = ("help", "--help", "-h", "?")

# Typing `--` on phones and Macs often turns it into a dash; quotes into curly quotes.
_TRANSLATE = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ",
                            "\u3000": " "})
_DASHED = re.compile(r"^(?:\u2014|\u2013|\u2012|\u2015)(?=\S)")
# Slack wraps links (and, with escaping on, more) in <…|…>; keep the target.
_SLACK_LINK = re.compile(r"^<([^|<>]+)(?:\|[^<>]*)?>$")


class UsageError(ValueError):
    """A command that cannot run as typed; `problem` says what is wrong, `command` which usage to show.

    `problem` is a catalog Message (shown in the reply's language) or plain text shown as is.
    """

    def __init__(self, command: str | None, problem: str | Message) -> None:
        super().__init__(str(problem))
        self.command = command
        self.message = problem if isinstance(problem, Message) else None
        self.problem = str(problem)

    def text(self, language: str) -> str:
        """What is wrong, in `language` when the problem came from the catalog."""
        return self.message.render(language) if self.message is not None else self.problem


@dataclass(frozen=True)
class Parsed:
    """A tokenised command: its name, positional arguments and options."""

    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str | bool] = field(default_factory=dict)
    wants_help: bool = False


def command_name(text: str) -> str | None:
    """The known command `text` starts with (`/commit …` → `commit`, `help` → `help`), else None."""
    words = (text or "").translate(_TRANSLATE).split()
    if not words:
        return None
    first = words[0].lower()
    if first in ("help", "/help"):
        return "help"
    if first.startswith("/") and first[1:] in SPECS:
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
    tokens = tokenise(text)
    if not tokens:
        raise UsageError("help", Message("grammar.empty"))
    head = tokens[0].lower().lstrip("/")
    if head not in SPECS:
        raise UsageError("help", Message("grammar.unknown_command", name=tokens[0]))
    spec = SPECS[head]
    rest = tokens[1:]
    if head != "help" and rest and rest[0].lower() in HELP_WORDS:
        return Parsed(head, wants_help=True)
    if head != "help" and any(word.lower() in ("--help", "-h") for word in rest):
        return Parsed(head, wants_help=True)
    args: list[str] = []
    options: dict[str, str | bool] = {}
    index = 0
    while index < len(rest):
        word = rest[index]
        index += 1
        if not word.startswith("--"):
            args.append(word)
            continue
        name, has_inline, inline = word.partition("=")
        name = name.lower()
        if name not in spec.options:
            if not spec.options:
                raise UsageError(head, Message("grammar.no_options", name=name, command=head))
            raise UsageError(head, Message("grammar.unknown_option", name=name, known=", ".join(spec.options)))
        if not spec.options[name]:
            if has_inline:
                raise UsageError(head, Message("grammar.flag_with_value", name=name))
            options[name] = True
            continue
        if has_inline:
            value = inline
        elif index < len(rest):
            value = rest[index]
            index += 1
        else:
            raise UsageError(head, Message("grammar.needs_value", name=name))
        if not value.strip():
            raise UsageError(head, Message("grammar.needs_value", name=name))
        options[name] = value
    if len(args) < spec.min_args:
        raise UsageError(head, Message("grammar.missing", name=spec.usage.split()[len(args) + 1]))
    if len(args) > spec.max_args:
        raise UsageError(head, Message("grammar.unexpected", value=args[spec.max_args]))
    return Parsed(head, tuple(args), options)


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
