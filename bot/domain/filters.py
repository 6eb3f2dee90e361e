"""The filters behind `Subscription.wants`: path globs, ignored authors and the skip marker.

Path globs come from chat, so matching them is bounded: each pattern compiles once into a small
automaton that reads a path one character at a time (no backtracking, whatever the pattern), and
one commit's path filter gets a budget of steps. Running out of budget means "deliver": a card too
many is better than one dropped because a commit touched thousands of files.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI parser imports the limits below without loading the domain models
    from collections.abc import Sequence

    from bot.domain import Commit

log = logging.getLogger(__name__)

# Limits on what `/subscribe --paths` and `subscriptions add --paths` accept. What people write is
# `src/**`, `docs/*.md`, `**/migrations/*`, `package.json`: a few patterns, well under 100
# characters, two or three wildcards.
MAX_PATTERNS = 20
MAX_PATTERN_LENGTH = 100
MAX_WILDCARDS = 10  # `*`, `**` and `?` count one each
# Automaton steps (one per path character, one per pattern and path tried) for one commit and one
# subscription: about 0.15 s of CPU at worst, and room for 20 patterns against 3,000 ordinary paths.
STEPS_PER_COMMIT = 500_000

_LITERAL, _ONE, _SEGMENT, _ANY, _DIRS = range(5)  # `x`, `?`, `*`, `**`, `**/` (and a slashless pattern's start)
_LOOPS = (_SEGMENT, _ANY, _DIRS)
# Per compiled pattern, the lazily built DFA's size: ordinary patterns need a few dozen entries.
_STATES_KEPT = 256
_TRANSITIONS_KEPT = 2048


class PatternError(ValueError):
    """A path pattern list over one of the limits; `limit` is what was exceeded, `count` how far."""

    def __init__(self, kind: str, limit: int, count: int, pattern: str = "") -> None:
        self.kind, self.limit, self.count, self.pattern = kind, limit, count, pattern
        what = {"patterns": f"at most {limit} patterns, got {count}",
                "length": f"patterns of at most {limit} characters, got {count}",
                "wildcards": f"at most {limit} wildcards (*, ** or ?) per pattern, got {count}"}[kind]
        super().__init__(what + (f": {pattern[:60]!r}" if pattern else ""))


def check_patterns(patterns: list[str]) -> list[str]:
    """The patterns unchanged, or PatternError naming the first limit they exceed."""
    if len(patterns) > MAX_PATTERNS:
        raise PatternError("patterns", MAX_PATTERNS, len(patterns))
    for pattern in patterns:
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise PatternError("length", MAX_PATTERN_LENGTH, len(pattern), pattern)
        wildcards = wildcard_count(pattern)
        if wildcards > MAX_WILDCARDS:
            raise PatternError("wildcards", MAX_WILDCARDS, wildcards, pattern)
    return patterns


def wildcard_count(pattern: str) -> int:
    """How many `*`, `**` and `?` the pattern holds once runs of stars are collapsed."""
    return sum(kind != _LITERAL for kind, _ in _merged(_written_tokens(pattern)))


def _clean(pattern: str) -> str:
    return pattern.strip().lstrip("/").rstrip("/")


def _written_tokens(pattern: str) -> list[tuple[int, str]]:
    # As in .gitignore: `**` crosses directories, `*` and `?` stay within one path segment, and a
    # pattern that names a directory (`src`, `docs/`, `lib/*`) matches everything below it.
    pattern = _clean(pattern)
    tokens: list[tuple[int, str]] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            tokens.append((_DIRS, ""))
            i += 3
        elif pattern.startswith("**", i):
            tokens.append((_ANY, ""))
            i += 2
        elif pattern[i] in "*?":
            tokens.append((_SEGMENT if pattern[i] == "*" else _ONE, ""))
            i += 1
        else:
            tokens.append((_LITERAL, pattern[i]))
            i += 1
    return tokens


def _tokens(pattern: str) -> list[tuple[int, str]]:
    """The pattern as the automaton reads it."""
    # A pattern without a slash matches a name at any depth: it starts with an implicit `**/`.
    implicit = [] if "/" in _clean(pattern) else [(_DIRS, "")]
    return _merged(implicit + _written_tokens(pattern))


def _merged(written: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Adjacent wildcards that add nothing merged: `***` is `**`, `**/**/` is `**/`, `**/**` is `**`."""
    tokens: list[tuple[int, str]] = []
    for kind, char in written:
        last = tokens[-1][0] if tokens else None
        if kind in _LOOPS and last in _LOOPS:
            # `**` absorbs any wildcard beside it and a wildcard repeated adds nothing; only `**/`
            # then `*` stays two.
            if last == _ANY or kind == last:
                continue
            while kind == _ANY and tokens and tokens[-1][0] in _LOOPS:
                tokens.pop()
        tokens.append((kind, char))
    return tokens


class Glob:
    """One compiled pattern: an automaton that takes one step per path character, never backtracking.

    A state is a set of bits, bit i meaning "the first i tokens are matched"; a new step costs a few
    integer operations whatever the pattern, and steps already taken are looked up in a bounded
    table. Matching is linear in the path's length.
    """

    def __init__(self, pattern: str) -> None:
        tokens = _tokens(pattern)
        self.pattern = pattern
        size = len(tokens)
        self._accept = 1 << size
        self._loops = {kind: 0 for kind in _LOOPS}
        self._one = 0
        self._literal: dict[str, int] = {}
        for i, (kind, char) in enumerate(tokens):
            if kind == _LITERAL:
                self._literal[char] = self._literal.get(char, 0) | 1 << i
            elif kind == _ONE:
                self._one |= 1 << i
            else:
                self._loops[kind] |= 1 << i
        self._empty_ok = self._loops[_SEGMENT] | self._loops[_ANY] | self._loops[_DIRS]
        self._chain = _longest_run(tokens)
        self._sure = _sure_bits(tokens)
        # Cheap necessary conditions, checked before any step: an anchored literal start, and every
        # literal run somewhere in the path.
        lead = 0
        while lead < size and tokens[lead][0] == _LITERAL:
            lead += 1
        self._prefix = "".join(char for _, char in tokens[:lead])
        self._start = self._close(1 << lead)
        self._needles = _literal_runs(tokens[lead:])
        self._lock = threading.Lock()
        self._states: list[int] = []
        self._rows: list[dict[str, int]] = []
        self._index: dict[int, int] = {}
        self._forget()

    def _close(self, entered: int, stayed: int = 0) -> int:
        # Wildcards may match nothing: being before one is also being after it. `**/` only when
        # just entered: once it has read a character it must end on a slash.
        skip = (stayed & (self._empty_ok & ~self._loops[_DIRS])) << 1
        for _ in range(self._chain):
            entered |= (entered & self._empty_ok) << 1 | skip
        return entered | stayed

    def _step(self, state: int, char: str) -> int:
        if char == "/":  # `?` and `*` stop at a slash; `**/` ends on one
            advance = self._literal.get("/", 0) | self._loops[_DIRS]
            stay = self._loops[_ANY] | self._loops[_DIRS]
        else:
            advance = self._literal.get(char, 0) | self._one  # "" stands for any character not named
            stay = self._empty_ok
        return self._close((state & advance) << 1, state & stay)

    def cost(self, path: str) -> int:
        """The most steps `match` can take on `path`."""
        return len(path) + 1

    def match(self, path: str) -> tuple[bool, int]:
        """Whether `path` matches, and the steps it took (at most `cost(path)`)."""
        if not path.startswith(self._prefix) or any(needle not in path for needle in self._needles):
            return False, 1
        with self._lock:  # compiled patterns are shared by the watcher's and the digests' threads
            return self._run(path)

    def _run(self, path: str) -> tuple[bool, int]:
        states, rows, accept, sure = self._states, self._rows, self._accept, self._sure
        at, steps = self._index[self._start], 1
        for char in path[len(self._prefix):]:
            state = states[at]
            if state & sure or char == "/" and state & accept:
                return True, steps  # a match may stop at a directory: everything below it matches too
            following = rows[at].get(char)
            at = self._learn(at, char) if following is None else following
            steps += 1
            if not states[at]:
                return False, steps
        return bool(states[at] & (accept | sure)), steps

    def _learn(self, at: int, char: str) -> int:
        # A lazily built DFA: each state set seen gets a number and a row of transitions. The table
        # is bounded; when full it starts again (same answers, steps computed once more).
        state = self._states[at]
        following = self._step(state, char if char in self._literal or char == "/" else "")
        if len(self._states) >= _STATES_KEPT or self._learned >= _TRANSITIONS_KEPT:
            self._forget()
            at = self._number(state)
        self._rows[at][char] = number = self._number(following)
        self._learned += 1
        return number

    def _number(self, state: int) -> int:
        number = self._index.get(state)
        if number is None:
            number = self._index[state] = len(self._states)
            self._states.append(state)
            self._rows.append({})
        return number

    def _forget(self) -> None:
        # In place: `match` holds these lists.
        self._states.clear()
        self._rows.clear()
        self._index.clear()
        self._learned = 0
        self._number(self._start)


def _sure_bits(tokens: list[tuple[int, str]]) -> int:
    # Once a `**` followed only by wildcards is reached, every rest of the path matches.
    sure = 0
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i][0] not in _LOOPS:
            break
        if tokens[i][0] == _ANY:
            sure |= 1 << i
    return sure


def _literal_runs(tokens: list[tuple[int, str]]) -> tuple[str, ...]:
    runs, run = [], ""
    for kind, char in tokens:
        if kind == _LITERAL:
            run += char
        elif run:
            runs.append(run)
            run = ""
    return tuple(runs + [run] if run else runs)


def _longest_run(tokens: list[tuple[int, str]]) -> int:
    longest = run = 0
    for kind, _ in tokens:
        run = run + 1 if kind in _LOOPS else 0
        longest = max(longest, run)
    return longest


@dataclass
class Budget:
    """Steps one commit's path filter may take; `used` counts them (tests read it)."""

    limit: int = STEPS_PER_COMMIT
    used: int = 0

    def afford(self, steps: int) -> bool:
        """True when `steps` more fit in the budget."""
        return self.used + steps <= self.limit


@lru_cache(maxsize=256)
def compiled(patterns: tuple[str, ...]) -> tuple[Glob, ...]:
    """A subscription's patterns compiled once (cached by the pattern tuple)."""
    try:
        check_patterns(list(patterns))
    except PatternError as exc:
        # Stored before the limits existed. Matching stays linear and budgeted, so it is kept rather
        # than silently narrowed; the owner can re-subscribe with fewer or shorter patterns.
        log.warning("subscription path patterns exceed the limits for new ones (%s); matched within the "
                    "per-commit budget", exc)
    return tuple(Glob(pattern) for pattern in patterns)


def path_matches(pattern: str, path: str) -> bool:
    """True when `path` matches the glob `pattern` (`**` spans directories)."""
    return compiled((pattern,))[0].match(path)[0]


def touches(patterns: tuple[str, ...], paths: list[str], budget: Budget) -> bool | None:
    """True when a path matches a pattern, False when none does, None when the budget ran out first."""
    globs = compiled(patterns)
    for path in paths:
        for glob in globs:
            if not budget.afford(glob.cost(path)):
                return None
            matched, steps = glob.match(path)
            budget.used += steps
            if matched:
                return True
    return False


@lru_cache(maxsize=4096)
def _warn_over_budget(subscription: int | None, repo: str, sha: str, limit: int) -> None:
    # Memoised: a commit re-examined in a later cycle is not logged again.
    log.warning("path filter gave up after %d steps; delivering the commit", limit,
                extra={"subscription": subscription, "repo": repo, "sha": sha})


def author_ignored(ignored_authors: Sequence[str], commit: Commit) -> bool:
    """True when the commit's login or name matches an ignored author (globs such as `*[bot]` allowed)."""
    names = {name.lower() for name in (commit.author_login, commit.author_name) if name}
    for ignored in ignored_authors:
        pattern = ignored.strip().lower()
        # Brackets are literal here ("dependabot[bot]"), not fnmatch character classes.
        literal = pattern.replace("[", "[[]")
        if pattern in names or any(fnmatchcase(name, literal) for name in names):
            return True
    return False


def touches_paths(patterns: Sequence[str], commit: Commit, budget: Budget, subscription: int | None) -> bool:
    """True when the commit touches a path the patterns match, or when the budget ran out first."""
    if not commit.files:
        return False
    paths = [name for change in commit.files for name in (change.filename, change.previous_filename) if name]
    found = touches(tuple(patterns), paths, budget)
    if found is None:
        _warn_over_budget(subscription, str(commit.repo), commit.sha, budget.limit)
        return True
    return found


# `[skip radar]` or `[radar skip]`, any case, anywhere in the message: the author asks for no card and no
# digest entry (as `[skip ci]` asks CI); the digest still counts the commit as skipped.
_SKIP_MARKER = re.compile(r"\[\s*(?:skip\s+radar|radar\s+skip)\s*\]", re.IGNORECASE)


def skip_marked(message: str) -> bool:
    """True when the commit message carries `[skip radar]` or `[radar skip]` (any case)."""
    return _SKIP_MARKER.search(message or "") is not None
