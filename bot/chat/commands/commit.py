"""`/commit <sha> [owner/repo]`: the full analysis card of one commit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.commands import arguments
from bot.chat.commands.grammar import Parsed, UsageError
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.domain import RepoRef
from bot.service.lookup import CommitLookup, LookupResult

SHORT_PREFIX = 7


@dataclass(frozen=True)
class CommitArgs:
    """Checked `/commit` arguments."""

    prefix: str
    repo: RepoRef | None


def check_commit(parsed: Parsed) -> CommitArgs:
    """A SHA (or commit URL) and an optional repository."""
    url_repo, prefix = arguments.commit_target("commit", parsed.args[0])
    repo = arguments.repo("commit", parsed.args[1]) if len(parsed.args) > 1 else url_repo
    return CommitArgs(prefix, repo)


def run_commit(args: CommitArgs, ctx: CommandContext, services: CommandServices, lookup: CommitLookup) -> Reply:
    """Find the commit, analyse it (cached analyses cost nothing) and answer with its card for everyone."""
    subs = services.subscriptions_of(ctx)
    if args.repo is not None:
        # Prefer the stored spelling of a subscribed repo so stored commits are found.
        same = [sub.repo for sub in subs if sub.repo.full_name.lower() == args.repo.full_name.lower()]
        repos = [same[0] if same else args.repo]
    else:
        repos = list(dict.fromkeys(sub.repo for sub in subs))
        if not repos:
            raise UsageError("commit", "this channel subscribes to no repositories to search; "
                                       "name one: /commit <sha> owner/repo")
    result = lookup.find(args.prefix, repos)
    if result.status != "found" or result.commit is None:
        return Reply(text=_not_found_text(args.prefix, result))
    commit = result.commit
    settings = next((sub for sub in subs if sub.repo.full_name.lower() == commit.repo.full_name.lower()), None)
    language = settings.language if settings else services.defaults.language
    timezone = settings.timezone if settings else services.defaults.timezone
    return Reply(cards=[lookup.card(commit, language, timezone)], public=True)


def _not_found_text(prefix: str, result: LookupResult) -> str:
    where = ", ".join(str(repo) for repo in result.searched) or "no repository"
    if result.status == "ambiguous":
        lines = [f"{prefix} matches {len(result.candidates)} commits; add more digits or name the repository:"]
        lines += [f"• {c.repo} {c.sha[:12]}" + (f" {c.title}" if c.title else "") for c in result.candidates]
        return "\n".join(lines)
    if result.status == "failed":
        return f"Could not look up {prefix}: " + "; ".join(result.failures) + ". Try again later."
    lines = [f"No commit {prefix} in {where}."]
    if result.skipped:
        lines.append(f"Not searched ({len(result.skipped)} more repositories): "
                     f"name one with /commit {prefix} owner/repo")
    if len(prefix) < SHORT_PREFIX:
        lines.append("A short prefix may match several commits on GitHub; try 7 or more digits.")
    return "\n".join(lines)
