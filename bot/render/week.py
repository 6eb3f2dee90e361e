"""A weekly digest's summary: counts by change type, the most changed areas and the top commits by importance.

Plain, untrusted text in and out (each platform escapes it); the same summary feeds Slack, Feishu, the
console and the Markdown report, so they never disagree about the week.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import ChangeType, Digest, DigestEntry
from bot.render import digest as D
from bot.render import labels as L

TOP_COMMITS = 10
TOP_AREAS = 5
# An area is a path's first directories: `src/click/core.py` is in `src/click`; a file at the root is its own.
AREA_DEPTH = 2


@dataclass(frozen=True)
class Area:
    """A directory (or a root-level file) and the week's changes to it."""

    name: str
    additions: int
    deletions: int
    commits: int

    @property
    def lines(self) -> int:
        """Added plus deleted lines."""
        return self.additions + self.deletions


@dataclass(frozen=True)
class WeekSummary:
    """What a weekly parent shows beyond the counts by importance."""

    change_types: tuple[tuple[str, int], ...]  # localised name and count, most frequent first
    areas: tuple[Area, ...]
    top: tuple[D.DigestRow, ...]


def area_of(path: str) -> str:
    """The area a changed path belongs to (its first AREA_DEPTH directories, or the root-level file)."""
    parts = [part for part in path.split("/") if part]
    if len(parts) <= 1:
        return parts[0] if parts else "?"
    return "/".join(parts[:min(AREA_DEPTH, len(parts) - 1)])


def areas(entries: tuple[DigestEntry, ...], limit: int = TOP_AREAS) -> tuple[Area, ...]:
    """The areas with the most changed lines (ties: more commits, then by name)."""
    added: dict[str, int] = {}
    deleted: dict[str, int] = {}
    touched: dict[str, set[str]] = {}
    for entry in entries:
        for change in entry.commit.files:
            name = area_of(change.filename)
            added[name] = added.get(name, 0) + change.additions
            deleted[name] = deleted.get(name, 0) + change.deletions
            touched.setdefault(name, set()).add(entry.commit.sha)
    found = [Area(name, added[name], deleted[name], len(touched[name])) for name in touched]
    found.sort(key=lambda area: (-area.lines, -area.commits, area.name))
    return tuple(found[:limit])


def top_entries(entries: tuple[DigestEntry, ...], limit: int = TOP_COMMITS) -> list[DigestEntry]:
    """The most important commits first; among equals the larger change, then the newer one."""
    def key(entry: DigestEntry) -> tuple[int, int, float, str]:
        commit = entry.commit
        return (-entry.analysis.importance.rank, -(commit.additions + commit.deletions),
                -commit.committed_at.timestamp(), commit.sha)

    return sorted(entries, key=key)[:limit]


def summary(digest: Digest) -> WeekSummary:
    """The week's summary in the digest's language."""
    counts = {kind: 0 for kind in ChangeType}  # ties keep the enum's order, the same in every language
    for entry in digest.entries:
        counts[entry.analysis.change_type] += 1
    ranked = sorted((kind for kind in counts if counts[kind]), key=lambda kind: -counts[kind])
    kinds = tuple((L.change_type_name(kind, digest.language), counts[kind]) for kind in ranked)
    top = tuple(D.row(entry, digest) for entry in top_entries(digest.entries))
    return WeekSummary(change_types=kinds, areas=areas(digest.entries), top=top)


def change_type_line(week: WeekSummary) -> str:
    """`Feature 3 · Bug fix 2 · Documentation 1`."""
    return " · ".join(f"{name} {count}" for name, count in week.change_types)


def area_line(area: Area, language: str, name: str | None = None) -> str:
    """`src/click +120 / -30 · 4 commits`; `name` replaces the area's name (already marked up by the caller)."""
    return L.counted(language, "area_line", area.commits, area=area.name if name is None else name,
                     additions=L.number(area.additions), deletions=L.number(area.deletions), commits=area.commits)
