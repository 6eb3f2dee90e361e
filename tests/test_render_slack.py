"""Slack Block Kit payloads, validated through slack_sdk's own Block models, within Slack's limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.models.blocks import Block

from bot.render import slack
from bot.render.card import build_card
from tests.samples import TZ, long_analysis, sample_analysis, sample_commit, sample_digest, sample_entry


def validate(payload: dict) -> list[dict]:
    """Every block parses into a slack_sdk model and passes its JSON validation; the limits hold."""
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= slack.MAX_BLOCKS
    for raw in blocks:
        model = Block.parse(raw)
        assert model is not None, raw
        model.validate_json()
        assert model.to_dict()["type"] == raw["type"]
    assert 0 < len(payload["text"]) <= slack.FALLBACK_LIMIT
    assert slack.text_length(blocks) <= slack.TEXT_BUDGET
    for raw in blocks:
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150
        if raw["type"] == "section" and "text" in raw:
            assert len(raw["text"]["text"]) <= 3000
    return blocks


@pytest.mark.parametrize("language", ["zh", "en"])
def test_card_message_is_valid_block_kit_with_buttons(language):
    commit = sample_commit()
    payload = slack.card_message(build_card(commit, sample_analysis(commit, language=language), TZ, language))
    blocks = validate(payload)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == commit.title
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["url"] for e in actions["elements"]] == [commit.url, commit.pull_request.url]
    assert all(e["action_id"].startswith(slack.ACTION_PREFIX) for e in actions["elements"])
    assert payload["unfurl_links"] is False
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert [t.split("\n")[0] for t in texts][:5] == [
        f"*{s}*"
        for s in (
            ["📋 变更摘要", "🎯 影响范围", "🔍 技术洞察", "⚠️ 潜在风险", "💡 关注建议"]
            if language == "zh"
            else ["📋 Summary", "🎯 Impact scope", "🔍 Technical insights", "⚠️ Risks", "💡 Recommendations"]
        )
    ]


def test_long_analysis_is_split_and_trimmed_to_fit_never_mid_word():
    commit = sample_commit(message="feat: " + "very long title word " * 30)
    card = build_card(commit, long_analysis(commit), TZ, "en")
    payload = slack.card_message(card)
    blocks = validate(payload)
    assert len(blocks[0]["text"]["text"]) <= 150 and blocks[0]["text"]["text"].endswith("…")
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert any("Shortened to fit" in t for t in sections)
    assert any(commit.url in t for t in sections)  # the link to the full text
    analysis = long_analysis(commit)
    source = " ".join(
        [analysis.summary, *(i.component + " " + i.note for i in analysis.impact), *analysis.recommendations]
        + [analysis.insights.architecture] + [r.description for r in analysis.risks]
    )
    vocabulary = {w.strip(".,;") for w in source.split()}
    for token in " ".join(sections).replace("\n", " ").split():
        word = token.strip("*_•…:：[]<>|.,;")
        partial = [v for v in vocabulary if v.startswith(word) and v != word]
        assert not word or word in vocabulary or not partial, f"cut inside a word: {token!r}"
    # the buttons and the provenance survive trimming
    assert any(b["type"] == "actions" for b in blocks) and blocks[-1]["type"] == "context"


def test_a_section_over_3000_characters_is_split_at_line_boundaries_without_loss():
    commit = sample_commit()
    items = [f"Recommendation number {i} explains one concrete step in plain words." for i in range(60)]
    card = build_card(commit, sample_analysis(commit, recommendations=items), TZ, "en")
    blocks = validate(slack.card_message(card))
    pieces = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    rec = [p for p in pieces if "Recommendation number" in p]
    assert len(rec) >= 2
    joined = "\n".join(rec)
    assert all(f"• {item}" in joined for item in items)  # nothing lost: well under the total budget


def test_digest_message_lists_commits_with_counts():
    digest = sample_digest(language="en")
    blocks = validate(slack.digest_message(digest))
    assert blocks[0]["text"]["text"] == "📅 2026-01-08 · ai-dynamo/dynamo"
    assert "Asia/Shanghai (UTC+08:00)" in blocks[1]["elements"][0]["text"]
    assert blocks[2]["text"]["text"] == "*4 commits today | 🔴 High 2 | 🟡 Medium 1 | 🟢 Low 1*"
    listing = blocks[3]["text"]["text"].split("\n")
    assert len(listing) == 4
    assert listing[0].startswith("🔴 `21:59` <https://github.com/ai-dynamo/dynamo/commit/55c2665")
    assert "|55c2665>" in listing[0]


def test_huge_digest_stays_within_limits_and_says_how_many_are_not_listed():
    base = sample_commit()
    entries = [
        sample_entry(sample_commit(sha=f"{i:040x}", committed_at=base.committed_at + timedelta(seconds=i), url=f"{base.url[:-40]}{i:040x}"))
        for i in range(400)
    ]
    payload = slack.digest_message(sample_digest(entries, language="en"))
    blocks = validate(payload)
    listed = sum(b["text"]["text"].count("\n") + 1 for b in blocks if b["type"] == "section" and "`" in b["text"]["text"])
    more = [b for b in blocks if b["type"] == "section" and "more commits not listed" in b["text"]["text"]]
    assert len(more) == 1
    assert f"{400 - listed} more commits" in more[0]["text"]["text"]


def test_empty_digest_says_so():
    blocks = validate(slack.digest_message(sample_digest([], language="zh")))
    assert any("本日无新提交" in b.get("text", {}).get("text", "") for b in blocks)


def test_text_message_and_unfurl_are_valid():
    blocks = validate(slack.text_message("Subscription paused: <!channel> & bot removed"))
    assert blocks[0]["text"]["text"] == "Subscription paused: &lt;!channel&gt; &amp; bot removed"
    long = slack.text_message("word " * 5000)
    validate(long)
    with pytest.raises(ValueError):
        slack.text_message("  ")
    commit = sample_commit()
    unfurl = slack.unfurl(build_card(commit, sample_analysis(commit), TZ, "zh"))
    validate({"text": "x", "blocks": unfurl["blocks"]})
    assert f"<{commit.url}|" in unfurl["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(("language", "expected"), [("en", "Default branch · timezone"), ("zh", "默认分支 · 时区")])
def test_a_digest_without_a_named_branch_says_default_branch_not_an_empty_name(language, expected):
    from bot.render.digest import context

    assert context(sample_digest(branch="", language=language)).startswith(expected)
    assert context(sample_digest(branch="main", language="en")).startswith("Branch main · timezone")
