"""`/digest owner/repo [branch] [YYYY-MM-DD]`: post a subscription's daily digest now."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.chat.commands import arguments
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.syntax import Parsed, UsageError
from bot.domain import RepoRef
from bot.service.digest import FIRST_DAY

log = logging.getLogger(__name__)
# The digest service explains an outcome in English prose; the ones it is known to give are translated.
_REASONS = {
    "this digest is being delivered by another run": "digest.reason.busy",
    "no commits; empty digests are skipped for this subscription": "digest.reason.empty",
    "the digest message could not be posted": "digest.reason.post_failed",
}
_DEFERRED = re.compile(r"posted; (\d+) replies deferred")


@dataclass(frozen=True)
class DigestArgs:
    """Checked `/digest` arguments."""

    repo: RepoRef
    branch: str | None
    day: date | None


def check_digest(parsed: Parsed, defaults: Defaults) -> DigestArgs:
    """The repo, then an optional branch and date in either order."""
    repo = arguments.repo("digest", parsed.args[0])
    branch: str | None = None
    day: date | None = None
    for word in parsed.args[1:]:
        if arguments.looks_like_day(word):
            if day is not None:
                raise UsageError("digest", Message("digest.two_dates", value=word))
            day = arguments.day("digest", word)
        else:
            if branch is not None:
                raise UsageError("digest", Message("grammar.unexpected", value=word))
            branch = arguments.branch("digest", word)
    return DigestArgs(repo, branch, day)


def run_digest(args: DigestArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Deliver the digest of each matching subscription of this channel (forced: posts even if posted before)."""
    subs = services.subscriptions_of(ctx, args.repo, args.branch)
    if not subs:
        what = f"{args.repo}" + (f"@{args.branch}" if args.branch else "")
        raise UsageError("digest", Message("digest.not_subscribed", what=what))
    now = services.clock()
    lines = []
    for sub in subs:
        today = now.astimezone(sub.tz).date()
        day = args.day or today - timedelta(days=1)
        if day > today:
            raise UsageError("digest", Message("digest.future", day=day.isoformat(), timezone=sub.timezone,
                                               first=FIRST_DAY.isoformat(), last=today.isoformat()))
        outcome = services.digests.deliver(sub, day, force=True)
        log.info("digest on demand", extra={"subscription": sub.id, "day": day.isoformat(),
                                            "posted": outcome.posted, "user": ctx.user_id})
        lines.append(outcome_text(outcome, f"{sub.repo}@{sub.branch}", day, lang))
    return Reply(text="\n".join(lines))


def outcome_text(outcome, name: str, day: date, lang: str) -> str:
    """One line saying whether the digest of `name` for `day` was posted, and if not why."""
    values = {"name": name, "day": day.isoformat(), "count": outcome.entries}
    if outcome.posted:
        deferred = _DEFERRED.fullmatch(outcome.reason or "")
        if deferred:
            return say(lang, "digest.posted_deferred", deferred=int(deferred.group(1)), **values)
        return say(lang, "digest.posted", **values)
    key = _REASONS.get(outcome.reason)
    return say(lang, "digest.not_posted", reason=say(lang, key) if key else outcome.reason, **values)
