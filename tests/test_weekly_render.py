"""A weekly digest's parent on each platform and the weekly Markdown report: counts by importance and change type,
most changed areas, top commits; within each platform's limits and inert to hostile text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain import ChangeType, Commit, FileChange, Importance, RepoRef
from bot.render import labels as L
from bot.render import week as W
from bot.render.console import digest_text
from bot.render.feishu import CARD_BUDGET_BYTES, card_size, digest_card
from bot.render.markdown import report
from bot.render.slack import MAX_BLOCKS, TEXT_BUDGET, digest_message, text_length
from bot.service.digest import DigestDay, build_digest
from tests.test_render_markdown import assert_anchors_resolve, assert_levels_even, parse
from tests.test_weekly import TypedAnalyser

REPO = RepoRef.parse("octo/widgets")
W48 = date(2026, 11, 23)


def change(n: int, day: int, files: dict[str, int], title: str | None = None) -> Commit:
    sha = f"{n:040x}"
    touched = tuple(FileChange(filename=name, additions=lines, deletions=lines // 2) for name, lines in files.items())
    return Commit(repo=REPO, sha=sha, message=title or f"change number {n}", author_name="Ada",
                  committed_at=datetime(2026, 11, 23, 9, tzinfo=UTC) + timedelta(days=day, minutes=n),
                  url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,),
                  additions=sum(f.additions for f in touched), deletions=sum(f.deletions for f in touched),
                  files=touched)


COMMITS = [
    change(1, 0, {"src/core/engine.py": 200, "src/core/io.py": 40}),  # high, big
    change(2, 1, {"docs/guide.md": 10}),                                 # low
    change(3, 2, {"src/core/engine.py": 5, "tests/test_engine.py": 30}),  # high, small
    change(4, 3, {"README.md": 2}),                                      # medium
    change(5, 6, {"src/api/routes.py": 60}),                             # medium
]
IMPORTANCE = {COMMITS[0].sha: Importance.HIGH, COMMITS[1].sha: Importance.LOW, COMMITS[2].sha: Importance.HIGH,
              COMMITS[3].sha: Importance.MEDIUM, COMMITS[4].sha: Importance.MEDIUM}
TYPES = {COMMITS[0].sha: ChangeType.FEATURE, COMMITS[1].sha: ChangeType.DOCS, COMMITS[2].sha: ChangeType.FIX,
         COMMITS[3].sha: ChangeType.DOCS, COMMITS[4].sha: ChangeType.FEATURE}


def week_digest(language="en", commits=None, importance=None, skipped_message=True):
    listed = list(COMMITS if commits is None else commits)
    if skipped_message:
        listed.append(change(9, 4, {"src/x.py": 1}, title="chore: quiet [skip radar]"))
    analyser = TypedAnalyser(IMPORTANCE if importance is None else importance, TYPES)
    return build_digest(DigestDay(REPO, "main", W48, "UTC", language, weekly=True), lambda start, end: listed,
                        analyser)


def test_areas_group_paths_by_their_first_directories():
    assert W.area_of("src/core/engine.py") == "src/core" and W.area_of("src/app.py") == "src"
    assert W.area_of("README.md") == "README.md" and W.area_of("a/b/c/d.txt") == "a/b"
    digest = week_digest()
    assert [(area.name, area.additions, area.deletions, area.commits) for area in W.areas(digest.entries)] == [
        ("src/core", 245, 122, 2), ("src/api", 60, 30, 1), ("tests", 30, 15, 1), ("docs", 10, 5, 1),
        ("README.md", 2, 1, 1)]


def test_top_commits_are_by_importance_then_size():
    digest = week_digest()
    assert [entry.commit.sha for entry in W.top_entries(digest.entries)] == [
        COMMITS[0].sha, COMMITS[2].sha, COMMITS[4].sha, COMMITS[3].sha, COMMITS[1].sha]
    assert len(W.top_entries(digest.entries, limit=2)) == 2


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_platform_shows_the_week_s_counts_types_areas_and_top_commits(language):
    digest = week_digest(language)
    assert digest.skipped == 1 and len(digest.entries) == 5
    feature, docs = L.change_type_name(ChangeType.FEATURE, language), L.change_type_name(ChangeType.DOCS, language)
    fix = L.change_type_name(ChangeType.FIX, language)
    slack = str(digest_message(digest))
    feishu = str(digest_card(digest))
    console = digest_text(digest)
    for text in (slack, feishu, console):
        assert "2026-W48" in text and "2026-11-23" in text and "2026-11-29" in text
        assert L.counted(language, "stats_line_week", 5, total=5, high=2, medium=2, low=1) in text
        assert L.text(language, "skipped_count", count=1) in text
        assert f"{feature} 2 · {docs} 2 · {fix} 1" in text  # most frequent first, ties in the enum's order
        assert L.text(language, "top_areas") in text and "src/core" in text and "+245 / -122" in text
        assert L.text(language, "top_commits") in text
        shown = [commit.short_sha for commit in COMMITS if commit.short_sha in text]
        assert len(shown) == 5
        order = sorted(shown, key=text.index)
        assert order == [COMMITS[i].short_sha for i in (0, 2, 4, 3, 1)]  # by importance, not by time
    assert L.text(language, "digest_thread_week") in slack and L.text(language, "digest_thread_week") in feishu


def test_a_week_without_high_commits_promises_no_thread_and_an_empty_week_says_so():
    calm = week_digest(importance={commit.sha: Importance.LOW for commit in COMMITS})
    assert L.text("en", "digest_thread_week") not in str(digest_message(calm))
    assert L.text("en", "digest_thread_week") not in str(digest_card(calm))
    empty = week_digest(commits=[], skipped_message=False)
    for text in (str(digest_message(empty)), str(digest_card(empty)), digest_text(empty)):
        assert L.text("en", "digest_empty_week") in text and L.text("en", "top_commits") not in text


def test_a_huge_hostile_week_stays_within_the_limits_and_inert():
    hostile = "<!channel> <@U123> *bold* [x](https://evil.example) " + "w" * 300
    many = [change(100 + n, n % 7, {f"<!here>/{'d' * 200}{n % 9}/f.py": n, f"src/`tick`/{n}.py": 1},
                   title=f"{hostile} {n}") for n in range(600)]
    digest = week_digest(commits=many, importance={commit.sha: Importance.HIGH for commit in many})
    slack = digest_message(digest)
    assert text_length(slack["blocks"]) <= TEXT_BUDGET and len(slack["blocks"]) <= MAX_BLOCKS
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in slack["blocks"])
    assert "<!channel>" not in str(slack) and "<!here>" not in str(slack) and "<@U123>" not in str(slack)
    feishu = digest_card(digest)
    assert card_size(feishu) <= CARD_BUDGET_BYTES
    assert "<at" not in str(feishu) and "](https://evil.example)" not in str(feishu)
    assert len(W.summary(digest).top) == W.TOP_COMMITS and len(W.summary(digest).areas) == W.TOP_AREAS


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_weekly_report_keeps_the_daily_structure_and_adds_the_week_s_statistics(language):
    other = build_digest(DigestDay(RepoRef.parse("octo/gadgets"), None, W48, "UTC", language, weekly=True),
                         lambda start, end: [], TypedAnalyser({}))
    markdown = report([week_digest(language), other], W48, language, weekly=True)
    doc = parse(markdown)
    assert_levels_even(doc)
    assert assert_anchors_resolve(doc) > 0
    title = doc["headings"][0][1]
    assert title == ("每周更新报告（2026-W48：2026-11-23 – 2026-11-29）" if language == "zh"
                     else "Weekly update report (2026-W48: 2026-11-23 – 2026-11-29)")
    [table] = doc["tables"]
    assert len(table) == 1 + 5  # every commit of the week, the skipped one only counted
    assert L.text(language, "by_change_type") in doc["text"] and "src/core" in doc["text"]
    assert L.text(language, "skipped_count", count=1) in doc["text"]
    assert L.text(language, "repo_empty_week") in doc["text"]
    assert len([level for level, _, _ in doc["headings"] if level == 4]) == 5


def test_a_path_with_backticks_is_one_code_span_in_the_report():
    odd = [change(1, 0, {"src/`odd``dir`/f.py": 3})]
    markdown = report([week_digest(commits=odd, skipped_message=False)], W48, "en", weekly=True)
    assert "src/`odd``dir`" in parse(markdown)["text"]
