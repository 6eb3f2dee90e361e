"""`/digest owner/repo [branch] [YYYY-MM-DD]`: post a subscription's daily digest now."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from bot.chat.commands import arguments
from bot.chat.commands.grammar import Parsed, UsageError
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.domain import RepoRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestArgs:
    """Checked `/digest` arguments."""

    repo: RepoRef
    branch: str | None
    day: date | None


def check_digest(parsed: Parsed) -> DigestArgs:
    """The repo, then an optional branch and date in either order."""
    repo = arguments.repo("digest", parsed.args[0])
    branch: str | None = None
    day: date | None = None
    for word in parsed.args[1:]:
        if arguments.looks_like_day(word):
            if day is not None:
                raise UsageError("digest", f"two dates given: {word!r}")
            day = arguments.day("digest", word)
        else:
            if branch is not None:
                raise UsageError("digest", f"unexpected argument {word!r}")
            branch = arguments.branch("digest", word)
    return DigestArgs(repo, branch, day)


def run_digest(args: DigestArgs, ctx: CommandContext, services: CommandServices) -> Reply:
    """Deliver the digest of each matching subscription of this channel (forced: posts even if posted before)."""
    subs = services.subscriptions_of(ctx, args.repo, args.branch)
    if not subs:
        what = f"{args.repo}" + (f"@{args.branch}" if args.branch else "")
        raise UsageError("digest", f"this channel does not subscribe to {what}; /subscribe to it first")
    now = services.clock()
    lines = []
    for sub in subs:
        today = now.astimezone(sub.tz).date()
        day = args.day or today - timedelta(days=1)
        if day > today:
            raise UsageError("digest", f"{day.isoformat()} is in the future in {sub.timezone}")
        outcome = services.digests.deliver(sub, day, force=True)
        log.info("digest on demand", extra={"subscription": sub.id, "day": day.isoformat(),
                                            "posted": outcome.posted, "user": ctx.user_id})
        name = f"{sub.repo}@{sub.branch} for {day.isoformat()}"
        if outcome.posted:
            lines.append(f"Posted the digest of {name} ({outcome.entries} commits; {outcome.reason}).")
        else:
            lines.append(f"The digest of {name} was not posted: {outcome.reason}.")
    return Reply(text="\n".join(lines))
