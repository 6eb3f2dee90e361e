"""Burst roll-ups: the commits past a poll's card limit, grouped by importance, split into parts that fit a platform.

A roll-up is planned once, platform by platform (`plan`), as parts of whole lines: the first part is
the parent message, the others are its thread replies. Each part is then rendered on its own for
Slack (Block Kit), Feishu (card JSON 2.0) or as plain text; every line is `<short SHA link> title`,
escaped by the one escaping module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.domain import Importance
from bot.render import labels as L
from bot.render import slack as S
from bot.render.escape import (
    feishu_link,
    feishu_markdown,
    feishu_plain,
    one_line,
    slack_link,
    slack_mrkdwn,
)
from bot.render.feishu import CARD_BUDGET_BYTES
from bot.render.fit import shorten, split

TITLE_LIMIT = 120
# Room each part keeps for its heading, group labels and notes: the lines fill the rest.
SLACK_LINES_BUDGET = S.TEXT_BUDGET - 1500
FEISHU_LINES_BUDGET = CARD_BUDGET_BYTES - 3072
PLAIN_LINES_BUDGET = 8000


@dataclass(frozen=True)
class RollupLine:
    """One rolled-up commit; the title is plain (untrusted) text."""

    importance: Importance
    sha: str
    url: str
    title: str

    @property
    def short_sha(self) -> str:
        """First seven hex digits."""
        return self.sha[:7]


@dataclass(frozen=True)
class RollupPart:
    """One message of a roll-up: part `index` (0 is the parent) of `total`, naming `count` commits in all."""

    language: str
    repo: str
    index: int
    total: int
    count: int
    limit: int
    lines: tuple[RollupLine, ...]
    lower: int = 0  # commits below the threshold, left to the digest (said on the last part only)

    def with_titles(self, change: Callable[[str], str]) -> RollupPart:
        """The same part with `change` applied to every title."""
        return replace(self, lines=tuple(replace(line, title=change(line.title)) for line in self.lines))


def _slack_line(line: RollupLine) -> str:
    title = shorten(slack_mrkdwn(one_line(line.title)), TITLE_LIMIT)
    return f"• {slack_link(line.url, line.short_sha)} {title}"


def _feishu_line(line: RollupLine) -> str:
    title = shorten(feishu_markdown(one_line(line.title)), TITLE_LIMIT)
    return f"- {feishu_link(line.url, line.short_sha)} {title}"


def _plain_line(line: RollupLine) -> str:
    return f"• {line.short_sha} {shorten(one_line(line.title), TITLE_LIMIT)}"


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8"))


# platform -> (size of one rendered line, what the lines of one part may add up to)
_MEASURES: dict[str, tuple[Callable[[RollupLine], int], int]] = {
    "slack": (lambda line: len(_slack_line(line)) + 1, SLACK_LINES_BUDGET),
    "feishu": (lambda line: _json_bytes(_feishu_line(line)) + 2, FEISHU_LINES_BUDGET),
    "feishu_webhook": (lambda line: _json_bytes(_feishu_line(line)) + 2, FEISHU_LINES_BUDGET),
}


def ordered(lines: list[RollupLine]) -> list[RollupLine]:
    """High, then medium, then low; within one importance the given (history) order."""
    return sorted(lines, key=lambda line: -line.importance.rank)


def plan(lines: list[RollupLine], platform: str) -> list[tuple[RollupLine, ...]]:
    """The lines (in roll-up order) as parts that each fit one message of `platform`; at least one part."""
    measure, budget = _MEASURES.get(platform, (lambda line: len(_plain_line(line)) + 1, PLAIN_LINES_BUDGET))
    parts: list[tuple[RollupLine, ...]] = []
    current: list[RollupLine] = []
    used = 0
    for line in lines:
        size = measure(line)
        if current and used + size > budget:
            parts.append(tuple(current))
            current, used = [], 0
        current.append(line)
        used += size
    parts.append(tuple(current))
    return parts


def part_item(part: tuple[RollupLine, ...], index: int) -> str:
    """The part's delivery item: its first SHA, its place and a digest of all its SHAs (at most 80 characters).

    The same commits in the same place give the same item, so a re-run after a crash finds the part
    it already posted; a roll-up of other commits never matches it.
    """
    digest = hashlib.sha256(",".join(line.sha for line in part).encode()).hexdigest()[:16]
    first = part[0].sha if part else "empty"
    return f"{first}:{index}:{digest}"


def _groups(part: RollupPart) -> list[tuple[Importance, list[RollupLine]]]:
    groups: dict[Importance, list[RollupLine]] = {}
    for line in part.lines:
        groups.setdefault(line.importance, []).append(line)
    return sorted(groups.items(), key=lambda item: -item[0].rank)


def heading(part: RollupPart) -> str:
    """The part's first line (plain text): what the roll-up is, or which continuation this is."""
    if part.index:
        return L.text(part.language, "rollup_continued", repo=part.repo, part=part.index + 1, total=part.total)
    return L.counted(part.language, "rollup_head", part.count, repo=part.repo, count=part.count, limit=part.limit)


def notes(part: RollupPart) -> list[str]:
    """Plain-text notes at the end of the part: where the rest follows, what went to the digest."""
    out = []
    if part.index == 0 and part.total > 1:
        more = part.total - 1
        out.append(L.counted(part.language, "rollup_thread", more, more=more))
    if part.index == part.total - 1 and part.lower:
        out.append(L.counted(part.language, "rollup_lower", part.lower, count=part.lower))
    return out


def plain_text(part: RollupPart) -> str:
    """The part as plain text (the console, and platforms that take no formatted roll-up)."""
    out = [heading(part)]
    for importance, lines in _groups(part):
        out += [L.badge(importance, part.language), *(_plain_line(line) for line in lines)]
    return "\n".join(out + notes(part))


def slack_message(part: RollupPart) -> dict:
    """A `chat.postMessage` payload for the part: heading, one section per importance, notes."""
    head = slack_mrkdwn(heading(part))
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*", "verbatim": True}}]
    for importance, lines in _groups(part):
        body = "\n".join([f"*{slack_mrkdwn(L.badge(importance, part.language))}*", *map(_slack_line, lines)])
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": piece, "verbatim": True}}
                   for piece in split(body, S.SECTION_LIMIT)]
    if notes(part):
        elements = [{"type": "mrkdwn", "text": f"_{slack_mrkdwn(note)}_", "verbatim": True} for note in notes(part)]
        blocks.append({"type": "context", "elements": elements})
    fallback = shorten(slack_mrkdwn(plain_text(part)), S.FALLBACK_LIMIT)
    return {"text": fallback, "blocks": blocks[: S.MAX_BLOCKS], "unfurl_links": False, "unfurl_media": False}


def feishu_card(part: RollupPart) -> dict:
    """The part as a Feishu card JSON 2.0: heading in the header, one markdown element per importance, notes."""
    elements: list[dict] = []
    for importance, lines in _groups(part):
        body = "\n".join([f"**{feishu_markdown(L.badge(importance, part.language))}**", *map(_feishu_line, lines)])
        elements.append({"tag": "markdown", "content": body})
    for note in notes(part):
        elements.append({"tag": "markdown", "content": f"<font color='grey'>{feishu_markdown(note)}</font>",
                         "text_size": "notation"})
    title = shorten(feishu_plain(heading(part)), 200)
    return {
        "schema": "2.0",
        "config": {"update_multi": True, "summary": {"content": shorten(title, 120)}},
        "body": {"elements": elements},
        "header": {"title": {"tag": "plain_text", "content": title}, "template": "grey"},
    }


