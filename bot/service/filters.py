"""Which commits a subscription wants: branch, path globs, ignored authors, merges."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

from bot.domain import Commit, Subscription


@lru_cache(maxsize=1024)
def _glob_tokens(pattern: str) -> tuple[tuple[str, str], ...]:
    # As in .gitignore: `**` crosses directories, `*` and `?` stay within one path segment, a
    # pattern without a slash matches a name at any depth, and a pattern that names a directory
    # (`src`, `docs/`, `lib/*`) matches everything below it.
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern = pattern.rstrip("/")
    tokens: list[tuple[str, str]] = [] if "/" in pattern else [("dirs", "")]
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            kind, i = "dirs", i + 3
        elif pattern.startswith("**", i):
            kind, i = "any", i + 2
        elif pattern[i] == "*":
            kind, i = "segment", i + 1
        elif pattern[i] == "?":
            kind, i = "one", i + 1
        else:
            tokens.append(("literal", pattern[i]))
            i += 1
            continue
        if not (tokens and tokens[-1][0] == kind and kind != "one"):  # `***`, `**/**/` add nothing
            tokens.append((kind, ""))
    return tuple(tokens)


def path_matches(pattern: str, path: str) -> bool:
    """True when `path` matches the glob `pattern` (`**` spans directories).

    Matched by stepping a set of positions through the pattern (linear in the path per token), not
    by a backtracking regex: a hostile pattern such as `**?**?**?…` from chat cannot stall the bot.
    """
    n = len(path)
    positions = {0}
    for kind, char in _glob_tokens(pattern):
        if not positions:
            return False
        start = min(positions)
        if kind == "literal":
            positions = {p + 1 for p in positions if p < n and path[p] == char}
        elif kind == "one":
            positions = {p + 1 for p in positions if p < n and path[p] != "/"}
        elif kind == "any":
            positions = set(range(start, n + 1))
        elif kind == "dirs":  # empty, or any run of whole directories
            positions = positions | {q for q in range(start + 1, n + 1) if path[q - 1] == "/"}
        else:  # segment: any run without a slash
            reached, limit = set(), -1
            for p in sorted(positions):
                q = max(p, limit)
                while q <= n and (q == p or path[q - 1] != "/"):
                    reached.add(q)
                    q += 1
                limit = q
            positions = reached
    # A match may stop at a directory: everything below it matches too.
    return n in positions or any(p < n and path[p] == "/" for p in positions)


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
