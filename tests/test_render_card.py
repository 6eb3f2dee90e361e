"""The platform-neutral card and the labels: fixed sections in a fixed order, times with their timezone, counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot.analysis.heuristic import NOT_ANALYSED, heuristic_content
from bot.domain import ChangeType, FileChange, Importance, Insights, Severity
from bot.render import console, feishu, slack
from bot.render import labels as L
from bot.render.card import build_card
from bot.render.digest import stats_line
from tests.samples import TZ, sample_analysis, sample_commit, sample_digest

SECTION_KEYS = ["summary", "impact", "insights", "risks", "recommendations"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_card_has_every_part_the_issue_names(language):
    commit = sample_commit()
    card = build_card(commit, sample_analysis(commit, language=language), TZ, language)
    assert card.title == "fix: prevent services adding/removal in dgd (#5240)"
    assert card.badge == ("🔴 高" if language == "zh" else "🔴 High")
    values = {f.label: f.value for f in card.fields}
    assert values[L.text(language, "change_type")] == L.change_type_name(ChangeType.FIX, language)
    assert values[L.text(language, "committed_at")] == "2026-01-08 21:59:44 UTC+08:00"
    assert values[L.text(language, "breaking")].startswith(L.text(language, "yes"))
    assert values[L.text(language, "files")] == L.text(language, "files_value", files="2", additions="186", deletions="4")
    assert values[L.text(language, "pull_request")].startswith("#5240 ")
    assert "Julien Mancuso" in values[L.text(language, "author")]
    assert [s.key for s in card.sections] == SECTION_KEYS
    assert [link.url for link in card.links] == [commit.url, commit.pull_request.url]
    assert "gpt-4o-mini" in card.footer and "v1" in card.footer and "2,722" in card.footer
    assert card.full_url == commit.url


def test_sections_are_the_same_for_every_llm_commit_and_empty_ones_say_so():
    digest = sample_digest()
    cards = [build_card(e.commit, e.analysis, TZ, "en") for e in digest.entries]
    llm = [card for card, entry in zip(cards, digest.entries, strict=True) if entry.analysis.source == "llm"]
    assert len(llm) == 3 and {tuple(s.key for s in c.sections) for c in llm} == {tuple(SECTION_KEYS)}
    assert {tuple(f.label for f in c.fields) for c in cards} == {tuple(f.label for f in cards[0].fields)}
    typo = cards[-1]
    empty = {s.key: s for s in typo.sections if not s.items}
    assert set(empty) == {"impact", "risks", "recommendations"}
    assert all(s.empty_note for s in empty.values())


def test_insights_show_unknown_and_maintainability_only_when_known():
    commit = sample_commit()
    analysis = sample_analysis(
        commit, insights=Insights(architecture="", performance="Unknown.", security="n/a", maintainability="unknown")
    )
    insights = next(s for s in build_card(commit, analysis, TZ, "zh").sections if s.key == "insights")
    assert [(i.label, i.value) for i in insights.items] == [("架构影响", "未知"), ("性能影响", "未知"), ("安全考虑", "未知")]
    known = sample_analysis(commit)
    insights = next(s for s in build_card(commit, known, TZ, "en").sections if s.key == "insights")
    assert [i.label for i in insights.items] == ["Architecture", "Performance", "Security", "Maintainability"]


def test_risks_carry_their_severity_and_heuristic_cards_say_so():
    commit = sample_commit(pull_request=None)
    analysis = sample_analysis(
        commit, source="heuristic", model="", note="LLM timed out", risks=[], language="en", importance=Importance.LOW
    )
    card = build_card(commit, analysis, "UTC", "en")
    assert "heuristic" in card.footer and "no LLM" in card.footer
    assert card.notice == "LLM timed out " + L.text("en", "heuristic_omits")
    assert card.badge == "🟢 Low"
    assert [link.url for link in card.links] == [commit.url]
    assert {f.label: f.value for f in card.fields}["🔀 Pull request"] == "None"
    risky = sample_analysis(commit)
    risks = next(s for s in build_card(commit, risky, TZ, "zh").sections if s.key == "risks")
    assert risks.style == "numbered" and risks.items[0].label == L.severity_name(Severity.MEDIUM, "zh")


def test_empty_message_gets_a_placeholder_title():
    commit = sample_commit(message="   \n")
    assert build_card(commit, sample_analysis(commit), TZ, "zh").title == "（无标题）"


def test_times_always_show_the_timezone_offset_and_utc_by_name():
    moment = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)  # US DST starts this day
    assert L.format_datetime(moment, "America/New_York") == "2026-03-08 05:30:00 UTC-04:00"
    assert L.format_datetime(moment, "Asia/Kolkata") == "2026-03-08 15:00:00 UTC+05:30"
    assert L.format_datetime(moment, "UTC") == "2026-03-08 09:30:00 UTC"
    assert L.format_datetime(moment, "Europe/London") == "2026-03-08 09:30:00 UTC"
    assert L.format_datetime(moment.replace(month=7), "Europe/London") == "2026-07-08 10:30:00 UTC+01:00"
    assert L.timezone_label("Asia/Shanghai", date(2026, 1, 8)) == "Asia/Shanghai (UTC+08:00)"
    assert L.timezone_label("Europe/London", date(2026, 1, 8)) == "Europe/London (UTC)"
    assert L.timezone_label("UTC", date(2026, 1, 8)) == "UTC"
    with pytest.raises(ValueError):
        L.format_datetime(datetime(2026, 1, 1), "UTC")


def test_both_languages_define_the_same_labels_and_names():
    assert set(L._TEXT["zh"]) == set(L._TEXT["en"])
    for language in L.LANGUAGES:
        assert {L.change_type_name(t, language) for t in ChangeType}.__len__() == len(ChangeType)
        assert [L.importance_name(i, language) for i in Importance]
    assert L.text("zh", "summary") == "📋 变更摘要" and L.text("zh", "risks") == "⚠️ 潜在风险"
    with pytest.raises(ValueError):
        L.text("fr", "summary")


@pytest.mark.parametrize(("count", "en", "zh"), [(1, "1 file, +2 / -1", "1 个文件，+2 / -1"),
                                                 (2, "2 files, +2 / -1", "2 个文件，+2 / -1")])
def test_file_counts_are_singular_for_one_file(count, en, zh):
    files = tuple(FileChange(filename=f"src/f{i}.py", additions=1) for i in range(count))
    commit = sample_commit(files=files, additions=2, deletions=1)
    for language, expected in (("en", en), ("zh", zh)):
        card = build_card(commit, sample_analysis(commit, language=language), TZ, language)
        assert {f.label: f.value for f in card.fields}[L.text(language, "files")] == expected


def test_counted_labels_use_the_singular_only_for_one():
    assert L.counted("en", "more_commits", 1, count=1) == "… and 1 more commit not listed"
    assert L.counted("en", "more_commits", 2, count=2) == "… and 2 more commits not listed"
    assert L.counted("en", "report_intro", 1, repos=1).startswith("1 repository ·")
    assert L.counted("zh", "report_intro", 1, repos=1) == L.text("zh", "report_intro", repos=1)
    one = sample_digest(entries=sample_digest().entries[:1], language="en")
    assert stats_line(one).startswith("1 commit today |")


def _rules_card(language: str, message: str = "fix: broken symlinks (#5235)"):
    commit = sample_commit(message=message, pull_request=None, additions=2, deletions=2,
                           files=(FileChange(filename="docs/guides/README.md", additions=2, deletions=2),))
    analysis = sample_analysis(commit, language=language, **heuristic_content(commit, language).model_dump(),
                               source="heuristic", model="heuristic", prompt_tokens=0, completion_tokens=0,
                               note="规则分析：未配置 LLM。" if language == "zh" else "Rule analysis: no LLM configured.")
    return build_card(commit, analysis, "UTC", language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_heuristic_card_shows_only_what_the_rules_filled_and_one_note(language):
    card = _rules_card(language)
    assert [s.key for s in card.sections] == ["summary", "impact"]
    assert card.notice.endswith(L.text(language, "heuristic_omits")) and card.notice.count("LLM") == 2
    shown = console.card_text(card) + json.dumps(slack.card_message(card), ensure_ascii=False)
    shown += json.dumps(feishu.card_json(card), ensure_ascii=False)
    assert NOT_ANALYSED[language] not in shown
    assert L.text(language, "insights") not in shown and L.text(language, "recommendations") not in shown
    assert shown.count(L.text(language, "heuristic_omits")) == 3  # once per rendering
    assert "1 file," in shown if language == "en" else "1 个文件" in shown


def test_a_heuristic_card_keeps_the_risks_the_rules_found():
    card = _rules_card("en", message="feat!: drop the v1 API")
    assert [s.key for s in card.sections] == ["summary", "impact", "risks"]
    risks = card.sections[-1]
    assert [item.label for item in risks.items] == ["High"] and "breaking change" in risks.items[0].value
