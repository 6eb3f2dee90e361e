"""The one escaping module: untrusted text (commit messages, PR text, LLM output) made inert per platform.

Every function takes plain text and returns text that displays the same characters but can
neither mention anyone, nor form a link, tag or markup structure of its own.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

# Invisible, zero-width, not a space: placed after `<` or `@` it breaks a platform's token
# (`<!channel>`, `<at …>`, `@here`) without visibly changing the text.
WORD_JOINER = "\u2060"

# Dropped from all text: C0/C1 controls except newline (category Cc), lone surrogates (Cs; they
# cannot be encoded as UTF-8), and bidi embeddings, overrides and isolates, which can make text
# display in a different order than it reads ("Trojan Source").
_DROPPED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(text: str) -> str:
    """Normalise newlines to `\\n`, tabs to a space; drop control, bidi-override and lone-surrogate characters."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", " ")
    return _DROPPED.sub("", text)


def one_line(text: str) -> str:
    """`clean` text with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(clean(text).split())


def console_text(text: str) -> str:
    """Text safe for a terminal: no escape sequences or other control characters."""
    return clean(text)


# --- URLs ---------------------------------------------------------------------------------

# Characters that may stay literal in a URL we emit; everything else is percent-encoded, so
# no URL can close a Slack `<…|…>`, a Markdown `(…)` or a quoted attribute.
_URL_SAFE = "-._~:/?#[]@!$&*+,;=%"


def safe_url(url: str | None) -> str | None:
    """The URL percent-encoded for embedding, or None unless it is an absolute http(s) URL."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


# --- Slack mrkdwn ---------------------------------------------------------------------------

_SLACK_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def slack_mrkdwn(text: str) -> str:
    """Escape for a Slack mrkdwn text object (and the top-level `text`): `&`, `<`, `>` become entities.

    With `<` escaped no `<!channel>`, `<@U…>`, `<#C…>`, `<!subteam^…>` or `<url|label>` can form.
    A bare `@here` is only parsed when automatic parsing is on; a word joiner keeps it inert anyway.
    """
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SLACK_BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def slack_plain(text: str) -> str:
    """Text for a Slack `plain_text` object: shown verbatim, with any `<` or broadcast `@` made inert."""
    text = clean(text).replace("<", "<" + WORD_JOINER)
    return _SLACK_BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def slack_link(url: str, label: str) -> str:
    """A Slack `<url|label>` link we build ourselves; the label is escaped, an unsafe URL yields the label only."""
    shown = slack_mrkdwn(one_line(label)).replace("|", "\u00a6")
    target = safe_url(url)
    if target is None:
        return shown
    return f"<{target}|{shown}>"


# --- Feishu card 2.0 markdown ---------------------------------------------------------------

# Feishu's rich-text component is CommonMark (minus HTML blocks) plus its own tags (`<at>`,
# `<font>`, `<link>`, …) and `:EMOJI:` codes. Its documented escape is an HTML numeric entity.
_FEISHU_ALWAYS = {
    "&": "&#38;",
    "<": "&#60;",
    ">": "&#62;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "\\": "&#92;",
    "|": "&#124;",
    "$": "&#36;",
}
_FEISHU_LINE_START = {"#": "&#35;", "-": "&#45;", "+": "&#43;", "=": "&#61;"}
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])")


_FEISHU_SPECIAL = re.compile(r"[&<>*_~`\[\]\\|$]|:(?=[A-Za-z_])")  # `:OK:` would become a Feishu emoji


def _feishu_line(line: str) -> str:
    line = line.lstrip(" ")  # four leading spaces would open a code block
    head = ""
    if line[:1] in _FEISHU_LINE_START:
        head, line = _FEISHU_LINE_START[line[0]], line[1:]
    escaped = head + _FEISHU_SPECIAL.sub(lambda m: _FEISHU_ALWAYS.get(m.group(), "&#58;"), line)
    marker = _ORDERED_MARKER.match(escaped)
    if marker:
        escaped = marker.group(1) + ("&#46;" if marker.group(2) == "." else "&#41;") + escaped[marker.end():]
    return escaped


def feishu_markdown(text: str) -> str:
    """Escape for a Feishu card 2.0 `markdown` element: every tag, emphasis, link, list or heading stays text.

    Newlines become `<br>` so multi-line text never leaves the list item or paragraph it sits in.
    """
    return "<br>".join(_feishu_line(line) for line in clean(text).split("\n"))


def feishu_plain(text: str) -> str:
    """Text for a Feishu `plain_text` object (header, button): one line, `<` made inert."""
    return one_line(text).replace("<", "<" + WORD_JOINER)


def feishu_link(url: str, label: str) -> str:
    """A Feishu markdown `[label](url)` we build ourselves; an unsafe URL yields the escaped label only."""
    shown = feishu_markdown(one_line(label))
    target = safe_url(url)
    if target is None:
        return shown
    return f"[{shown}]({target.replace('(', '%28').replace(')', '%29')})"


# --- Markdown (CommonMark / GFM) for reports ----------------------------------------------

_MD_LINE_START = frozenset("#-+=")
# Always escaped: backslash, code, emphasis, links, HTML/autolinks, table pipes, strikethrough and
# math; `&` only where it would start an entity; `#` after a space (an ATX closing sequence).
_MD_SPECIAL = re.compile(
    r"[\\`*_\[\]<>|~$]"
    r"|&(?=(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?<= )#"
)


def _markdown_line(line: str) -> str:
    line = line.lstrip(" ")  # four leading spaces would open an indented code block
    head = ""
    if line[:1] in _MD_LINE_START:
        head, line = "\\" + line[0], line[1:]
    escaped = head + _MD_SPECIAL.sub(lambda m: "\\" + m.group(), line)
    marker = _ORDERED_MARKER.match(escaped)
    if marker:
        escaped = marker.group(1) + "\\" + marker.group(2) + escaped[marker.end():]
    return escaped


def markdown_text(text: str) -> str:
    """Escape multi-line text for a Markdown paragraph: no HTML, links, emphasis, lists, headings or tables.

    Line breaks are kept as hard breaks (two trailing spaces); blank lines separate paragraphs.
    """
    lines = [_markdown_line(line) for line in clean(text).strip("\n").split("\n")]
    out = []
    for i, line in enumerate(lines):
        follows_text = i + 1 < len(lines) and lines[i + 1] and line
        out.append(line + ("  " if follows_text else ""))
    return "\n".join(out)


def markdown_inline(text: str) -> str:
    """Escape text for one line of Markdown (a list item, a label): newlines become spaces."""
    return _markdown_line(one_line(text))


def markdown_table_cell(text: str) -> str:
    """Escape text for a GFM table cell: one line, pipes escaped, never empty."""
    return markdown_inline(text) or " "


def markdown_link(url: str, label: str) -> str:
    """A Markdown `[label](url)` we build ourselves; an unsafe URL yields the escaped label only."""
    shown = markdown_inline(label)
    target = safe_url(url)
    if target is None:
        return shown
    return f"[{shown}]({target.replace('(', '%28').replace(')', '%29')})"
