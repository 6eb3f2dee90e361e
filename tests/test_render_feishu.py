"""Feishu card JSON 2.0: structure, header colour by importance, URL buttons, and the 20 KB webhook limit."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from bot.domain import Importance
from bot.render import feishu
from bot.render import labels as L
from bot.render.card import build_card
from bot.render.escape import feishu_markdown
from tests.samples import TZ, long_analysis, sample_analysis, sample_commit, sample_digest, sample_entry


def check_structure(card: dict) -> list[dict]:
    """The 2.0 shape: schema, config, body.elements of known tags, compact JSON under the budget."""
    assert card["schema"] == "2.0"
    assert card["config"]["update_multi"] is True
    elements = card["body"]["elements"]
    assert elements
    for element in elements:
        assert element["tag"] in {"markdown", "hr", "button"}
        if element["tag"] == "markdown":
            assert isinstance(element["content"], str) and element["content"]
        if element["tag"] == "button":
            assert element["text"]["tag"] == "plain_text"
            [behavior] = element["behaviors"]
            assert behavior["type"] == "open_url" and behavior["default_url"].startswith("https://")
    assert feishu.card_size(card) <= feishu.CARD_BUDGET_BYTES
    json.loads(json.dumps(card, ensure_ascii=False))
    return elements


@pytest.mark.parametrize(
    ("importance", "template"),
    [(Importance.HIGH, "red"), (Importance.MEDIUM, "orange"), (Importance.LOW, "green")],
)
def test_header_colour_follows_importance(importance, template):
    commit = sample_commit()
    card = feishu.card_json(build_card(commit, sample_analysis(commit, importance=importance), TZ, "zh"))
    check_structure(card)
    assert card["header"]["template"] == template
    assert card["header"]["text_tag_list"][0]["color"] == template
    assert card["header"]["title"] == {"tag": "plain_text", "content": commit.title}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_card_has_facts_sections_buttons_and_provenance_in_order(language):
    commit = sample_commit()
    elements = check_structure(feishu.card_json(build_card(commit, sample_analysis(commit, language=language), TZ, language)))
    tags = [e["tag"] for e in elements]
    assert tags == ["markdown", "hr", "markdown", "markdown", "markdown", "markdown", "markdown", "button", "button", "markdown"]
    assert "2026-01-08 21:59:44 UTC+08:00" in elements[0]["content"]
    assert [e["behaviors"][0]["default_url"] for e in elements if e["tag"] == "button"] == [commit.url, commit.pull_request.url]
    assert elements[-1]["text_size"] == "notation"


def test_long_analysis_is_trimmed_under_20_kb_with_a_link_to_the_full_text():
    commit = sample_commit()
    for language in ("zh", "en"):
        card = build_card(commit, long_analysis(commit, language=language), TZ, language)
        built = feishu.card_json(card)
        elements = check_structure(built)
        notes = [e["content"] for e in elements if e["tag"] == "markdown" and f"]({commit.url})" in e["content"]]
        assert len(notes) == 1
        assert feishu.card_size(built) > feishu.CARD_BUDGET_BYTES * 0.7  # trimmed, not emptied
    chinese = "调度器现在会批量处理预填充请求，这会改变高负载下的延迟。"
    analysis = long_analysis(commit, summary=chinese * 400, recommendations=[chinese * 3] * 80)
    built = feishu.card_json(build_card(commit, analysis, TZ, "zh"))
    check_structure(built)
    summary = next(e["content"] for e in built["body"]["elements"] if e.get("content", "").startswith("**📋"))
    assert summary.endswith("。…")  # cut at a sentence end


def test_a_card_within_budget_is_not_trimmed():
    commit = sample_commit()
    card = build_card(commit, sample_analysis(commit), TZ, "zh")
    built = feishu.card_json(card)
    trimmed = feishu_markdown(L.text("zh", "trimmed"))
    assert not any(trimmed in e.get("content", "") for e in built["body"]["elements"])
    long = feishu.card_json(build_card(commit, long_analysis(commit), TZ, "zh"))
    assert any(trimmed in e.get("content", "") for e in long["body"]["elements"])


def test_digest_card_lists_commits_and_stays_under_the_limit():
    digest = sample_digest()
    card = feishu.digest_card(digest)
    elements = check_structure(card)
    assert card["header"]["title"]["content"] == "📅 2026-01-08 · ai-dynamo/dynamo"
    assert elements[0]["content"] == "**本日共 4 个提交 &#124; 🔴 高 2 &#124; 🟡 中 1 &#124; 🟢 低 1**"
    assert elements[1]["content"].count("\n- ") == 3

    base = sample_commit()
    entries = [
        sample_entry(sample_commit(sha=f"{i:040x}", committed_at=base.committed_at + timedelta(seconds=i), url=f"{base.url[:-40]}{i:040x}"))
        for i in range(600)
    ]
    big = feishu.digest_card(sample_digest(entries))
    elements = check_structure(big)
    assert "另有" in elements[1]["content"] and "个提交未列出" in elements[1]["content"]


def test_text_message_makes_mentions_inert():
    message = feishu.text_message('<at id=all></at> paused: <at user_id="all">所有人</at> hi')
    assert "<at" not in message["text"] and "at user_id" in message["text"]
    with pytest.raises(ValueError):
        feishu.text_message(" ")


@pytest.mark.parametrize("untrusted", [
    "fix [urgent security patch](https://evil.example/login)",
    "see [docs] (https://evil.example) now",
    "[a](b) and [c](d)",
])
def test_text_messages_cannot_form_markdown_links(untrusted):
    text = feishu.text_message(f"Rolled up: {untrusted} <at user_id=\"all\"></at>")["text"]
    assert not re.search(r"\]\s*\(", text) and "]\u2060" in text
    assert "<at" not in text
    assert text.replace("\u2060", "") == f"Rolled up: {untrusted} <at user_id=\"all\"></at>"


def test_text_messages_keep_ordinary_brackets():
    assert feishu.text_message("[WIP] fix (again) [1] [x]")["text"] == "[WIP] fix (again) [1] [x]"
