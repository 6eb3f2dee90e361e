"""Values people type — repository names, SHAs, times of day, timezones, languages — checked without pydantic.

The argument parser needs these, and `commit-radar --help` must not pay for importing pydantic,
so this module imports only the standard library.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
SHA_RE = re.compile(r"^[0-9a-fA-F]{4,40}$")

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

# How often a digest is posted, and on which day a weekly one is (`date.weekday()` order: mon is 0).
Every = Literal["day", "week"]
EVERY: tuple[Every, ...] = ("day", "week")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")


def split_repo_name(text: str) -> tuple[str, str]:
    """`(owner, name)` of an `owner/name` string, or ValueError (a `.git` suffix or URL is not accepted)."""
    text = (text or "").strip()
    if not REPO_RE.match(text) or text.endswith((".", "/")) or text.split("/")[1] in (".", ".."):
        raise ValueError(f"repository must be owner/name, got {text!r}")
    owner, name = text.split("/")
    return owner, name


def check_sha(text: str) -> str:
    """Return a lower-case SHA prefix of 4-40 hex digits, or raise ValueError."""
    text = (text or "").strip()
    if not SHA_RE.match(text):
        raise ValueError(f"SHA must be 4-40 hex digits, got {text!r}")
    return text.lower()


def parse_hhmm(value: str) -> time:
    """Parse a 24-hour `HH:MM` string; raise ValueError with a readable reason."""
    if not re.fullmatch(r"\d{1,2}:\d{2}", value or ""):
        raise ValueError(f"expected HH:MM, got {value!r}")
    hours, minutes = (int(part) for part in value.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"expected HH:MM between 00:00 and 23:59, got {value!r}")
    return time(hours, minutes)


def check_timezone(value: str) -> str:
    """Return `value` if it names a real IANA timezone, else raise ValueError."""
    if not value or "/" not in value and value != "UTC":
        raise ValueError(f"not an IANA timezone (Area/City): {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone: {value!r}") from None
    return value


def check_language(value: str) -> Language:
    """Return `value` as a Language if it is one ("zh" or "en"), else raise ValueError."""
    for language in LANGUAGES:
        if value == language:
            return language
    raise ValueError(f"language must be zh or en, got {value!r}")


def parse_week(text: str) -> date:
    """The Monday of the ISO week `YYYY-Www` (`2026-W48`), or ValueError saying what is wrong."""
    match = _WEEK_RE.fullmatch((text or "").strip().upper())
    if match is None:
        raise ValueError(f"expected an ISO week YYYY-Www such as 2026-W48, got {text!r}")
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ValueError(f"{match.group(1)} has no ISO week {match.group(2)}: {text!r}") from None


def week_label(day: date) -> str:
    """`2026-W48`: the ISO week `day` falls in (its ISO year may differ from the calendar year near January)."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_monday(day: date) -> date:
    """The Monday of the ISO week `day` falls in."""
    return day - timedelta(days=day.weekday())


def check_weekday(value: str) -> Weekday:
    """`mon` … `sun` (any case; full names such as `monday` too), else ValueError."""
    word = (value or "").strip().lower()
    for weekday in WEEKDAYS:
        if word == weekday or len(word) > 3 and _FULL_DAYS[weekday] == word:
            return weekday
    raise ValueError(f"expected a weekday mon, tue, wed, thu, fri, sat or sun, got {value!r}")


_FULL_DAYS = {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
              "sat": "saturday", "sun": "sunday"}
