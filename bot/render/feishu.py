"""Feishu/Lark card JSON 2.0 for cards, digests and notices.

A card is `{"schema": "2.0", "config", "header", "body": {"elements": [...]}}`: markdown elements,
`hr` dividers and `button`s whose `behaviors` open a URL. Custom-bot webhooks reject request bodies
over 20 KB, so every card is kept under `CARD_BUDGET_BYTES` measured as compact UTF-8 JSON (send it
with `ensure_ascii=False`); longer analyses lose trailing items and end with a link to the full text.
"""

from __future__ import annotations

import json
import re

from bot.domain import Card, Digest, Importance
from bot.render import digest as D
from bot.render import labels as L
from bot.render import week as W
from bot.render.escape import WORD_JOINER, clean, feishu_link, feishu_markdown, feishu_plain, one_line, safe_url
from bot.render.fit import shorten, shrink
from bot.render.sections import Dialect, section_lines

WEBHOOK_LIMIT_BYTES = 20 * 1024
# Room for the webhook envelope around the card: msg_type, timestamp and signature.
CARD_BUDGET_BYTES = WEBHOOK_LIMIT_BYTES - 1024
TITLE_LIMIT = 200
FACT_LIMIT = 300
NOTICE_LIMIT = 500
DIGEST_TITLE_LIMIT = 120
DIGEST_AUTHOR_LIMIT = 60
TEMPLATES = {Importance.HIGH: "red", Importance.MEDIUM: "orange", Importance.LOW: "green"}


def card_size(card: dict) -> int:
    """Bytes of the card as compact UTF-8 JSON: what counts against the webhook limit."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _plain(text: str) -> dict:
    return {"tag": "plain_text", "content": text}


def _markdown(content: str, **extra: str) -> dict:
    return {"tag": "markdown", "content": content, **extra}


def _grey(escaped: str) -> str:
    return f"<font color='grey'>{escaped}</font>"


FEISHU = Dialect(escape=feishu_markdown, bold="**", bullet="-", quiet=_grey)


def _button(label: str, url: str, primary: bool) -> dict:
    return {
        "tag": "button",
        "text": _plain(shorten(feishu_plain(label), 40)),
        "type": "primary" if primary else "default",
        "behaviors": [{"type": "open_url", "default_url": url}],
    }


def _card(header: dict, elements: list[dict], summary: str) -> dict:
    return {
        "schema": "2.0",
        "config": {"update_multi": True, "summary": {"content": shorten(feishu_plain(summary), 120)}},
        "body": {"elements": elements},
        "header": header,
    }


def _build(card: Card, groups: list[list[str]], trimmed: bool) -> dict:
    language = card.language
    colon = L.text(language, "colon")
    color = TEMPLATES[card.importance]
    header = {
        "title": _plain(shorten(feishu_plain(card.title), TITLE_LIMIT)),
        "subtitle": _plain(shorten(feishu_plain(card.subtitle), TITLE_LIMIT)),
        "template": color,
        "text_tag_list": [{"tag": "text_tag", "text": _plain(feishu_plain(card.badge)), "color": color}],
    }
    facts = "\n".join(
        f"**{feishu_markdown(f.label)}**{colon}{shorten(feishu_markdown(f.value), FACT_LIMIT)}" for f in card.fields
    )
    elements = [_markdown(facts), {"tag": "hr"}] if facts else []
    for section, lines in zip(card.sections, groups, strict=True):
        elements.append(_markdown("\n".join([f"**{feishu_markdown(section.title)}**", *lines])))
    if card.notice:
        notice = shorten(feishu_markdown(card.notice), NOTICE_LIMIT)
        elements.append(_markdown(f"**{feishu_markdown(L.text(language, 'notice'))}**{colon}{notice}"))
    if trimmed:
        note = _grey(feishu_markdown(L.text(language, "trimmed")))
        elements.append(_markdown(note + feishu_link(card.full_url, L.text(language, "full_analysis"))))
    links = [(link.label, safe_url(link.url)) for link in card.links]
    for index, (label, url) in enumerate((label, url) for label, url in links if url):
        elements.append(_button(label, url, primary=index == 0))
    if card.footer:
        elements.append(_markdown(_grey(shorten(feishu_markdown(card.footer), FACT_LIMIT)), text_size="notation"))
    return _card(header, elements, card.fallback_text)


def card_json(card: Card, budget: int = CARD_BUDGET_BYTES) -> dict:
    """The card as Feishu card JSON 2.0, trimmed (with a link to the full text) to stay under `budget` bytes."""
    groups = [section_lines(section, card.language, FEISHU) for section in card.sections]
    built = _build(card, groups, trimmed=False)
    trimmed = False
    for _ in range(50):
        over = card_size(built) - budget
        if over <= 0:
            return built
        # a character is at most 4 UTF-8 bytes, so removing over/4 characters may not be enough: loop
        groups, touched = shrink(groups, max(over // 3, 64))
        trimmed = trimmed or touched > 0
        built = _build(card, groups, trimmed=trimmed)
        if not touched:
            break
    if card_size(built) > budget:
        raise ValueError(f"card for {card.sha} does not fit in {budget} bytes even when trimmed")
    return built


def _row_line(row: D.DigestRow) -> str:
    title = shorten(feishu_markdown(row.title), DIGEST_TITLE_LIMIT)
    author = shorten(feishu_markdown(row.author), DIGEST_AUTHOR_LIMIT)
    return f"- {row.importance.emoji} `{row.clock}` {feishu_link(row.url, row.short_sha)} {title} — *{author}*"


def digest_card(digest: Digest, budget: int = CARD_BUDGET_BYTES) -> dict:
    """The digest's parent card: date, repo, counts by importance and a compact list of commits (a week's:
    counts by change type, most changed areas and top commits instead of the list)."""
    language = digest.language
    header = {
        "title": _plain(shorten(feishu_plain(D.title(digest)), TITLE_LIMIT)),
        "subtitle": _plain(feishu_plain(D.context(digest))),
        "template": "blue",
    }
    head = [_markdown(f"**{feishu_markdown(D.stats_line(digest))}**")]
    if not digest.entries:
        return _card(header, head + [_markdown(feishu_markdown(D.empty_note(digest)))], D.fallback(digest))
    note = D.thread_note(digest)
    tail = [_markdown(_grey(feishu_markdown(note)), text_size="notation")] if note else []
    if digest.weekly:
        return _card(header, head + _week_elements(digest) + tail, D.fallback(digest))
    lines = [_row_line(row) for row in D.rows(digest)]
    shown = len(lines)
    while True:
        body = ["\n".join(lines[:shown])]
        if shown < len(lines):
            more = L.counted(language, "more_commits", len(lines) - shown, count=len(lines) - shown)
            body.append(_grey(feishu_markdown(more)))
        card = _card(header, head + [_markdown("\n".join(body))] + tail, D.fallback(digest))
        if card_size(card) <= budget or shown == 0:
            return card
        over = card_size(card) - budget
        drop = 1
        while drop < shown and sum(len(line.encode()) for line in lines[shown - drop : shown]) < over:
            drop += 1
        shown -= drop


def _week_elements(digest: Digest) -> list[dict]:
    # Bounded by construction (at most 14 change types, TOP_AREAS areas, TOP_COMMITS capped rows): a few KB.
    language, week = digest.language, W.summary(digest)

    def heading(key: str) -> str:
        return f"**{feishu_markdown(L.text(language, key))}**"

    elements = [_markdown(f"{heading('by_change_type')}\n{feishu_markdown(W.change_type_line(week))}")]
    if week.areas:
        lines = [f"- {W.area_line(area, language, _path(area.name))}" for area in week.areas]
        elements.append(_markdown("\n".join([heading("top_areas"), *lines])))
    elements.append(_markdown("\n".join([heading("top_commits"), *map(_row_line, week.top)])))
    return elements


def _path(text: str) -> str:
    return shorten(feishu_markdown(one_line(text)), DIGEST_TITLE_LIMIT)


# `](` (even with spaces between) is where a Markdown link's label meets its target.
_LINK_JOIN = re.compile(r"\](?=\s*\()")


def text_message(text: str) -> dict:
    """The `content` of a `msg_type: text` message: no `<at user_id=…>` and no `[label](url)` can form."""
    if not (text or "").strip():
        raise ValueError("a notice needs some text")
    # Feishu may render `[label](url)` in text messages: a word joiner after `]` keeps untrusted
    # text (commit titles) from showing a fake label over another link, and reads the same.
    return {"text": _LINK_JOIN.sub("]" + WORD_JOINER, clean(text).replace("<", "<" + WORD_JOINER))}
