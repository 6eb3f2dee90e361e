"""`/commit <sha> [owner/repo]`: the full analysis card of one commit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.commands import arguments
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.syntax import Parsed, UsageError
from bot.domain import Card, RepoRef, Subscription
from bot.service.lookup import LookupResult

SHORT_PREFIX = 7


@dataclass(frozen=True)
class CommitArgs:
    """Checked `/commit` arguments."""

    prefix: str
    repo: RepoRef | None


def check_commit(parsed: Parsed, defaults: Defaults) -> CommitArgs:
    """A SHA (or commit URL) and an optional repository."""
    url_repo, prefix = arguments.commit_target("commit", parsed.args[0])
    repo = arguments.repo("commit", parsed.args[1]) if len(parsed.args) > 1 else url_repo
    return CommitArgs(prefix, repo)


def run_commit(args: CommitArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Find the commit, analyse it (cached analyses cost nothing) and answer with its card for everyone."""
    result, card = lookup_card(args, ctx, services)
    if card is None:
        return Reply(text=_not_found_text(args.prefix, result, lang))
    return Reply(cards=[card], public=True)


def lookup_card(target: CommitArgs, ctx: CommandContext, services: CommandServices) -> tuple[LookupResult, Card | None]:
    """The lookup of `target` in the channel's repos and, when found, its card (for `/commit` and link unfurls).

    The card is in the language and timezone of the channel's subscription to the commit's repo, else the
    defaults. Raises UsageError when `target` names no repo and the channel follows none.
    """
    subs = services.subscriptions_of(ctx)
    lookup = services.commit_lookup()
    result = lookup.find(target.prefix, _repos(target.repo, subs))
    if result.status != "found" or result.commit is None:
        return result, None
    commit = result.commit
    settings = next((sub for sub in subs if sub.repo.full_name.lower() == commit.repo.full_name.lower()), None)
    language = settings.language if settings else services.defaults.language
    timezone = settings.timezone if settings else services.defaults.timezone
    return result, lookup.card(commit, language, timezone)


def _repos(named: RepoRef | None, subs: list[Subscription]) -> list[RepoRef]:
    if named is None:
        repos = list(dict.fromkeys(sub.repo for sub in subs))
        if not repos:
            raise UsageError("commit", Message("commit.no_repos"))
        return repos
    # Prefer the stored spelling of a subscribed repo so stored commits are found.
    same = [sub.repo for sub in subs if sub.repo.full_name.lower() == named.full_name.lower()]
    return [same[0] if same else named]


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
