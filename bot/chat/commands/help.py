"""Help and usage texts, one per command."""

from __future__ import annotations

from bot.chat.commands.grammar import SPECS

DETAILS: dict[str, str] = {
    "commit": (
        "Show the full analysis card of one commit, visible to the channel.\n"
        "<sha> is 4-40 hex digits (or paste the commit's GitHub URL). Without owner/repo, the repositories "
        "this channel subscribes to are searched: stored commits first, then GitHub.\n"
        "Examples: /commit 3f2a9c1   /commit 3f2a9c1 golang/go"
    ),
    "subscribe": (
        "Follow a branch of a repository in this channel (default: the repository's default branch). "
        "The repository and branch are checked on GitHub first. Run it again to change options.\n"
        "--min high|medium|low   post live cards at or above this importance (default high)\n"
        "--digest HH:MM          daily digest time; --tz Area/City its timezone; --lang zh|en\n"
        "--paths 'glob,…'        only commits touching these paths; --ignore-authors 'name,…'\n"
        "--no-merges             skip merge commits; --skip-empty: no digest on days without commits\n"
        "--feishu-webhook URL    post to a Feishu custom-bot webhook instead (outbound only); "
        "--secret S its signing secret\n"
        "Example: /subscribe golang/go master --min medium --digest 09:30 --tz Asia/Shanghai"
    ),
    "unsubscribe": (
        "Stop following a repository in this channel (one branch, or every branch when none is given).\n"
        "Example: /unsubscribe golang/go"
    ),
    "subscriptions": "List this channel's subscriptions with their options; paused ones say why.",
    "digest": (
        "Post the daily digest of a subscribed repository now: one message plus the analyses in its thread.\n"
        "The date defaults to yesterday in the subscription's timezone.\n"
        "Example: /digest golang/go 2024-05-01"
    ),
}


def usage(command: str) -> str:
    """One line: `Usage: /cmd …`."""
    return f"Usage: {SPECS[command].usage}"


def command_help(command: str) -> str:
    """The usage line and what the command does."""
    if command == "help":
        return overview()
    return f"{usage(command)}\n{DETAILS[command]}"


def overview() -> str:
    """Every command on one line each."""
    lines = ["commit-radar commands (add `help` after any of them for details):"]
    lines += [f"  {SPECS[name].usage}" for name in ("commit", "subscribe", "unsubscribe", "subscriptions", "digest")]
    return "\n".join(lines)
