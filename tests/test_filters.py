"""Path globs (.gitignore-like) and author filters, including patterns typed by a hostile chat user."""

from __future__ import annotations

import re
import time

import pytest

from bot.domain import FileChange, RepoRef, Subscription, filters
from bot.domain.filters import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    MAX_WILDCARDS,
    STEPS_PER_COMMIT,
    Budget,
    Glob,
    PatternError,
    check_patterns,
    path_matches,
    wildcard_count,
)
from tests.fakes import make_commit


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


# --- bounded matching: limits, steps, budget ---

# The pattern from the finding: 200 characters of `**?` ending in a literal.
HOSTILE = "**?" * 66 + "Z"
# Long paths that hold a `Z` (so no cheap check rules them out) but never where the pattern could end.
LONG_PATHS = [f"src/{'a' * 30}Za/" + "/".join(f"dir{d:02d}{'b' * 20}" for d in range(8)) + f"/f{n}.py"
              for n in range(3000)]


def commit_touching(paths: list[str]):
    from bot.domain import FileChange

    return make_commit().model_copy(update={"files": tuple(FileChange(filename=path) for path in paths)})


def subscribed(*paths: str, sub_id: int = 7) -> Subscription:
    return Subscription(id=sub_id, platform="slack", channel="C1", repo=RepoRef.parse("octo/widgets"),
                        paths=list(paths))


@pytest.mark.parametrize("pattern", [HOSTILE, "*a" * 100 + "Q", "?" * 200, "**/" * 60 + "x", "*?" * 90 + "Z"])
def test_one_match_takes_at_most_one_step_per_path_character(pattern):
    glob = Glob(pattern)
    for path in [LONG_PATHS[0], "a" * 250, "Z" * 250, "a/" * 120 + "Z", ""]:
        matched, steps = glob.match(path)
        assert steps <= len(path) + 1
        assert matched is path_matches(pattern, path)


def test_the_hostile_pattern_against_3000_long_paths_takes_a_bounded_number_of_steps():
    assert min(map(len, LONG_PATHS)) > 200
    budget = Budget(limit=10**9)
    assert subscribed(HOSTILE).wants(commit_touching(LONG_PATHS), "main", budget=budget) is False
    # Linear: at most one step per character of each path (the finding: ~2.4 ms per pair, 15 s per call).
    assert budget.used <= sum(len(path) + 1 for path in LONG_PATHS)


def test_a_commit_over_the_budget_is_delivered_and_logged_once(caplog):
    sub, commit = subscribed(HOSTILE, sub_id=8), commit_touching(LONG_PATHS)
    with caplog.at_level("WARNING", logger="bot.domain.filters"):
        budgets = [Budget(limit=20_000), Budget(limit=20_000)]
        assert [sub.wants(commit, "main", budget=budget) for budget in budgets] == [True, True]
    assert all(budget.used <= 20_000 for budget in budgets)
    gave_up = [record for record in caplog.records if "gave up" in record.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].sha == commit.sha


def test_the_first_matching_file_decides():
    budget = Budget()
    paths = ["docs/readme.md"] + LONG_PATHS
    assert subscribed(HOSTILE, "docs/*.md").wants(commit_touching(paths), "main", budget=budget) is True
    assert budget.used <= 2 * (len(paths[0]) + 1)


def test_a_stored_subscription_over_the_limits_does_not_stall_wants(store, caplog):
    # Saved before the limits existed: 50 patterns of 200 characters, read back from the database.
    hostile = [("**?" * n + "a" + "**?" * 65)[:199] + "Z" for n in range(50)]
    saved, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1",
                                                     repo=RepoRef.parse("octo/widgets"), paths=hostile))
    [loaded] = store.subscriptions.list()
    assert loaded.paths == hostile
    budget = Budget()
    with caplog.at_level("WARNING", logger="bot.domain.filters"):
        wanted = loaded.wants(commit_touching(LONG_PATHS), "main", budget=budget)
    assert budget.used <= STEPS_PER_COMMIT
    assert wanted is True  # ran out of budget: delivered rather than dropped
    messages = [record.getMessage() for record in caplog.records]
    assert any("exceed the limits" in message for message in messages)
    assert any("gave up" in message for message in messages)


def test_wants_keeps_its_other_rules():
    sub = subscribed("src/**")
    commit = commit_touching(["src/app.py"])
    assert sub.wants(commit, "main") and not sub.wants(commit, "dev") and sub.wants(commit)
    assert not sub.wants(commit_touching(["lib/app.py"]), "main")
    assert sub.wants(commit_touching(["lib/app.py"]).model_copy(update={"files": (
        FileChange(filename="lib/app.py", previous_filename="src/app.py"),)}), "main")  # a rename out of src/
    assert not sub.model_copy(update={"ignore_authors": ["ada"]}).wants(commit, "main")
    assert not sub.wants(commit.model_copy(update={"files": ()}), "main")
    merge = commit.model_copy(update={"parents": ("a" * 40, "b" * 40)})
    assert sub.wants(merge, "main") and not sub.model_copy(update={"include_merges": False}).wants(merge, "main")


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("src/***", "src/a/b.py", True),
    ("**/**/migrations/*", "app/db/migrations/0001.py", True),
    ("**/**/migrations/*", "migrations/0001.py", True),
    ("**/migrations/*", "app/migrations/x/0001.py", True),  # a directory below the match
    ("**/*", "a/b", True),
    ("a**/b", "ax/y/b", True),
    ("*/", "a", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "ab", False),
])
def test_merged_wildcards_keep_their_meaning(pattern, path, expected):
    assert path_matches(pattern, path) is expected


@pytest.mark.parametrize(("patterns", "problem"), [
    (["p"] * 21, "at most 20 patterns, got 21"),
    (["src/" + "a" * 97], "patterns of at most 100 characters, got 101"),
    (["*?" * 5 + "*"], "at most 10 wildcards (*, ** or ?) per pattern, got 11"),
])
def test_limits_on_new_patterns(patterns, problem):
    with pytest.raises(PatternError, match=re.escape(problem)):
        check_patterns(patterns)


def test_what_people_write_is_within_the_limits():
    usual = ["src/**", "docs/*.md", "**/migrations/*", "package.json", "*.go", ".github/", "services/payments/**",
             "**/test_*.py", "web/src/components/**/*.tsx", "a/b?c/*"]
    assert check_patterns(usual) == usual
    assert wildcard_count("src/***") == wildcard_count("**/**/x") == 1 and wildcard_count("**/*.py") == 2


def test_the_cli_refuses_paths_over_the_limits_with_one_line_exit_2(capsys):
    from bot.entrypoints.cli import main

    for paths, problem in [(",".join([HOSTILE] * 50), "at most 20 patterns, got 50"),
                           (HOSTILE, "patterns of at most 100 characters, got 199"),
                           ("**?" * 11, "at most 10 wildcards")]:
        assert main(["subscriptions", "add", "octo/widgets", "--paths", paths]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "argument --paths: " + problem in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["subscriptions", "add", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert f"at most {MAX_PATTERNS} of {MAX_PATTERN_LENGTH} characters with {MAX_WILDCARDS} wildcards each" in shown


def test_a_full_transition_table_starts_again_with_the_same_answers(monkeypatch):
    cases = [(pattern, path) for pattern in (HOSTILE, "docs/**/*.md", "*.md", "a?c", "**/migrations/*", "src/*.py")
             for path in ("docs/a/b.md", "src/x.py", "src/a/x.py", "x/abc", "app/migrations/0001.py", LONG_PATHS[0],
                          LONG_PATHS[1][:-4] + "Z", "a" * 100 + "Z")]
    expected = [Glob(pattern).match(path) for pattern, path in cases]
    monkeypatch.setattr(filters, "_STATES_KEPT", 2)
    monkeypatch.setattr(filters, "_TRANSITIONS_KEPT", 3)
    tiny = {pattern: Glob(pattern) for pattern, _ in cases}
    assert [tiny[pattern].match(path) for pattern, path in cases] == expected
    assert all(len(glob._states) <= 3 for glob in tiny.values())


def test_first_parent_by_default_every_commit_on_request():
    sub = subscribed()
    step = make_commit(n=1)
    merged_in = make_commit(n=2).model_copy(update={"merged_by": "f" * 40})
    listed_only = make_commit(n=3).model_copy(update={"detailed": False})
    merge = make_commit(n=4).model_copy(update={"parents": ("a" * 40, "b" * 40)})
    assert sub.wants(step, "main") and sub.wants(merge, "main") and not sub.wants(merged_in, "main")
    every = sub.model_copy(update={"all_commits": True})
    assert every.every_commit and every.wants(merged_in, "main") and every.wants(merge, "main")
    # --no-merges: the merged commits one by one instead of their merge, so no pull request goes unnamed.
    no_merges = sub.model_copy(update={"include_merges": False})
    assert no_merges.every_commit and no_merges.wants(merged_in, "main") and not no_merges.wants(merge, "main")
    # Known from a listing only (no files): named on its merge's card, never a card of its own.
    assert not any(s.wants(listed_only, "main") for s in (sub, every, no_merges))
