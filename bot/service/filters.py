"""Which commits a subscription wants: branch, path globs, ignored authors, merges."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache

from bot.domain import Commit, Subscription


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    # As in .gitignore: `**` crosses directories, `*` and `?` stay within one path segment, a
    # pattern without a slash matches a name at any depth, and a pattern that names a directory
    # (`src`, `docs/`, `lib/*`) matches everything below it.
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    anywhere = "/" not in pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    prefix = "(?:.*/)?" if anywhere else ""
    return re.compile(f"^{prefix}{''.join(out)}(?:/.*)?$")


def path_matches(pattern: str, path: str) -> bool:
    """True when `path` matches the glob `pattern` (`**` spans directories)."""
    return bool(_glob_regex(pattern).match(path))


def author_ignored(sub: Subscription, commit: Commit) -> bool:
    """True when the commit's login or name matches an ignored author (globs such as `*[bot]` allowed)."""
    names = {name.lower() for name in (commit.author_login, commit.author_name) if name}
    for ignored in sub.ignore_authors:
        pattern = ignored.strip().lower()
        # Brackets are literal here ("dependabot[bot]"), not fnmatch character classes.
        literal = pattern.replace("[", "[[]")
        if pattern in names or any(fnmatchcase(name, literal) for name in names):
            return True
    return False


def wants(sub: Subscription, commit: Commit, branch: str | None) -> bool:
    """True when the commit passes every filter of the subscription (threshold aside)."""
    if branch is not None and branch != sub.branch:
        return False
    if commit.is_merge and not sub.include_merges:
        return False
    if author_ignored(sub, commit):
        return False
    if sub.paths:
        if not commit.files:
            return False
        return any(path_matches(pattern, change.filename) or
                   (change.previous_filename and path_matches(pattern, change.previous_filename))
                   for pattern in sub.paths for change in commit.files)
    return True
