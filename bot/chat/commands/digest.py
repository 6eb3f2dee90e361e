"""`/digest owner/repo [branch] [YYYY-MM-DD|YYYY-Www]`: post a subscription's daily (or weekly) digest now."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.chat.commands import arguments
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.syntax import Parsed, UsageError
from bot.domain import RepoRef, Subscription
from bot.domain.values import week_label, week_monday
from bot.service.digest import FIRST_DAY, previous_local_week

log = logging.getLogger(__name__)
# The digest service explains an outcome in English prose; the ones it is known to give are translated.
_REASONS = {
    "this digest is being delivered by another run": "digest.reason.busy",
    "no commits; empty digests are skipped for this subscription": "digest.reason.empty",
    "no commits; empty digests are skipped for this subscription (week)": "digest.reason.empty_week",
    "the digest message could not be posted": "digest.reason.post_failed",
}
_DEFERRED = re.compile(r"posted; (\d+) replies deferred")


@dataclass(frozen=True)
class DigestArgs:
    """Checked `/digest` arguments."""

    repo: RepoRef
    branch: str | None
    day: date | None
    week: date | None = None  # the Monday of a week `YYYY-Www` asked for: its weekly digest


def check_digest(parsed: Parsed, defaults: Defaults) -> DigestArgs:
    """The repo, then an optional branch and date (or ISO week) in either order."""
    repo = arguments.repo("digest", parsed.args[0])
    branch: str | None = None
    day: date | None = None
    week: date | None = None
    for word in parsed.args[1:]:
        if arguments.looks_like_day(word) or arguments.looks_like_week(word):
            if day is not None or week is not None:
                raise UsageError("digest", Message("digest.two_dates", value=word))
            if arguments.looks_like_week(word):
                week = arguments.week("digest", word)
            else:
                day = arguments.day("digest", word)
        else:
            if branch is not None:
                raise UsageError("digest", Message("grammar.unexpected", value=word))
            branch = arguments.branch("digest", word)
    return DigestArgs(repo, branch, day, week)


def run_digest(args: DigestArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Deliver the digest of each matching subscription of this channel (forced: posts even if posted before)."""
    subs = services.subscriptions_of(ctx, args.repo, args.branch)
    if not subs:
        what = f"{args.repo}" + (f"@{args.branch}" if args.branch else "")
        raise UsageError("digest", Message("digest.not_subscribed", what=what))
    now = services.clock()
    lines = []
    for sub in subs:
        day, weekly = _period(args, sub, now)
        if weekly:
            outcome = services.digests.deliver(sub, day, force=True, weekly=True)
        else:
            outcome = services.digests.deliver(sub, day, force=True)
        log.info("digest on demand", extra={"subscription": sub.id, "day": day.isoformat(), "weekly": weekly,
                                            "posted": outcome.posted, "user": ctx.user_id})
        lines.append(outcome_text(outcome, f"{sub.repo}@{sub.branch}", day, lang, weekly))
    return Reply(text="\n".join(lines))


def _period(args: DigestArgs, sub: Subscription, now: datetime) -> tuple[date, bool]:
    """Which digest: the day or week asked for, else the subscription's last one (yesterday, or last week)."""
    today = now.astimezone(sub.tz).date()
    if args.week is not None:
        if args.week > today:
            raise UsageError("digest", Message("digest.future_week", week=week_label(args.week),
                                               timezone=sub.timezone, current=week_label(week_monday(today))))
        return args.week, True
    if args.day is None and sub.digest_every == "week":
        return previous_local_week(now, sub.timezone), True
    day = args.day or today - timedelta(days=1)
    if day > today:
        raise UsageError("digest", Message("digest.future", day=day.isoformat(), timezone=sub.timezone,
                                           first=FIRST_DAY.isoformat(), last=today.isoformat()))
    return day, False


def outcome_text(outcome, name: str, day: date, lang: str, weekly: bool = False) -> str:
    """One line saying whether the digest of `name` for `day` (or its week) was posted, and if not why."""
    values = {"name": name, "day": week_label(day) if weekly else day.isoformat(), "count": outcome.entries}
    suffix = "_week" if weekly else ""
    if outcome.posted:
        deferred = _DEFERRED.fullmatch(outcome.reason or "")
        if deferred:
            return say(lang, f"digest.posted_deferred{suffix}", deferred=int(deferred.group(1)), **values)
        return say(lang, f"digest.posted{suffix}", **values)
    key = _REASONS.get(outcome.reason + (" (week)" if weekly else ""), _REASONS.get(outcome.reason))
    return say(lang, f"digest.not_posted{suffix}", reason=say(lang, key) if key else outcome.reason, **values)
