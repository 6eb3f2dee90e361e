"""When each subscription's digest is due, in its own timezone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Subscription

# A digest missed while no worker ran (or left unfinished) is still posted if at most this late.
CATCH_UP = timedelta(hours=6)


def last_digest_time(sub: Subscription, now: datetime) -> datetime:
    """The most recent moment at or before `now` when this subscription's digest was due."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    due = datetime.combine(local.date(), sub.digest_time, tzinfo=local.tzinfo)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), sub.digest_time, tzinfo=local.tzinfo)
    return due
