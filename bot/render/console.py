"""Plain-text renderings for the terminal (the console platform): no markup, no control characters."""

from __future__ import annotations

from bot.domain import Card, Digest
from bot.render import digest as D
from bot.render import labels as L
from bot.render import week as W
from bot.render.escape import console_text, one_line

RULE = "─" * 60


def _indent(text: str, prefix: str) -> str:
    lines = console_text(text).split("\n")
    pad = " " * len(prefix)
    return "\n".join((prefix if i == 0 else pad) + line for i, line in enumerate(lines))


def card_text(card: Card) -> str:
    """The card as readable plain text: title, facts, the five sections, links, provenance."""
    colon = L.text(card.language, "colon")
    out = [f"{card.badge} · {one_line(card.title)}", one_line(card.subtitle), RULE]
    out += [f"{one_line(f.label)}{colon}{one_line(f.value)}" for f in card.fields]
    for section in card.sections:
        out += ["", one_line(section.title)]
        if not section.items:
            out.append(f"  {one_line(section.empty_note)}")
            continue
        for index, item in enumerate(section.items, start=1):
            label = one_line(item.label)
            if section.style == "text":
                out.append(_indent(item.value, "  "))
            elif section.style == "numbered":
                out.append(_indent(item.value, f"  {index}. [{label}] " if label else f"  {index}. "))
            else:
                out.append(_indent(item.value, f"  • {label}{colon}" if label else "  • "))
    if card.notice:
        out += ["", f"{L.text(card.language, 'notice')}{colon}{one_line(card.notice)}"]
    out.append("")
    out += [f"🔗 {one_line(link.label)}: {one_line(link.url)}" for link in card.links]
    if card.footer:
        out.append(one_line(card.footer))
    return "\n".join(out) + "\n"


def digest_text(digest: Digest) -> str:
    """The digest's parent message as plain text: title, context, counts and one line per commit (a week's:
    counts by change type, most changed areas and top commits)."""
    out = [one_line(D.title(digest)), one_line(D.context(digest)), one_line(D.stats_line(digest)), RULE]
    if not digest.entries:
        out.append(D.empty_note(digest))
    if digest.weekly and digest.entries:
        return "\n".join(out + _week_lines(digest)) + "\n"
    out += [_row_text(row) for row in D.rows(digest)]
    return "\n".join(out) + "\n"


def _row_text(row: D.DigestRow) -> str:
    return f"{row.importance.emoji} {row.clock} {row.short_sha} {one_line(row.title)} — {one_line(row.author)}"


def _week_lines(digest: Digest) -> list[str]:
    language, week = digest.language, W.summary(digest)
    out = [L.text(language, "by_change_type"), f"  {one_line(W.change_type_line(week))}"]
    if week.areas:
        out.append(L.text(language, "top_areas"))
        out += [f"  • {W.area_line(area, language, one_line(area.name))}" for area in week.areas]
    out.append(L.text(language, "top_commits"))
    return out + [f"  {_row_text(row)}" for row in week.top]
