"""Roll-up parts: planned to fit each platform, rendered through the one escaping module, keyed stably."""

from __future__ import annotations

import hashlib

import pytest

from bot.domain import Importance
from bot.render import slack as S
from bot.render.feishu import CARD_BUDGET_BYTES, card_size
from bot.render.rollup import RollupLine, RollupPart, feishu_card, ordered, part_item, plain_text, plan, slack_message
from bot.render.slack import text_length

HOSTILE = "<!channel> <@U0123> <https://evil.example|click me> *bold* @here [x](https://evil.example) <at id=all></at>"
LEVELS = (Importance.HIGH, Importance.MEDIUM, Importance.LOW)


def line(n: int, title: str | None = None) -> RollupLine:
    sha = hashlib.sha1(str(n).encode()).hexdigest()
    return RollupLine(LEVELS[n % 3], sha, f"https://github.com/octo/widgets/commit/{sha}",
                      title or f"{HOSTILE} 修复 number {n} " + "long words " * 30)


def parts_of(lines: list[RollupLine], platform: str, language: str = "en", lower: int = 0) -> list[RollupPart]:
    planned = plan(lines, platform)
    return [RollupPart(language=language, repo="octo/widgets", index=i, total=len(planned), count=len(lines),
                       limit=10, lines=chunk, lower=lower) for i, chunk in enumerate(planned)]


@pytest.mark.parametrize("platform", ["slack", "feishu", "feishu_webhook", "console"])
def test_every_line_is_in_exactly_one_part_in_roll_up_order(platform):
    lines = ordered([line(n) for n in range(500)])
    planned = plan(lines, platform)
    assert len(planned) > 1
    assert [item for chunk in planned for item in chunk] == lines
    assert [item.importance for item in lines] == sorted((item.importance for item in lines),
                                                         key=lambda level: -level.rank)


def test_each_slack_part_fits_and_links_its_shas_with_titles_made_inert():
    lines = ordered([line(n) for n in range(500)])
    for part in parts_of(lines, "slack", lower=3):
        message = slack_message(part)
        blocks = message["blocks"]
        assert len(blocks) <= S.MAX_BLOCKS and text_length(blocks) <= S.TEXT_BUDGET
        assert len(message["text"]) <= S.FALLBACK_LIMIT
        body = "\n".join(block["text"]["text"] for block in blocks if block["type"] == "section")
        assert all(len(block["text"]["text"]) <= S.SECTION_LIMIT for block in blocks if block["type"] == "section")
        for item in part.lines:
            assert f"<{item.url}|{item.short_sha}>" in body
        assert "<!channel>" not in body and "<@U0123>" not in body and "<https://evil" not in body
        assert "&lt;!channel&gt;" in body


def test_each_feishu_part_fits_the_card_budget_and_nothing_in_a_title_mentions_or_links():
    lines = ordered([line(n) for n in range(500)])
    parts = parts_of(lines, "feishu")
    for part in parts:
        card = feishu_card(part)
        assert card_size(card) <= CARD_BUDGET_BYTES
        content = "\n".join(element["content"] for element in card["body"]["elements"])
        for item in part.lines:
            assert f"[{item.short_sha}]({item.url})" in content
        assert "<at" not in content and "[x](" not in content


def test_the_parent_says_how_many_and_that_the_thread_continues_the_last_part_counts_the_digest():
    parts = parts_of(ordered([line(n) for n in range(300)]), "console", lower=40)
    first, last = plain_text(parts[0]), plain_text(parts[-1])
    assert first.splitlines()[0].startswith("octo/widgets: 300 more commits exceed this poll's card limit (10)")
    assert f"continues in {len(parts) - 1} replies" in first
    assert "40 lower-importance commits" in last and "40 lower" not in first
    assert last.splitlines()[0] == f"octo/widgets: more commits (continued, {len(parts)} of {len(parts)})"
    assert "🔴 High" in first


def test_one_commit_reads_in_the_singular_and_chinese_has_its_own_wording():
    [part] = parts_of([line(1, "fix: one")], "console", lower=1)
    assert plain_text(part).splitlines()[0].startswith("octo/widgets: 1 more commit exceeds")
    assert "1 lower-importance commit (below" in plain_text(part)
    [zh] = parts_of([line(1, "fix: one")], "console", language="zh")
    assert "本轮另有 1 个提交" in plain_text(zh)


def test_a_part_item_is_stable_for_the_same_commits_in_the_same_place_and_fits_the_key_column():
    lines = [line(n) for n in range(20)]
    item = part_item(tuple(lines[:10]), 0)
    assert item == part_item(tuple(line(n) for n in range(10)), 0) and len(item) <= 128
    assert item != part_item(tuple(lines[:10]), 1)
    assert item != part_item(tuple(lines[:9] + lines[10:11]), 0)  # same first SHA, other commits
