"""`/commit <sha> [owner/repo]`: the full analysis card of one commit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.commands import arguments
from bot.chat.commands.grammar import Parsed, UsageError
from bot.chat.commands.messages import Message, say
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


def run_commit(args: CommitArgs, ctx: CommandContext, services: CommandServices, lookup: CommitLookup,
               lang: str = "en") -> Reply:
    """Find the commit, analyse it (cached analyses cost nothing) and answer with its card for everyone."""
    subs = services.subscriptions_of(ctx)
    if args.repo is not None:
        # Prefer the stored spelling of a subscribed repo so stored commits are found.
        same = [sub.repo for sub in subs if sub.repo.full_name.lower() == args.repo.full_name.lower()]
        repos = [same[0] if same else args.repo]
    else:
        repos = list(dict.fromkeys(sub.repo for sub in subs))
        if not repos:
            raise UsageError("commit", Message("commit.no_repos"))
    result = lookup.find(args.prefix, repos)
    if result.status != "found" or result.commit is None:
        return Reply(text=_not_found_text(args.prefix, result, lang))
    commit = result.commit
    settings = next((sub for sub in subs if sub.repo.full_name.lower() == commit.repo.full_name.lower()), None)
    language = settings.language if settings else services.defaults.language
    timezone = settings.timezone if settings else services.defaults.timezone
    return Reply(cards=[lookup.card(commit, language, timezone)], public=True)


def _not_found_text(prefix: str, result: LookupResult, lang: str) -> str:
    if result.status == "ambiguous":
        lines = [say(lang, "commit.ambiguous", prefix=prefix, count=len(result.candidates))]
        lines += [f"• {c.repo} {c.sha[:12]}" + (f" {c.title}" if c.title else "") for c in result.candidates]
        return "\n".join(lines)
    if result.status == "failed":
        # The failures quote GitHub's own words, which stay as GitHub wrote them.
        return say(lang, "commit.failed", prefix=prefix, failures="; ".join(result.failures))
    if result.searched:
        repos = say(lang, "list.separator").join(str(repo) for repo in result.searched)
        lines = [say(lang, "commit.not_found", prefix=prefix, repos=repos)]
    else:
        lines = [say(lang, "commit.not_searched", prefix=prefix)]
    if result.skipped:
        lines.append(say(lang, "commit.skipped", count=len(result.skipped), prefix=prefix))
    if len(prefix) < SHORT_PREFIX:
        lines.append(say(lang, "commit.short_prefix"))
    return "\n".join(lines)
