"""One-line descriptions of subscriptions, as `/subscribe` and `/subscriptions` show them."""

from __future__ import annotations

from bot.chat.commands.messages import say
from bot.domain import Subscription


def subscription_line(sub: Subscription, lang: str = "en", following: str | None = None) -> str:
    """`owner/repo@branch — cards at high importance and above; digest 09:00 UTC (zh); …`.

    A pattern's template is named as typed (`acme/*`, `owner/repo@release/*`), with what it `following` now.
    """
    listed = say(lang, "list.separator")
    parts = [say(lang, "sub.threshold", level=say(lang, f"level.{sub.threshold.value}")),
             _digest(sub, lang)]
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
    if sub.template == "owner" and sub.include_forks:
        parts.append(say(lang, "sub.forks"))
    head = sub.pattern + (f" ({following})" if following else "")
    line = f"{head} — " + say(lang, "sub.separator").join(parts)
    if sub.paused:
        reason = sub.paused_reason or say(lang, "sub.no_reason")
        line += "\n    " + say(lang, "sub.paused", reason=reason, repo=sub.repo, branch=sub.branch)
    return line


def _digest(sub: Subscription, lang: str) -> str:
    """`digest 09:00 UTC (zh)`, or `weekly digest Mon 09:00 UTC (zh)`."""
    values = {"time": sub.digest_time.strftime("%H:%M"), "timezone": sub.timezone, "language": sub.language}
    if sub.digest_every == "week":
        return say(lang, "sub.digest_weekly", weekday=say(lang, f"weekday.{sub.digest_on}"), **values)
    return say(lang, "sub.digest", **values)
