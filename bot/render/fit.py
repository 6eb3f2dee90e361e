"""Fitting already-escaped text into platform limits: split at paragraph, line or word boundaries; trim whole items.

All functions work on escaped text and never cut inside an entity such as `&amp;` or `&#60;`.
"""

from __future__ import annotations

import re

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SENTENCE_END = re.compile(r"(?:[。！？；]|[.!?;](?=\s))")
ELLIPSIS = "…"


def _inside_entity(text: str, pos: int) -> bool:
    """True when cutting at `pos` would split an entity."""
    start = text.rfind("&", max(0, pos - 12), pos)
    if start < 0:
        return False
    match = _ENTITY.match(text, start)
    return match is not None and match.end() > pos


def _hard_cut(text: str, limit: int) -> int:
    """The largest cut position <= limit that does not split an entity or a surrogate-free grapheme base."""
    pos = min(limit, len(text))
    while pos > 0 and _inside_entity(text, pos):
        pos -= 1
    # never leave a combining mark or joiner at the start of the next piece
    while 0 < pos < len(text) and (text[pos] in "\u200d\ufe0f" or ord(text[pos]) in range(0x300, 0x370)):
        pos -= 1
    return pos if pos > 0 else min(limit, len(text))


def _word_cut(text: str, limit: int) -> int:
    """The last whitespace position <= limit, or a safe hard cut when the text has no usable space."""
    if len(text) <= limit:
        return len(text)
    space = text.rfind(" ", 0, limit + 1)
    if space > limit // 3:
        return space
    return _hard_cut(text, limit)


def cut(text: str, limit: int) -> str:
    """A prefix of `text` of at most `limit` characters ending, by preference, at a sentence end, else a word end."""
    if len(text) <= limit:
        return text
    best = 0
    for match in _SENTENCE_END.finditer(text, 0, limit):
        best = match.end()
    if best > limit // 2:
        return text[:best].rstrip()
    return text[: _word_cut(text, limit)].rstrip()


def shorten(text: str, limit: int) -> str:
    """`text` if it fits, else `cut` to leave room for a trailing ellipsis, which is added."""
    if len(text) <= limit:
        return text
    return cut(text, max(1, limit - len(ELLIPSIS))) + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters at paragraph, then line, then word boundaries."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _split_line(line, limit):
            candidate = f"{current}\n{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                pieces.append(current.rstrip("\n"))
            current = part
    if current.strip():
        pieces.append(current.rstrip("\n"))
    return pieces or [text[:limit]]


def _split_line(line: str, limit: int) -> list[str]:
    parts = []
    while len(line) > limit:
        pos = _word_cut(line, limit)
        parts.append(line[:pos].rstrip())
        line = line[pos:].lstrip(" ")
    parts.append(line)
    return parts


def shrink(groups: list[list[str]], excess: int) -> tuple[list[list[str]], int]:
    """Remove at least `excess` characters from the longest groups: drop trailing items, or cut a long last one.

    Returns the new groups and how many items were dropped or cut. The first item of a group is
    only cut, never dropped, so every section keeps some content.
    """
    groups = [list(g) for g in groups]
    touched = 0
    while excess > 0:
        sizes = [sum(len(item) + 1 for item in g) for g in groups]
        if not sizes or max(sizes) <= 1:
            break
        index = sizes.index(max(sizes))
        group = groups[index]
        last = group[-1]
        if len(group) > 1 and len(last) < 2 * excess + 80:
            group.pop()
            excess -= len(last) + 1
        else:
            target = max(40, len(last) - excess - len(ELLIPSIS), len(last) // 3)
            if target >= len(last):
                break
            shortened = cut(last, target) + ELLIPSIS
            excess -= len(last) - len(shortened)
            group[-1] = shortened
            if len(shortened) >= len(last):
                break
        touched += 1
    return groups, touched
