"""One-line descriptions of subscriptions, as `/subscribe` and `/subscriptions` show them."""

from __future__ import annotations

from bot.domain import Subscription


def subscription_line(sub: Subscription) -> str:
    """`owner/repo@branch — cards at high and above, digest 09:00 UTC (zh), …`."""
    parts = [f"cards at {sub.threshold.value} importance and above",
             f"digest {sub.digest_time.strftime('%H:%M')} {sub.timezone} ({sub.language})"]
    if sub.paths:
        parts.append("paths " + ", ".join(sub.paths))
    if sub.ignore_authors:
        parts.append("ignoring " + ", ".join(sub.ignore_authors))
    if not sub.include_merges:
        parts.append("no merge commits")
    if sub.empty_digest == "skip":
        parts.append("no digest on empty days")
    line = f"{sub.repo}@{sub.branch} — " + "; ".join(parts)
    if sub.paused:
        line += (f"\n    paused: {sub.paused_reason or 'no reason recorded'}"
                 f" (fix it, then /subscribe {sub.repo} {sub.branch} to resume)")
    return line
