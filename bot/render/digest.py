"""What every digest rendering shares: entry order, per-commit rows and the statistics line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import Digest, DigestEntry, Importance
from bot.render import labels as L
from bot.render.card import card_title
from bot.render.escape import one_line


@dataclass(frozen=True)
class DigestRow:
    """One commit of a digest as a compact row; text fields are plain and untrusted."""

    importance: Importance
    clock: str
    when: str
    short_sha: str
    url: str
    title: str
    author: str


def ordered(entries: tuple[DigestEntry, ...] | list[DigestEntry]) -> list[DigestEntry]:
    """Newest first; ties broken by SHA so the order is stable."""
    return sorted(entries, key=lambda e: (e.commit.committed_at.timestamp(), e.commit.sha), reverse=True)


def by_importance(entries: list[DigestEntry]) -> dict[Importance, list[DigestEntry]]:
    """The entries grouped high, medium, low, each group in `ordered` order."""
    groups: dict[Importance, list[DigestEntry]] = {level: [] for level in Importance}
    for entry in ordered(entries):
        groups[entry.analysis.importance].append(entry)
    return groups


def rows(digest: Digest) -> list[DigestRow]:
    """The digest's commits as rows, newest first, times in the digest's timezone."""
    return [row(entry, digest) for entry in ordered(digest.entries)]


def row(entry: DigestEntry, digest: Digest) -> DigestRow:
    """One entry as a row; a weekly digest's rows say the day as well as the time."""
    commit = entry.commit
    clock = (L.format_day_clock if digest.weekly else L.format_clock)(commit.committed_at, digest.timezone)
    return DigestRow(
        importance=entry.analysis.importance,
        clock=clock,
        when=L.format_datetime(commit.committed_at, digest.timezone),
        short_sha=commit.short_sha,
        url=commit.url,
        title=card_title(commit, digest.language),
        author=one_line(commit.author_name) or one_line(commit.author_login or "") or "?",
    )


def stats_line(digest: Digest, language: str | None = None) -> str:
    """`17 commits today | 🔴 High 7 | 🟡 Medium 10 | 🟢 Low 0` in the digest's (or the given) language."""
    counts = digest.counts()
    language = language or digest.language
    line = L.counted(
        language,
        "stats_line_week" if digest.weekly else "stats_line",
        len(digest.entries),
        total=len(digest.entries),
        high=counts[Importance.HIGH],
        medium=counts[Importance.MEDIUM],
        low=counts[Importance.LOW],
    )
    # Commits skipped by their marker are counted only when there are some: most days have none.
    if digest.skipped:
        line += " | " + L.counted(language, "skipped_count", digest.skipped, count=digest.skipped)
    return line


def title(digest: Digest) -> str:
    """`📅 2026-01-08 · owner/repo`, or for a week `📅 Week 2026-W48 (2026-11-23 – 2026-11-29) · owner/repo`."""
    if digest.weekly:
        return L.text(digest.language, "digest_title_week", repo=digest.repo.full_name, **week_values(digest.day))
    return L.text(digest.language, "digest_title", day=L.format_day(digest.day), repo=digest.repo.full_name)


def week_values(monday: date) -> dict[str, str]:
    """The `week`, `first` and `last` values of a weekly title: `2026-W48`, its Monday and its Sunday."""
    return {"week": L.format_week(monday), "first": L.format_day(monday),
            "last": L.format_day(monday + timedelta(days=6))}


def empty_note(digest: Digest) -> str:
    """`No new commits today.` (or this week)."""
    return L.text(digest.language, "digest_empty_week" if digest.weekly else "digest_empty")


def thread_note(digest: Digest) -> str:
    """What the thread holds, or "" when it holds nothing (a week without high-importance commits)."""
    if not digest.weekly:
        return L.text(digest.language, "digest_thread") if digest.entries else ""
    if not digest.counts()[Importance.HIGH]:
        return ""
    return L.text(digest.language, "digest_thread_week")


def context(digest: Digest) -> str:
    """`Branch main · timezone Asia/Shanghai (UTC+08:00)` (the default branch when none is named)."""
    tz = L.timezone_label(digest.timezone, digest.day)
    if not digest.branch:
        return L.text(digest.language, "digest_context_default", tz=tz)
    return L.text(digest.language, "digest_context", branch=digest.branch, tz=tz)


def fallback(digest: Digest) -> str:
    """A one-line plain summary of the digest for notifications."""
    return f"{title(digest)} — {stats_line(digest)}"
