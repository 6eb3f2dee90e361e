"""The Markdown report, checked by rendering it with markdown-it-py (CommonMark + GFM tables).

TOC anchors are resolved against the headings' GitHub anchors; heading levels, tables and the
per-commit blocks are checked on the parsed document, not on the source text.
"""

from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt

from bot.domain import DigestEntry
from bot.render import labels as L
from bot.render.anchors import Slugger
from bot.render.escape import one_line
from bot.render.markdown import analysis_markdown, report
from tests.samples import (
    DAY,
    TZ,
    long_analysis,
    sample_analysis,
    sample_commit,
    sample_digest,
    sample_entry,
    second_digest,
)

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
TIME_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC(?:[+-]\d\d:\d\d)?$")


def _inline_text(token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def parse(markdown: str) -> dict:
    """Headings (level, text, anchor), link targets, tables (rows of cell texts) and the whole text."""
    tokens = MD.parse(markdown)
    slugger = Slugger()
    headings, links, tables, texts = [], [], [], []
    table = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _inline_text(tokens[index + 1])
            headings.append((int(token.tag[1]), text, slugger.slug(text)))
        if token.type == "table_open":
            table = []
        if token.type == "tr_open" and table is not None:
            table.append([])
        if token.type == "inline":
            texts.append(_inline_text(token))
            if table is not None and table:
                table[-1].append(_inline_text(token))
            for child in token.children or []:
                if child.type == "link_open":
                    links.append(child.attrs["href"])
                assert child.type not in ("html_inline", "image"), child
        if token.type == "table_close":
            tables.append(table)
            table = None
        assert token.type not in ("html_block", "code_block", "fence"), token
    return {"headings": headings, "links": links, "tables": tables, "text": "\n".join(texts)}


def assert_anchors_resolve(doc: dict) -> int:
    anchors = {anchor for _, _, anchor in doc["headings"]}
    internal = [unquote(href[1:]) for href in doc["links"] if href.startswith("#")]
    missing = [a for a in internal if a not in anchors]
    assert not missing, missing
    return len(internal)


def assert_levels_even(doc: dict) -> None:
    levels = [level for level, _, _ in doc["headings"]]
    assert levels[0] == 1 and levels.count(1) == 1
    for previous, current in pairwise(levels):
        assert current <= previous + 1, levels


@pytest.mark.parametrize("language", ["zh", "en"])
def test_report_structure_anchors_and_levels(language):
    digests = [sample_digest(language=language), second_digest(language=language)]
    doc = parse(report(digests, DAY, language))
    assert_levels_even(doc)
    headings = [(level, text) for level, text, _ in doc["headings"]]
    assert headings[0][1] == ("每日更新报告（2026-01-08）" if language == "zh" else "Daily update report (2026-01-08)")
    assert [text for level, text in headings if level == 2][1:] == ["ai-dynamo/dynamo", "example-org/widgets"]
    # every heading after the contents is reachable from the contents, and every link resolves
    toc_links = assert_anchors_resolve(doc)
    assert toc_links == (len(headings) - 2) + 5  # plus one link per commit-table row
    commits = [text for level, text in headings if level == 4]
    assert commits.count("fix: broken symlinks (#5235)") == 2  # same title, two distinct anchors
    assert len({a for lvl, _, a in doc["headings"] if lvl == 4}) == 5


def test_commit_table_rows_have_time_with_zone_author_and_title():
    doc = parse(report([sample_digest(), second_digest()], DAY, "zh"))
    first, second = doc["tables"]
    assert first[0] == ["提交时间", "重要程度", "提交", "作者", "提交信息"]
    assert len(first) == 1 + 4 and len(second) == 1 + 1
    for row in first[1:] + second[1:]:
        assert len(row) == 5
        assert TIME_WITH_ZONE.match(row[0]), row[0]
    assert first[1][3:] == ["Julien Mancuso", "fix: prevent services adding/removal in dgd (#5240)"]
    assert second[1][0] == "2026-01-08 03:00:00 UTC"


@pytest.mark.parametrize(("language", "shown"), [("en", "Default branch · timezone: UTC"), ("zh", "默认分支 · 时区：UTC")])
def test_a_report_without_a_branch_names_the_default_branch_instead_of_an_empty_field(language, shown):
    markdown = report([sample_digest(branch="", timezone="UTC", language=language)], DAY, language)
    assert shown in parse(markdown)["text"]
    assert "Branch: ·" not in markdown and "分支： ·" not in markdown and "分支：·" not in markdown
    named = report([sample_digest(branch="release", timezone="UTC", language="en")], DAY, "en")
    assert "Branch: release · timezone: UTC" in parse(named)["text"]


@pytest.mark.parametrize(("tz", "offset"), [("UTC", "UTC"), ("Europe/London", "UTC"), ("Asia/Kolkata", "UTC+05:30"),
                                            ("America/New_York", "UTC-05:00")])
def test_time_cells_show_the_zone_the_way_the_repository_line_does(tz, offset):
    doc = parse(report([sample_digest(timezone=tz, language="en")], DAY, "en"))
    assert f"timezone: {tz}" in doc["text"] and (tz == "UTC" or f"({offset})" in doc["text"])
    assert {row[0].rsplit(" ", 1)[1] for row in doc["tables"][0][1:]} == {offset}


def test_every_commit_block_has_the_same_parts_in_the_same_order():
    markdown = report([sample_digest(language="en"), second_digest(language="en")], DAY, "en")
    blocks = re.split(r"^#### .*$", markdown, flags=re.M)[1:]
    assert len(blocks) == 5
    facts = ["change_type", "importance", "breaking", "author", "committed_at", "files", "pull_request"]
    analysed = ["summary", "impact", "insights", "risks", "recommendations"]
    every = [L.text("en", key) for key in facts + analysed]
    by_rules = [L.text("en", key) for key in facts + ["summary", "impact", "notice"]]
    kinds = []
    for block in blocks:
        block = re.split(r"\n#{2,3} ", block)[0]
        labels = [label for label in re.findall(r"^(?:>? ?- |> )?\*\*([^*]+)\*\*", block, flags=re.M)
                  if label in every + by_rules]
        heuristic = L.text("en", "heuristic_omits") in block
        kinds.append(heuristic)
        assert labels == (by_rules if heuristic else every)
        assert block.rstrip().endswith("---")
    assert kinds.count(True) == 1  # the sample day's one heuristic analysis


def test_no_text_is_truncated_even_for_very_long_analyses():
    commit = sample_commit()
    analysis = long_analysis(commit)
    markdown = report([sample_digest([DigestEntry(commit=commit, analysis=analysis)])], DAY, "en")
    text = parse(markdown)["text"]
    for piece in [analysis.summary, *analysis.recommendations, *(r.description for r in analysis.risks)]:
        assert one_line(piece).strip() in text
    assert "…" not in text and "..." not in text


def test_empty_repository_and_empty_report_still_render_cleanly():
    doc = parse(report([sample_digest([])], DAY, "zh"))
    assert_levels_even(doc)
    assert assert_anchors_resolve(doc) == 1
    assert "本日无提交。" in doc["text"]
    doc = parse(report([], DAY, "en"))
    assert [h[1] for h in doc["headings"]] == ["Daily update report (2026-01-08)", "📋 Contents"]


def test_title_with_nothing_to_slug_gets_the_sha_in_its_heading():
    commit = sample_commit(message="🎉🎉!!!")
    markdown = report([sample_digest([sample_entry(commit)])], DAY, "zh")
    doc = parse(markdown)
    assert_anchors_resolve(doc)
    assert (4, "55c2665 🎉🎉!!!") in [(lvl, text) for lvl, text, _ in doc["headings"]]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_analysis_markdown_is_one_standalone_block(language):
    commit = sample_commit()
    markdown = analysis_markdown(commit, sample_analysis(commit, language=language), TZ, language)
    doc = parse(markdown)
    assert [(lvl, text) for lvl, text, _ in doc["headings"]] == [(1, commit.title)]
    assert commit.url in doc["links"] and commit.pull_request.url in doc["links"]
    assert "2026-01-08 21:59:44 UTC+08:00" in doc["text"]
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
