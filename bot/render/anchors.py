"""GitHub-style heading anchors, computed the way `github-slugger` (used by GitHub and most GFM tools) does.

A slug is the heading's text, lower-cased, with characters of the categories below removed and
each space turned into `-`; a repeated slug gets `-1`, `-2`, … in document order.
"""

from __future__ import annotations

import unicodedata

# General categories github-slugger strips: other numbers, all punctuation except connector
# punctuation (`_`) and the ASCII hyphen, all symbols, controls, format, private use,
# unassigned, and all separators except the ASCII space.
_STRIPPED = frozenset(
    {"No", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"}
)

# Symbols that are nevertheless Alphabetic (circled and squared Latin letters) and so are kept.
_ALPHABETIC_SYMBOLS = (
    range(0x24B6, 0x24EA),
    range(0x1F130, 0x1F14A),
    range(0x1F150, 0x1F16A),
    range(0x1F170, 0x1F18A),
)


def _kept(ch: str) -> bool:
    if ch in (" ", "-"):
        return True
    if unicodedata.category(ch) not in _STRIPPED:
        return True
    return any(ord(ch) in block for block in _ALPHABETIC_SYMBOLS)


def slug(text: str) -> str:
    """The anchor GitHub derives from a heading whose text content is `text` (before de-duplication)."""
    return "".join(ch for ch in text.lower() if _kept(ch)).replace(" ", "-")


class Slugger:
    """Hands out unique slugs in document order, exactly like github-slugger's `BananaSlug`."""

    def __init__(self) -> None:
        self._occurrences: dict[str, int] = {}

    def slug(self, text: str) -> str:
        """The unique anchor for the next heading with text content `text`."""
        original = result = slug(text)
        while result in self._occurrences:
            self._occurrences[original] += 1
            result = f"{original}-{self._occurrences[original]}"
        self._occurrences[result] = 0
        return result
