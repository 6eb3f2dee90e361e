"""What is shown: a platform-neutral card and the daily digest."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.domain.model import Analysis, Commit, Importance, RepoRef, _Frozen
from bot.domain.values import Language


class CardField(_Frozen):
    """A label and its value, both plain (untrusted) text; renderers escape them. The label may be empty."""

    label: str = ""
    value: str


class CardSection(_Frozen):
    """One titled section of a card; sections come in one fixed order (a heuristic card has only those it fills)."""

    key: str
    title: str
    items: tuple[CardField, ...] = ()
    style: Literal["text", "bullets", "numbered"] = "bullets"
    empty_note: str = ""


class CardLink(_Frozen):
    """A button or link on a card (http/https URLs only; renderers drop anything else)."""

    label: str
    url: str


class Card(_Frozen):
    """What one commit looks like in chat, before any platform renders it; all text is plain and untrusted."""

    language: Language
    title: str
    importance: Importance
    badge: str
    repo: str
    sha: str
    subtitle: str = ""
    fields: tuple[CardField, ...] = ()
    sections: tuple[CardSection, ...] = ()
    links: tuple[CardLink, ...] = ()
    notice: str = ""
    footer: str = ""
    fallback_text: str = ""
    full_url: str = ""

    @property
    def short_sha(self) -> str:
        """First seven hex digits."""
        return self.sha[:7]


class DigestEntry(_Frozen):
    """One commit of a digest with its analysis."""

    commit: Commit
    analysis: Analysis


class Digest(_Frozen):
    """One repository's commits over one local calendar day, or one ISO week."""

    repo: RepoRef
    branch: str
    day: date
    timezone: str
    language: Language
    entries: tuple[DigestEntry, ...] = ()
    # Commits of the period whose message carried the skip marker: counted here, shown nowhere else.
    skipped: int = 0
    # True: `day` is the Monday of an ISO week and the digest covers that week, Monday to Sunday.
    weekly: bool = False

    def counts(self) -> dict[Importance, int]:
        """Number of entries per importance."""
        result = {level: 0 for level in Importance}
        for entry in self.entries:
            result[entry.analysis.importance] += 1
        return result
