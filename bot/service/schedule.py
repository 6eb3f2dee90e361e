"""When each subscription's digest is due, in its own timezone: daily, or weekly on one weekday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.values import WEEKDAYS, week_monday

# A digest missed while no worker ran (or left unfinished) is still posted if at most this late.
CATCH_UP = timedelta(hours=6)


class Timing(Protocol):
    """What decides when a digest is due (a Subscription, or the store's lighter DigestTiming)."""

    @property
    def timezone(self) -> str: ...

    @property
    def digest_time(self) -> time: ...

    @property
    def digest_every(self) -> str: ...

    @property
    def digest_on(self) -> str: ...


def last_digest_time(sub: Timing, now: datetime) -> datetime:
    """The most recent moment at or before `now` when this subscription's digest was due."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    due = datetime.combine(local.date(), sub.digest_time, tzinfo=local.tzinfo)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), sub.digest_time, tzinfo=local.tzinfo)
    if sub.digest_every == "week":
        back = (due.weekday() - WEEKDAYS.index(sub.digest_on)) % 7
        due = datetime.combine(due.date() - timedelta(days=back), sub.digest_time, tzinfo=local.tzinfo)
    return due


def due_period(sub: Timing, due: datetime) -> date:
    """What the digest due at `due` covers: the day before it, or (weekly) the last ISO week finished by then."""
    if sub.digest_every == "week":
        # The due day's own week is unfinished whatever the weekday: the week before it is the last full one.
        return week_monday(due.date()) - timedelta(days=7)
    return due.date() - timedelta(days=1)
