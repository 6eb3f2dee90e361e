"""Slack Block Kit payloads for cards, digests, notices and unfurls.

Every payload is a dict of `chat.postMessage` arguments: `text` (the escaped plain fallback),
`blocks`, and `unfurl_links`/`unfurl_media` off so our own links do not expand under the card.
Limits: header 150, section text 3,000, field 2,000, button text 75 characters, 50 blocks; and
the whole message's text is kept under a 10,000-character budget because Slack rejects messages
whose blocks together pass roughly 12,000 characters (`msg_blocks_too_long`, undocumented).
URL buttons still send an interaction payload: the Bolt app must ack action ids starting with
`commit_radar_link`.
"""

from __future__ import annotations

from bot.domain import Card, Digest
from bot.render import digest as D
from bot.render import labels as L
from bot.render import week as W
from bot.render.escape import one_line, safe_url, slack_link, slack_mrkdwn, slack_plain
from bot.render.fit import shorten, shrink, split
from bot.render.sections import Dialect, section_lines

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
# Facts, subtitle, notice and provenance are short by nature; capping them keeps the whole budget
# for the analysis sections even when a commit's author or PR title is absurdly long.
FACT_LIMIT = 300
NOTICE_LIMIT = 500
BUTTON_LIMIT = 75
MAX_BLOCKS = 50
TEXT_BUDGET = 10_000
FALLBACK_LIMIT = 3000
ACTION_PREFIX = "commit_radar_link"
DIGEST_TITLE_LIMIT = 120
DIGEST_AUTHOR_LIMIT = 60


SLACK = Dialect(escape=slack_mrkdwn, bold="*", bullet="•", quiet=lambda text: f"_{text}_")
def _mrkdwn(text: str) -> dict:
    # verbatim: no automatic link/mention parsing of the (already escaped) text
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> dict:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts if t]}


def _header(text: str) -> dict:
    return {"type": "header", "text": _plain(shorten(slack_plain(text), HEADER_LIMIT))}


def _payload(text: str, blocks: list[dict]) -> dict:
    return {
        "text": shorten(text, FALLBACK_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def text_length(blocks: list[dict]) -> int:
    """Characters of text across all text objects of `blocks` (what Slack's cumulative limit counts)."""
    total = 0

    def walk(node: object) -> None:
        nonlocal total
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                total += len(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return total


def _buttons(card: Card) -> dict | None:
    elements = []
    for index, link in enumerate(card.links):
        url = safe_url(link.url)
        if url is None:
            continue
        button = {
            "type": "button",
            "text": _plain(shorten(slack_plain(link.label), BUTTON_LIMIT)),
            "url": url,
            "action_id": f"{ACTION_PREFIX}_{index}",
        }
        if index == 0:
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "elements": elements} if elements else None


def _fields(card: Card) -> dict | None:
    fields = [
        _mrkdwn(f"*{slack_mrkdwn(f.label)}*\n{shorten(slack_mrkdwn(f.value), FACT_LIMIT)}")
        for f in card.fields[:10]
    ]
    return {"type": "section", "fields": fields} if fields else None


def card_blocks(card: Card, budget: int = TEXT_BUDGET) -> list[dict]:
    """The card as Block Kit blocks: header, context, facts, the card's sections (split), buttons, provenance."""
    language = card.language
    top = [_header(card.title), _context(shorten(slack_mrkdwn(card.subtitle), FACT_LIMIT))]
    fields = _fields(card)
    if fields:
        top.append(fields)
    top.append({"type": "divider"})
    bottom = []
    if card.notice:
        notice = shorten(slack_mrkdwn(card.notice), NOTICE_LIMIT)
        bottom.append(_section(f"*{slack_mrkdwn(L.text(language, 'notice'))}*{L.text(language, 'colon')}{notice}"))
    buttons = _buttons(card)
    if buttons:
        bottom.append(buttons)
    if card.footer:
        bottom.append(_context(shorten(slack_mrkdwn(card.footer), FACT_LIMIT)))

    titles = [f"*{slack_mrkdwn(section.title)}*" for section in card.sections]
    groups = [section_lines(section, language, SLACK) for section in card.sections]
    trimmed_note = f"_{slack_mrkdwn(L.text(language, 'trimmed'))}_" + slack_link(
        card.full_url, L.text(language, "full_analysis")
    )
    fixed = text_length(top + bottom) + sum(len(t) + 1 for t in titles) + len(trimmed_note)
    excess = fixed + sum(len(line) + 1 for group in groups for line in group) - budget
    trimmed = False
    if excess > 0:
        groups, touched = shrink(groups, excess)
        trimmed = touched > 0

    middle = []
    for title, lines in zip(titles, groups, strict=True):
        for piece in split("\n".join([title, *lines]), SECTION_LIMIT):
            middle.append(_section(piece))
    if trimmed:
        middle.append(_section(trimmed_note))
    blocks = top + middle + bottom
    if len(blocks) > MAX_BLOCKS:  # only reachable with a very small budget per block; keep the ends
        blocks = top + middle[: MAX_BLOCKS - len(top) - len(bottom) - 1] + [_section(trimmed_note)] + bottom
    return blocks


def card_message(card: Card) -> dict:
    """A `chat.postMessage` payload for one commit card."""
    return _payload(slack_mrkdwn(card.fallback_text), card_blocks(card))


def unfurl(card: Card) -> dict:
    """The value for one URL in `chat.unfurl`'s `unfurls`: a compact card (title link, summary, context)."""
    summary = next((s for s in card.sections if s.key == "summary"), None)
    summary_text = summary.items[0].value if summary and summary.items else (summary.empty_note if summary else "")
    head = f"{slack_mrkdwn(card.badge)} *{slack_link(card.full_url, shorten(card.title, HEADER_LIMIT))}*"
    text = f"{head}\n{shorten(slack_mrkdwn(summary_text), 600)}"
    context = _context(shorten(slack_mrkdwn(card.subtitle), FACT_LIMIT), shorten(slack_mrkdwn(card.footer), FACT_LIMIT))
    return {"blocks": [_section(shorten(text, SECTION_LIMIT)), context]}


def _row_line(row: D.DigestRow) -> str:
    title = shorten(slack_mrkdwn(row.title), DIGEST_TITLE_LIMIT)
    author = shorten(slack_mrkdwn(row.author), DIGEST_AUTHOR_LIMIT)
    return f"{row.importance.emoji} `{row.clock}` {slack_link(row.url, row.short_sha)} {title} — _{author}_"


def digest_message(digest: Digest) -> dict:
    """The digest's parent message: date, repo, counts by importance, and a compact list of its commits
    (a week's: counts by change type, most changed areas and top commits instead of the list)."""
    language = digest.language
    blocks = [
        _header(D.title(digest)),
        _context(slack_mrkdwn(D.context(digest))),
        _section(f"*{slack_mrkdwn(D.stats_line(digest))}*"),
    ]
    note = D.thread_note(digest)
    tail = [_context(slack_mrkdwn(note))] if note else []
    if not digest.entries:
        blocks.append(_section(slack_mrkdwn(D.empty_note(digest))))
        return _payload(slack_mrkdwn(D.fallback(digest)), blocks)
    if digest.weekly:
        return _payload(slack_mrkdwn(D.fallback(digest)), blocks + _week_blocks(digest) + tail)

    lines = [_row_line(row) for row in D.rows(digest)]
    more_reserve = len(L.text(language, "more_commits", count=len(lines))) + 10
    room = TEXT_BUDGET - text_length(blocks + tail) - more_reserve
    shown = []
    for line in lines:
        if room - len(line) - 1 < 0:
            break
        shown.append(line)
        room -= len(line) + 1
    chunks = split("\n".join(shown), SECTION_LIMIT)
    free_blocks = MAX_BLOCKS - len(blocks) - len(tail) - 1
    if len(chunks) > free_blocks:
        chunks = chunks[:free_blocks]
        shown = "\n".join(chunks).split("\n")
    hidden = len(lines) - len(shown)
    blocks.extend(_section(chunk) for chunk in chunks)
    if hidden:
        blocks.append(_section(f"_{slack_mrkdwn(L.counted(language, 'more_commits', hidden, count=hidden))}_"))
    return _payload(slack_mrkdwn(D.fallback(digest)), blocks + tail)


def _code(text: str) -> str:
    # A path in a code span; a backtick in it would end the span early.
    return "`" + shorten(slack_mrkdwn(one_line(text)).replace("`", "'"), DIGEST_TITLE_LIMIT) + "`"


def _week_blocks(digest: Digest) -> list[dict]:
    # Bounded by construction (at most 14 change types, TOP_AREAS areas, TOP_COMMITS rows, each line capped),
    # so the message stays far below Slack's limits without the daily list's trimming.
    language, week = digest.language, W.summary(digest)
    def heading(key: str) -> str:
        return f"*{slack_mrkdwn(L.text(language, key))}*"

    blocks = [_section(f"{heading('by_change_type')}\n{slack_mrkdwn(W.change_type_line(week))}")]
    if week.areas:
        lines = [f"• {W.area_line(area, language, _code(area.name))}" for area in week.areas]
        blocks.append(_section("\n".join([heading("top_areas"), *lines])))
    rows = "\n".join([heading("top_commits"), *map(_row_line, week.top)])
    blocks.extend(_section(piece) for piece in split(rows, SECTION_LIMIT))
    return blocks


def text_message(text: str) -> dict:
    """A short notice: plain text made inert, in section blocks within Slack's limits."""
    if not (text or "").strip():
        raise ValueError("a notice needs some text")
    escaped = shorten(slack_mrkdwn(text), TEXT_BUDGET)
    pieces = split(escaped, SECTION_LIMIT)[:MAX_BLOCKS]
    return _payload(escaped, [_section(piece) for piece in pieces if piece.strip()])
