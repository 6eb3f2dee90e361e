"""One-line descriptions of subscriptions, as `/subscribe` and `/subscriptions` show them."""

from __future__ import annotations

from bot.chat.commands.messages import say
from bot.domain import Subscription


def subscription_line(sub: Subscription, lang: str = "en") -> str:
    """`owner/repo@branch — cards at high importance and above; digest 09:00 UTC (zh); …`."""
    listed = say(lang, "list.separator")
    parts = [say(lang, "sub.threshold", level=say(lang, f"level.{sub.threshold.value}")),
             say(lang, "sub.digest", time=sub.digest_time.strftime("%H:%M"), timezone=sub.timezone,
                 language=sub.language)]
    if sub.paths:
        parts.append(say(lang, "sub.paths", paths=listed.join(sub.paths)))
    if sub.ignore_authors:
        parts.append(say(lang, "sub.ignoring", authors=listed.join(sub.ignore_authors)))
    if sub.all_commits:
        parts.append(say(lang, "sub.all_commits"))
    if not sub.include_merges:
        parts.append(say(lang, "sub.no_merges"))
    if sub.empty_digest == "skip":
        parts.append(say(lang, "sub.skip_empty"))
    line = f"{sub.repo}@{sub.branch} — " + say(lang, "sub.separator").join(parts)
    if sub.paused:
        reason = sub.paused_reason or say(lang, "sub.no_reason")
        line += "\n    " + say(lang, "sub.paused", reason=reason, repo=sub.repo, branch=sub.branch)
    return line
