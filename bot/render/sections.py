"""A card section as lines of a platform's markdown dialect (Slack mrkdwn, Feishu markdown)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import CardSection
from bot.render import labels as L


@dataclass(frozen=True)
class Dialect:
    """How one platform escapes text and marks emphasis, bullets and empty sections."""

    escape: Callable[[str], str]
    bold: str
    bullet: str
    quiet: Callable[[str], str]


def section_lines(section: CardSection, language: str, dialect: Dialect) -> list[str]:
    """The section's items, escaped and styled; its empty note when it has none."""
    if not section.items:
        return [dialect.quiet(dialect.escape(section.empty_note))] if section.empty_note else []
    colon = L.text(language, "colon")
    bold = dialect.bold
    lines = []
    for index, item in enumerate(section.items, start=1):
        value = dialect.escape(item.value)
        label = dialect.escape(" ".join(item.label.split()))
        if section.style == "text":
            lines.append(value)
        elif section.style == "numbered":
            lines.append(f"{index}. {bold}[{label}]{bold} {value}" if label else f"{index}. {value}")
        else:
            labelled = f"{bold}{label}{bold}{colon}{value}" if label else value
            lines.append(f"{dialect.bullet} {labelled}")
    return lines
