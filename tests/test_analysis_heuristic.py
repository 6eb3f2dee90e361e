"""The heuristic analyser on representative commits: rubric verdicts, no invented text."""

from __future__ import annotations

import time

import pytest

from bot.analysis.heuristic import (
    _UPGRADE,
    MAX_MESSAGE_PART,
    MAX_TITLE,
    NOT_ANALYSED,
    heuristic_content,
    judge,
    rule_message,
    rule_title,
)
from bot.domain import ChangeType, FileChange, Importance
from tests.fake_openai import sample_commit


def commit(message: str, *paths: str, lines: int = 10):
    files = tuple(FileChange(filename=p, additions=lines, deletions=0, patch="+x") for p in paths)
    return sample_commit(message=message, files=files)


@pytest.mark.parametrize("message, paths, change_type, importance", [
    ("docs: fix typo in README", ["README.md", "docs/install.md"], ChangeType.DOCS, Importance.LOW),
    ("Update getting started guide", ["docs/guide.md"], ChangeType.DOCS, Importance.LOW),
    ("test: cover empty input", ["tests/test_parser.py"], ChangeType.TEST, Importance.LOW),
    ("style: format with black", ["src/app.py"], ChangeType.STYLE, Importance.LOW),
    ("chore: tidy imports", ["src/app.py"], ChangeType.CHORE, Importance.LOW),
    ("ci: cache pip downloads", [".github/workflows/ci.yml"], ChangeType.CI, Importance.MEDIUM),
    ("Revert \"feat: new cache\"", ["src/cache.py"], ChangeType.REVERT, Importance.MEDIUM),
    ("revert: remove vLLM backend metrics (#4134)", ["components/planner/prometheus.py"], ChangeType.REVERT,
     Importance.MEDIUM),
    ("fix: handle empty list in parser", ["src/parser.py"], ChangeType.FIX, Importance.MEDIUM),
    ("fix: settings lost when publishing events", ["src/publisher.py"], ChangeType.FIX, Importance.HIGH),
    ("fix: example worker OOM", ["examples/worker.py"], ChangeType.FIX, Importance.MEDIUM),
    ("fix: drop --verbose flag crash in bench script", ["benchmarks/run.sh", "benchmarks/README.md"], ChangeType.FIX,
     Importance.MEDIUM),
    ("fix: speed up request parsing", ["src/parser.py"], ChangeType.PERFORMANCE, Importance.MEDIUM),
    ("feat: add --dry-run flag", ["src/cli.py"], ChangeType.FEATURE, Importance.HIGH),
    ("feat: colour output", ["src/render.py"], ChangeType.FEATURE, Importance.MEDIUM),
    ("feat!: drop Python 3.8", ["src/compat.py"], ChangeType.FEATURE, Importance.HIGH),
    ("refactor: split module\n\nBREAKING CHANGE: import paths moved", ["src/a.py"], ChangeType.REFACTOR,
     Importance.HIGH),
    ("fix: escape HTML in titles (CVE-2024-12345)", ["src/render.py"], ChangeType.SECURITY, Importance.HIGH),
    ("Prevent XSS in comment rendering", ["src/render.py"], ChangeType.SECURITY, Importance.HIGH),
    ("chore(deps): bump requests from 2.31.0 to 2.32.0", ["requirements.txt"], ChangeType.DEPENDENCY,
     Importance.MEDIUM),
    ("build: bump golang version to 1.25", ["go.mod", "Dockerfile"], ChangeType.DEPENDENCY, Importance.HIGH),
    ("docs: deprecate the v1 endpoint", ["docs/api.md"], ChangeType.DOCS, Importance.MEDIUM),
])
def test_verdicts_follow_the_rubric(message, paths, change_type, importance):
    verdict = judge(commit(message, *paths))
    assert (verdict.change_type, verdict.importance) == (change_type, importance)


def test_a_large_feature_is_high_and_a_large_chore_medium():
    assert judge(commit("feat: streaming", "src/stream.py", lines=400)).importance is Importance.HIGH
    assert judge(commit("chore: remove unused crate", "lib/discovery/src/lib.rs", lines=1500)).importance \
        is Importance.MEDIUM


def test_lockfile_only_update_is_a_dependency_change():
    verdict = judge(commit("chore(deps): update lockfile", "package-lock.json"))
    assert verdict.change_type is ChangeType.DEPENDENCY


@pytest.mark.parametrize("language", ["en", "zh"])
def test_fields_it_cannot_know_say_so_and_nothing_is_invented(language):
    content = heuristic_content(commit("fix: handle empty list in parser", "src/parser.py", "tests/test_parser.py"),
                                language)
    assert set(content.insights.model_dump().values()) == {NOT_ANALYSED[language]}
    assert content.recommendations == [] and content.risks == []
    # The summary states facts only; what the rules cannot judge is said once, by the card's note.
    assert "fix: handle empty list in parser" in content.summary and NOT_ANALYSED[language] not in content.summary
    assert [item.component for item in content.impact] == ["src/parser.py", "tests/test_parser.py"]
    assert "+10 -0" in content.impact[0].note


def test_breaking_and_security_become_grounded_risks():
    content = heuristic_content(commit("feat!: remove legacy auth\n\nFixes a security hole.", "src/auth.py"), "en")
    assert content.breaking_change is True
    assert [risk.severity.value for risk in content.risks] == ["high", "high"]
    assert "declares a breaking change" in content.risks[0].description


def test_impact_groups_many_files_by_component():
    paths = [f"pkg{i}/sub/file.py" for i in range(9)]
    content = heuristic_content(commit("refactor: rename", *paths), "en")
    assert len(content.impact) == 7 and content.impact[-1].note == "3 more places"


def test_rules_read_only_a_bounded_title_and_message():
    hostile = "update " * 30_000 + "to 1.2.3"  # ~210 KB; the only version hint is past the cut
    big = commit(hostile, "requirements.txt")
    assert len(rule_title(big)) == MAX_TITLE
    # Had the whole title been matched, "update … to 1.2.3" would make it a dependency change.
    assert judge(big).change_type is not ChangeType.DEPENDENCY
    assert len(rule_message(commit("x" * 1_000_000))) <= 2 * MAX_MESSAGE_PART + 1
    # The trailer of a long message is still read.
    long_body = "refactor: split\n\n" + "words " * 100_000 + "\nBREAKING CHANGE: paths moved"
    assert judge(commit(long_body, "src/a.py")).breaking is True


def test_upgrade_pattern_has_no_unbounded_gap_and_a_hostile_title_is_quick():
    assert ".*" not in _UPGRADE.pattern
    started = time.perf_counter()
    for title in ("update " * 30_000, "bump " + "a " * 100_000, "upgrade" + " to" * 70_000):
        heuristic_content(commit(title, "requirements.txt"), "en")
    assert time.perf_counter() - started < 2  # took minutes before the cut; a generous guard only
    assert judge(commit("chore(deps): bump requests from 2.31.0 to 2.32.0", "requirements.txt")).change_type \
        is ChangeType.DEPENDENCY


def test_impact_counts_are_singular_for_one():
    files = [f"pkg{i}/sub/file.go" for i in range(7)] + ["README.md"]
    content = heuristic_content(commit("feat: many places", *files), "en")
    assert content.impact[0].note.startswith("1 file, ")
    assert content.impact[-1].component == "…" and content.impact[-1].note == "2 more places"
    content = heuristic_content(commit("feat: many places", *files[:7]), "en")
    assert content.impact[-1].note == "1 more place"
