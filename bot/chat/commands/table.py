"""The command table: every chat command once — its grammar, check, run, help text and Slack slash command.

Parsing, help, dispatch, the Slack app's registrations and the manifest test all read `COMMANDS`;
a new command is one entry here (plus its help text in the catalog and its line in slack-manifest.yml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.chat.commands.ask import check_ask, run_ask
from bot.chat.commands.commit import check_commit, run_commit
from bot.chat.commands.digest import check_digest, run_digest
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.subscriptions import (
    check_list,
    check_subscribe,
    check_unsubscribe,
    run_list,
    run_subscribe,
    run_unsubscribe,
)
from bot.chat.commands.syntax import Parsed, Spec

Args = TypeVar("Args")

SUBSCRIBE_OPTIONS: dict[str, bool] = {
    "--min": True, "--digest": True, "--tz": True, "--lang": True, "--paths": True,
    "--ignore-authors": True, "--no-merges": False, "--merges": False, "--skip-empty": False,
    "--all-commits": False, "--first-parent": False, "--include-forks": False,
    "--feishu-webhook": True, "--secret": True,
    "--every": True, "--on": True,
}


@dataclass(frozen=True)
class SlashCommand:
    """The command as the Slack app manifest declares it (slack-manifest.yml says exactly the same)."""

    command: str
    description: str
    usage_hint: str | None = None


@dataclass(frozen=True)
class Command(Generic[Args]):
    """One chat command: `check` turns the parsed line into `Args` (or raises UsageError), `run` answers it."""

    name: str
    spec: Spec
    check: Callable[[Parsed, Defaults], Args]
    run: Callable[[Args, CommandContext, CommandServices, str], Reply]
    help_key: str  # the catalog message saying what the command does
    slash: SlashCommand | None = None  # None: not registered as a Slack slash command


COMMANDS: tuple[Command[Any], ...] = (
    Command("commit", Spec("/commit <sha> [owner/repo]", 1, 2), check_commit, run_commit, "help.commit",
            SlashCommand("/commit", "Show the analysis card of one commit", "<sha> [owner/repo]")),
    # No Slack slash command: in Slack (and Feishu) a question is a mention in the thread of the bot's post.
    Command("ask", Spec("/ask <sha> [owner/repo] <question>", 2, 3, free_text=True), check_ask, run_ask, "help.ask"),
    Command("subscribe",
            Spec("/subscribe owner/repo|owner/* [branch|'pattern'] [--min high|medium|low] [--digest HH:MM] "
                 "[--every day|week [--on mon]] [--tz Area/City] [--lang zh|en] [--paths 'glob,…'] "
                 "[--ignore-authors 'name,…'] [--no-merges] "
                 "[--all-commits] [--include-forks] [--feishu-webhook URL [--secret S]]", 1, 2, SUBSCRIBE_OPTIONS),
            check_subscribe, run_subscribe, "help.subscribe",
            SlashCommand("/subscribe", "Follow a repository branch in this channel",
                         "owner/repo|owner/* [branch|'pattern'] [--min high|medium|low] [--digest HH:MM] "
                         "[--every day|week [--on mon]] [--tz Area/City] [--lang zh|en] [--paths 'glob,…'] "
                         "[--ignore-authors 'name,…'] "
                         "[--no-merges] [--all-commits] [--include-forks]")),
    Command("unsubscribe", Spec("/unsubscribe owner/repo|owner/* [branch|'pattern']", 1, 2), check_unsubscribe,
            run_unsubscribe, "help.unsubscribe",
            SlashCommand("/unsubscribe", "Stop following a repository in this channel",
                         "owner/repo|owner/* [branch|'pattern']")),
    Command("subscriptions", Spec("/subscriptions", 0, 0), check_list, run_list, "help.subscriptions",
            SlashCommand("/subscriptions", "List this channel's subscriptions (paused ones say why)")),
    Command("digest", Spec("/digest owner/repo [branch] [YYYY-MM-DD|YYYY-Www]", 1, 3), check_digest, run_digest,
            "help.digest",
            SlashCommand("/digest", "Post a repository's daily (or weekly) digest now",
                         "owner/repo [branch] [YYYY-MM-DD|YYYY-Www]")),
)
BY_NAME: dict[str, Command[Any]] = {command.name: command for command in COMMANDS}
SLASH_COMMANDS: tuple[SlashCommand, ...] = tuple(command.slash for command in COMMANDS if command.slash)
