"""The platform-neutral card and the labels: same sections in the same order, times with their timezone."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.domain import ChangeType, Importance, Insights, Severity
from bot.render import labels as L
from bot.render.card import build_card
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


def test_sections_are_the_same_for_every_commit_and_empty_ones_say_so():
    digest = sample_digest()
    cards = [build_card(e.commit, e.analysis, TZ, "en") for e in digest.entries]
    assert {tuple(s.key for s in c.sections) for c in cards} == {tuple(SECTION_KEYS)}
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
    assert card.notice == "LLM timed out"
    assert card.badge == "🟢 Low"
    assert [link.url for link in card.links] == [commit.url]
    assert {f.label: f.value for f in card.fields}["🔀 Pull request"] == "None"
    risky = sample_analysis(commit)
    risks = next(s for s in build_card(commit, risky, TZ, "zh").sections if s.key == "risks")
    assert risks.style == "numbered" and risks.items[0].label == L.severity_name(Severity.MEDIUM, "zh")


def test_empty_message_gets_a_placeholder_title():
    commit = sample_commit(message="   \n")
    assert build_card(commit, sample_analysis(commit), TZ, "zh").title == "（无标题）"


def test_times_always_show_the_timezone_offset():
    moment = datetime(2026, 3, 8, 9, 30, tzinfo=timezone.utc)  # US DST starts this day
    assert L.format_datetime(moment, "America/New_York") == "2026-03-08 05:30:00 UTC-04:00"
    assert L.format_datetime(moment, "Asia/Kolkata") == "2026-03-08 15:00:00 UTC+05:30"
    assert L.format_datetime(moment, "UTC") == "2026-03-08 09:30:00 UTC+00:00"
    assert L.timezone_label("Asia/Shanghai", date(2026, 1, 8)) == "Asia/Shanghai (UTC+08:00)"
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
