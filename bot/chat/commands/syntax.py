"""What a command line is made of: a command's `Spec`, the `Parsed` line, the `UsageError` when it does not fit."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chat.commands.messages import Message


@dataclass(frozen=True)
class Spec:
    """How many positionals a command takes and which options it knows (name -> True when it takes a value)."""

    usage: str
    min_args: int
    max_args: int
    options: dict[str, bool] = field(default_factory=dict)
    # The first positional, then the rest of the line as typed (a question: apostrophes and all, no options).
    free_text: bool = False


@dataclass(frozen=True)
class Parsed:
    """A tokenised command: its name, positional arguments and options."""

    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str | bool] = field(default_factory=dict)
    wants_help: bool = False


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
