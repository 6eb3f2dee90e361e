"""The heuristic analyser on representative commits: rubric verdicts, no invented text."""

from __future__ import annotations

import time

import pytest

from bot.analysis.heuristic import (
    _UPGRADE,
    HEURISTIC_VERSION,
    MAX_MESSAGE_PART,
    MAX_TITLE,
    NOT_ANALYSED,
    heuristic_content,
    judge,
    rule_message,
    rule_title,
)
from bot.analysis.heuristic_manifests import ManifestChange, read_manifest
from bot.domain import ChangeType, FileChange, Importance, PullRequest
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


# --- heuristic v2 (issue 15): rules that must hold beyond the click corpus, on other ecosystems ---

def changed(path: str, patch: str) -> FileChange:
    lines = patch.splitlines()
    return FileChange(filename=path, additions=sum(1 for line in lines if line.startswith("+")),
                      deletions=sum(1 for line in lines if line.startswith("-")), patch=patch)


def unit_commit(message: str, *files: FileChange, parents: int = 1, pull: PullRequest | None = None):
    return sample_commit(message=message, files=files).model_copy(
        update={"parents": tuple(str(n) * 40 for n in range(parents)), "pull_request": pull})


GO_MOD_BUMP = ("@@ -5,7 +5,7 @@ go 1.22\n require (\n-\tgithub.com/spf13/cobra v1.7.0\n+\tgithub.com/spf13/cobra v1.8.0\n"
               " \tgolang.org/x/sync v0.6.0\n )")
GO_SUM = "@@ -1,2 +1,2 @@\n-github.com/spf13/cobra v1.7.0 h1:x\n+github.com/spf13/cobra v1.8.0 h1:y"
PACKAGE_RUNTIME = ('@@ -12,7 +12,7 @@\n   "dependencies": {\n-    "express": "^4.18.2",\n+    "express": "^4.19.2",\n'
                   '     "zod": "^3.22.0"\n')
PACKAGE_DEV = ('@@ -20,7 +20,7 @@\n   "devDependencies": {\n-    "eslint": "^8.57.0",\n+    "eslint": "^9.0.0",\n'
               '     "vitest": "^1.4.0"\n')
LOCK = "@@ -1,3 +1,3 @@\n-  version: 1\n+  version: 2"
CARGO_VERSION = '@@ -1,6 +1,6 @@\n [package]\n name = "ripwidget"\n-version = "0.4.1"\n+version = "0.5.0"\n edition = "2021"'
CARGO_DEV = '@@ -18,5 +18,5 @@ serde = "1"\n [dev-dependencies]\n-proptest = "1.3"\n+proptest = "1.4"'
CHANGELOG_RELEASE = "@@ -1,6 +1,6 @@\n # Changelog\n \n-## [Unreleased]\n+## [0.5.0] - 2025-03-01\n \n ### Added"
ENGINES = '@@ -30,6 +30,6 @@\n   "engines": {\n-    "node": ">=14"\n+    "node": ">=18"\n   },'
WORKFLOW = "@@ -10,7 +10,7 @@ jobs:\n       matrix:\n-        node: [14, 16, 18]\n+        node: [18, 20]"
SOURCE = "@@ -40,6 +40,8 @@ func Serve() {\n+\tif err != nil {\n+\t\treturn err\n+\t}\n \treturn nil"
POM_TEST_DEP = ("@@ -40,7 +40,7 @@\n     <dependency>\n       <groupId>org.junit.jupiter</groupId>\n"
                "       <artifactId>junit-jupiter</artifactId>\n-      <version>5.10.0</version>\n"
                "+      <version>5.10.2</version>\n       <scope>test</scope>\n     </dependency>")
POM_RUNTIME_DEP = ("@@ -30,7 +30,7 @@\n     <dependency>\n       <groupId>com.fasterxml.jackson.core</groupId>\n"
                   "       <artifactId>jackson-databind</artifactId>\n-      <version>2.16.0</version>\n"
                   "+      <version>2.16.1</version>\n     </dependency>")
POM_SNAPSHOT = ("@@ -4,7 +4,7 @@\n   <groupId>org.acme</groupId>\n   <artifactId>widgets</artifactId>\n"
                "-  <version>1.2.0</version>\n+  <version>1.2.1-SNAPSHOT</version>\n   <packaging>jar</packaging>")


@pytest.mark.parametrize("message, files, importance", [
    ("Bump github.com/spf13/cobra from 1.7.0 to 1.8.0", [changed("go.mod", GO_MOD_BUMP), changed("go.sum", GO_SUM)],
     Importance.MEDIUM),
    ("chore(deps): bump express from 4.18.2 to 4.19.2",
     [changed("package.json", PACKAGE_RUNTIME), changed("package-lock.json", LOCK)], Importance.MEDIUM),
    ("chore(deps-dev): bump eslint from 8.57.0 to 9.0.0",
     [changed("package.json", PACKAGE_DEV), changed("package-lock.json", LOCK)], Importance.LOW),
    ("Bump proptest from 1.3 to 1.4", [changed("Cargo.toml", CARGO_DEV), changed("Cargo.lock", LOCK)], Importance.LOW),
    ("build(deps): bump jackson-databind from 2.16.0 to 2.16.1", [changed("pom.xml", POM_RUNTIME_DEP)],
     Importance.MEDIUM),
    ("build(deps): bump junit-jupiter from 5.10.0 to 5.10.2", [changed("pom.xml", POM_TEST_DEP)], Importance.LOW),
    ("Bump actions/checkout from 3 to 4", [changed(".github/workflows/release.yml", WORKFLOW)], Importance.LOW),
])
def test_dependency_updates_weigh_runtime_over_development(message, files, importance):
    verdict = judge(unit_commit(message, *files))
    assert verdict.change_type is ChangeType.DEPENDENCY and verdict.importance is importance


def test_a_version_bump_in_packaging_metadata_is_a_release_and_a_dev_version_is_not():
    release = judge(unit_commit("Update Cargo.toml and CHANGELOG", changed("Cargo.toml", CARGO_VERSION),
                                changed("CHANGELOG.md", CHANGELOG_RELEASE)))
    assert release.importance is Importance.HIGH and "release of a new version" in release.reasons
    # The changelog alone says so too: the Unreleased heading became a dated version.
    assert judge(unit_commit("Update changelog", changed("CHANGELOG.md", CHANGELOG_RELEASE))).importance \
        is Importance.HIGH
    snapshot = judge(unit_commit("[maven-release-plugin] prepare for next development iteration",
                                 changed("pom.xml", POM_SNAPSHOT)))
    assert snapshot.importance is Importance.LOW and "development version bump" in snapshot.reasons


@pytest.mark.parametrize("title", ["chore(main): release 2.3.0", "Release v1.4.0", "v0.9.2", "Bump version to 3.1.0",
                                   "[maven-release-plugin] prepare release widgets-1.2.0"])
def test_release_titles_are_high_whatever_the_diff(title):
    verdict = judge(unit_commit(title, changed("CHANGELOG.md", "@@ -1 +1 @@\n-x\n+y")))
    assert verdict.importance is Importance.HIGH


@pytest.mark.parametrize("title", ["Start version 2.1.0.dev0", "Update release workflow", "release notes typo"])
def test_titles_near_release_words_are_not_releases(title):
    assert "release of a new version" not in judge(unit_commit(title, changed("docs/releasing.md", "@@ -1 +1 @@\n+x"))
                                                   ).reasons


def test_an_advisory_merge_is_a_security_fix():
    merge = unit_commit("Merge pull request from GHSA-m2qf-hxjv-5gpq\n\nset Vary: Cookie header when the session is "
                        "accessed", changed("src/flask/sessions.py", SOURCE), parents=2)
    verdict = judge(merge)
    assert (verdict.change_type, verdict.importance) == (ChangeType.SECURITY, Importance.HIGH)


def test_a_secret_no_longer_shown_is_a_security_fix_without_a_security_word():
    verdict = judge(unit_commit("Don't log the API key at startup", changed("internal/server/boot.go", SOURCE)))
    assert verdict.importance is Importance.HIGH


def test_a_security_bump_of_development_pins_only_is_medium():
    verdict = judge(unit_commit("[Security] Bump urllib3 from 1.26.3 to 1.26.4",
                                changed("requirements/dev.txt", "@@ -1 +1 @@\n-urllib3==1.26.3\n+urllib3==1.26.4")))
    assert verdict.importance is Importance.MEDIUM


def test_dropping_a_runtime_version_is_high_only_when_users_get_it():
    shipped = judge(unit_commit("drop support for node 14", changed("package.json", ENGINES),
                                changed(".github/workflows/ci.yml", WORKFLOW)))
    assert shipped.importance is Importance.HIGH
    ci_only = judge(unit_commit("drop support for node 14 in CI", changed(".github/workflows/ci.yml", WORKFLOW)))
    assert ci_only.importance is not Importance.HIGH


def test_removing_deprecated_api_is_high_and_deprecating_it_medium():
    assert judge(unit_commit("remove previously deprecated code", changed("pkg/api/client.go", SOURCE))).importance \
        is Importance.HIGH
    assert judge(unit_commit("deprecate Client.Do in favour of Client.Send", changed("pkg/client.go", SOURCE))
                 ).importance is Importance.MEDIUM


@pytest.mark.parametrize("message, files", [
    ("Add dev container configuration", [".devcontainer/devcontainer.json", ".devcontainer/Dockerfile"]),
    ("Update contributing guide and issue templates", ["CONTRIBUTING.md", ".github/ISSUE_TEMPLATE/bug.yml"]),
    ("configure eslint and prettier", [".eslintrc.json", ".prettierrc"]),
])
def test_development_setup_is_never_high(message, files):
    verdict = judge(commit(message, *files))
    assert verdict.importance is Importance.LOW


@pytest.mark.parametrize("message, files, reason", [
    ("Improve the configuration guide", ["docs/configuration.md", "README.md"], "documentation only"),
    ("Add regression test for the option parser", ["pkg/parser/parser_test.go", "web/__tests__/form.test.ts"],
     "tests only"),
    ("Fix the CHANGELOG entry for 2.3", ["CHANGELOG.md"], "changelog or documentation only"),
])
def test_docs_tests_and_changelog_only_are_low(message, files, reason):
    verdict = judge(commit(message, *files))
    assert verdict.importance is Importance.LOW and reason in verdict.reasons


def test_a_merge_is_judged_by_its_pull_request():
    message = "Merge pull request #812 from acme/release-2.0\n\nRelease 2.0.0"
    assert judge(unit_commit(message, changed("CHANGELOG.md", "@@ -1 +1 @@\n+x"), parents=2)).importance \
        is Importance.HIGH
    # Without a title line, the branch's name is what the pull request is called.
    bare = judge(unit_commit("Merge pull request #812 from acme/release-2.0.0", changed("VERSION", "@@ -1 +1 @@\n+x"),
                             parents=2))
    assert bare.importance is Importance.HIGH
    pull = PullRequest(number=9, title="Remove deprecated flags", body="", url="https://github.com/a/b/pull/9")
    assert judge(unit_commit("Merge pull request #9 from x/y", changed("cmd/tool/flags.go", SOURCE), parents=2,
                             pull=pull)).importance is Importance.HIGH


def test_a_maintenance_branch_merge_carries_its_files():
    entry = "@@ -1,3 +1,5 @@\n ## 1.4.2\n+\n+- Fix a crash when the config file is empty.\n"
    merge = unit_commit("Merge branch '1.4.x'", changed("CHANGELOG.md", entry), changed("src/config.rs", SOURCE),
                        parents=2)
    assert judge(merge).importance is Importance.MEDIUM
    assert judge(unit_commit("Merge branch '1.4.x'", parents=2)).importance is Importance.LOW  # nothing changed


def test_a_changelog_line_declaring_a_removal_or_break_makes_it_high():
    entry = ("@@ -1,3 +1,6 @@\n ## Unreleased\n+\n+- Keep stdout and stderr apart in the runner. Removes\n"
             "+  the ``mix_stderr`` parameter.\n")
    verdict = judge(unit_commit("Keep stdout and stderr apart (#52)", changed("CHANGES.rst", entry),
                                changed("src/pkg/runner.py", SOURCE)))
    assert verdict.importance is Importance.HIGH and verdict.breaking


def test_small_cosmetic_edits_of_code_are_low_and_ones_with_a_changelog_entry_are_not():
    assert judge(commit("Fix typo in docstring", "src/pkg/parser.py", lines=2)).importance is Importance.LOW
    assert judge(commit("remove dead code", "lib/widgets/draw.js", lines=3)).importance is Importance.LOW
    entry = "@@ -1,2 +1,3 @@\n ## Unreleased\n+- Fix the completion script typo that broke file completion.\n"
    noted = unit_commit("Fix typo in completion script", changed("CHANGES.md", entry), changed("src/complete.sh", SOURCE))
    assert judge(noted).importance is Importance.MEDIUM


def test_the_heuristic_version_is_stated():
    assert HEURISTIC_VERSION == "v2"


def test_overlong_manifest_lines_are_skipped_not_matched():
    # A line of 100,000 spaces once took minutes against the section pattern; no metadata line is that long.
    hostile = '@@ -1,3 +1,3 @@\n   "dependencies": {\n+ ' + " " * 100_000 + 'x"\n+' + '"a": "' * 20_000
    started = time.perf_counter()
    assert read_manifest(FileChange(filename="package.json", additions=2, patch=hostile)) == ManifestChange()
    assert judge(unit_commit("bump " * 1000, changed("package.json", hostile), changed("CHANGES.md", hostile)))
    assert time.perf_counter() - started < 2  # a generous guard only


def test_every_reason_the_rules_give_has_a_chinese_text():
    from bot.analysis.heuristic import _ZH_REASONS

    given = set()
    for name, value in globals().items():
        if name.isupper() and isinstance(value, str) and value.startswith("@@"):
            for path in ("package.json", "go.mod", "Cargo.toml", "pom.xml", "CHANGELOG.md", "src/a.py", "docs/a.md",
                         ".github/workflows/ci.yml", "tests/test_a.py", "examples/a.py", "Dockerfile"):
                for title in ("feat: x", "fix: crash", "Bump x from 1.0 to 1.1", "release 1.0.0", "start version 2.0",
                              "drop support for python 3.8", "remove deprecated x", "deprecate y", "fix typo",
                              "update dev dependencies", "Revert \"x\"", "security: y", "refactor: z", "chore: w"):
                    given.update(judge(unit_commit(title, changed(path, value))).reasons)
    given.update(judge(unit_commit("Merge branch 'x'", parents=2)).reasons)
    assert len(given) >= 20 and given <= set(_ZH_REASONS), given - set(_ZH_REASONS)
