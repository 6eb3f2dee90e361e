"""What the heuristic reads from a commit, the way a maintainer skims it: the pull request's title and text
(a merge is judged as the pull request it merges), the changelog lines it adds, the roles of its paths,
its size in public code, and what its packaging metadata changes.

Every text is read within a bound (a title is a line; a message's start and end), so a hostile
commit costs the same as an ordinary one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.analysis.files import (
    ROLE_CHANGELOG,
    ROLE_LOCKFILE,
    ROLE_PACKAGING,
    ROLE_SOURCE,
    path_role,
)
from bot.analysis.heuristic_manifests import is_dev_version, read_manifest
from bot.domain import Commit

MAX_TITLE = 300
MAX_MESSAGE_PART = 8000
MAX_CHANGELOG_LINES = 200  # added changelog lines read per commit
MAX_ENTRY = 1000  # characters of one changelog entry, its wrapped lines joined

_MERGE_PULL = re.compile(r"^Merge pull request (?:#(?P<number>\d+) )?from (?P<source>\S+)", re.I)
_MERGE_BRANCH = re.compile(r"^Merge (?:remote-tracking )?branch '(?P<branch>[^']+)'", re.I)
_GITLAB_MERGE = re.compile(r"(?m)^See merge request \S+!\d+")
_RELEASED = re.compile(r"^\s*(?:released?\s*(?:on\s*)?:?\s*\d{4}-\d\d-\d\d|#+\s*\[?v?\d+\.\d+[^\]\s]*\]?\s*[-–(]\s*"
                       r"\d{4}-\d\d-\d\d)", re.I)
_UNRELEASED = re.compile(r"^\s*(?:#+\s*)?\[?unreleased\]?|\(unreleased\)", re.I)
_ENTRY = re.compile(r"^\s*[-*+]\s+\S")


def clip_message(message: str) -> str:
    """The part of a message the rules look at: its start and its end (where BREAKING CHANGE trailers go)."""
    if len(message) <= 2 * MAX_MESSAGE_PART:
        return message
    return message[:MAX_MESSAGE_PART] + "\n" + message[-MAX_MESSAGE_PART:]


@dataclass(frozen=True)
class Unit:
    """The change as people discuss it: a pull request's title and text, or the commit's own."""

    title: str
    text: str  # title and body, bounded
    merge: str | None  # "pull" for a merged pull request, "branch" for a merge of a branch, None otherwise


def _branch_words(source: str) -> str:
    """A pull request's branch as words: "pallets/release-8.0.2" -> "release 8.0.2"."""
    name = source.split("/", 1)[1] if "/" in source else source
    return re.sub(r"[-_/]+(?=\D)|(?<=\D)[-_/]+", " ", name)


def unit(commit: Commit) -> Unit:
    """The title and text the rules judge: a merge's pull request, else the commit message."""
    message = clip_message(commit.message)
    title = commit.title[:MAX_TITLE]
    pull = commit.pull_request
    if commit.is_merge and pull is not None and pull.title:
        return Unit(pull.title[:MAX_TITLE], f"{pull.title[:MAX_TITLE]}\n{clip_message(pull.body)}", "pull")
    merged = _MERGE_PULL.match(title)
    if merged:
        rest = [line for line in message.splitlines()[1:] if line.strip()]
        pr_title = rest[0].strip()[:MAX_TITLE] if rest else _branch_words(merged.group("source"))[:MAX_TITLE]
        return Unit(pr_title, "\n".join([pr_title, title, *rest[1:]]), "pull")
    if _MERGE_BRANCH.match(title):
        rest = [line for line in message.splitlines()[1:] if line.strip()]
        if _GITLAB_MERGE.search(message) and rest:
            return Unit(rest[0].strip()[:MAX_TITLE], "\n".join(rest), "pull")
        return Unit(title, message, "branch" if commit.is_merge else None)
    return Unit(title, message, "pull" if commit.is_merge else None)


@dataclass(frozen=True)
class Changelog:
    """What the changelog lines a commit adds say."""

    lines: tuple[str, ...]  # added lines, bounded, a list item's wrapped lines joined into one
    entries: int  # added list items
    released: bool  # an "Unreleased" heading became a dated release


def _changelog(commit: Commit) -> Changelog:
    added: list[str] = []
    released = unreleased_removed = False
    for change in commit.files:
        if path_role(change.filename) != ROLE_CHANGELOG:
            continue
        for line in (change.patch or "").splitlines():
            if line.startswith("+") and len(added) < MAX_CHANGELOG_LINES:
                added.append(line[1:300])
                released = released or bool(_RELEASED.match(line[1:]))
            elif line.startswith("-"):
                unreleased_removed = unreleased_removed or bool(_UNRELEASED.search(line[1:]))
    notes = _entries(added)
    return Changelog(tuple(notes), sum(1 for line in notes if _ENTRY.match(line)), released and unreleased_removed)


def _entries(added: list[str]) -> list[str]:
    """Added changelog lines with each list item's wrapped lines joined to it, so a phrase split over two is read."""
    joined: list[str] = []
    for line in added:
        if joined and line.strip() and not _ENTRY.match(line) and line[:1].isspace() and _ENTRY.match(joined[-1]):
            joined[-1] = f"{joined[-1]} {line.strip()}"[:MAX_ENTRY]
        else:
            joined.append(line)
    return joined


@dataclass(frozen=True)
class Packaging:
    """What the commit's packaging metadata changes, over all its files."""

    version: str | None  # the project's new version, when one changed
    runtime: bool
    dev: bool
    toolchain: bool

    @property
    def release(self) -> bool:
        """The project's version moved to one that users get."""
        return self.version is not None and not is_dev_version(self.version)


def _packaging(commit: Commit) -> Packaging:
    changes = [read_manifest(change) for change in commit.files]
    versions = [change.version[1] for change in changes if change.version]
    return Packaging(version=versions[0] if versions else None, runtime=any(c.runtime for c in changes),
                     dev=any(c.dev for c in changes), toolchain=any(c.toolchain for c in changes))


@dataclass(frozen=True)
class Signals:
    """Everything the rules read from one commit."""

    unit: Unit
    roles: Counter  # role -> files
    source_lines: int  # changed lines in the project's own code (not tests, docs, examples, metadata)
    changed_lines: int
    changelog: Changelog
    packaging: Packaging
    files_known: bool

    @property
    def only_roles(self) -> frozenset[str]:
        """The roles of every path, lockfiles aside unless they are all there is."""
        roles = set(self.roles) - {ROLE_LOCKFILE} or set(self.roles)
        return frozenset(roles)

    @property
    def ships(self) -> bool:
        """True when the change reaches users: their code, packaging metadata, or (paths unknown) maybe."""
        return not self.files_known or bool(self.only_roles & {ROLE_SOURCE, ROLE_PACKAGING})


def read(commit: Commit) -> Signals:
    """The signals of one commit (its pull request's, for a merge)."""
    roles: Counter = Counter(path_role(change.filename) for change in commit.files)
    source = sum(change.changes for change in commit.files if path_role(change.filename) == ROLE_SOURCE)
    return Signals(unit=unit(commit), roles=roles, source_lines=source,
                   changed_lines=sum(change.changes for change in commit.files), changelog=_changelog(commit),
                   packaging=_packaging(commit), files_known=bool(commit.files))
