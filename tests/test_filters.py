"""Path globs (.gitignore-like) and author filters, including patterns typed by a hostile chat user."""

from __future__ import annotations

import time

import pytest

from bot.service.filters import path_matches


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("src/**", "src/a/b.py", True),
    ("src/**", "lib/a.py", False),
    ("*.md", "docs/x/readme.md", True),
    ("*.md", "src/app.py", False),
    ("docs/", "docs/a/b", True),
    ("src", "src/deep/mod.py", True),
    ("src", "lib/src/x.py", True),
    ("src/*.py", "src/b.py", True),
    ("src/*.py", "src/a/b.py", False),
    ("lib/*", "lib/a/b", True),
    ("a?c", "x/abc", True),
    ("a?c", "a/c", False),
    ("**/test_*.py", "a/b/test_x.py", True),
    ("**/test_*.py", "test_x.py", True),
    ("docs/**/*.md", "docs/c.md", True),
    ("docs/**/*.md", "docs/a/b/c.md", True),
    ("docs/**/*.md", "src/docs/c.md", False),
    ("/src/*.py", "src/x.py", True),
    (".github/", ".github/workflows/ci.yml", True),
    ("package-lock.json", "web/package-lock.json", True),
])
def test_globs_follow_gitignore(pattern, path, expected):
    assert path_matches(pattern, path) is expected


def test_a_hostile_pattern_cannot_stall_the_bot():
    # With a backtracking regex these took minutes (and held the interpreter lock throughout).
    started = time.perf_counter()
    assert not path_matches("**?" * 60 + "Q", "src/" + "a" * 48)
    assert not path_matches("*a" * 100 + "Q", "a" * 250)
    assert time.perf_counter() - started < 5
