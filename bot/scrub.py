"""One scrubber for every text that leaves the process: configured secrets and token-shaped strings hidden.

Upstream servers (a proxy, a self-hosted GitHub, an LLM or Feishu server) sometimes echo the
credential they received in an error body, and such bodies get quoted in log lines, chat replies,
failure notices, `doctor` lines, CLI errors and metric labels. Each of those outputs passes its
text through `scrub_text` on the way out; the composition root and the CLI `install` the
configured secrets once. Without an install only the token patterns apply.

What is hidden: every configured secret (also URL-quoted or JSON-escaped, and the piece of one
that a clip `…` or a slice left visible), and anything shaped like a credential — GitHub, Slack
and OpenAI-style tokens, JWTs, `Authorization:` values, `Bearer`/`Basic` credentials, URL
passwords and `…token=`/`…secret:` values. Ordinary words ("token", "secret") and commit SHAs stay.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TextIO, TypeVar

MASK = "***"
# Shorter configured values would blank out ordinary words wherever they appear.
MIN_SECRET = 4
# A secret cut by a clip or a slice: the visible piece, when at least this long, is hidden too.
MIN_FRAGMENT = 8

_CUT = re.compile(r"\s*(?:…|\.\.\.)\s*")

# Tokens with a published prefix; the prefix stays so a reader still sees what kind of token it was.
_PREFIXED = re.compile(r"(?<![A-Za-z0-9_-])(gh[pousr]_|github_pat_|xox[abeoprs]-|xapp-|sk-)[A-Za-z0-9_-]{16,}")
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
# A header that carries a credential, with or without its scheme: the value goes whatever it looks like.
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|private-token)"
    r"([\"']?\s*[:=]\s*[\"']?)(?:(bearer|token|basic|digest)\s+)?([^\s\"',;)}\]]+)")
_SCHEME = re.compile(r"(?i)\b(bearer|token|basic)(\s+)([A-Za-z0-9._~+/-]+=*)")
# `…token=VALUE`, `"app_secret": "VALUE"`, `password: VALUE` (URL queries, JSON, headers, prose).
_KEY_VALUE = re.compile(
    r"(?i)(token|secret|password|passwd|api[_-]?key|apikey|access[_-]?key)"
    r"([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;(){}<>\[\]]+)")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:]+:)([^\s/@]+)@")


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _credential_like(value: str) -> bool:
    """Long, or mixing digits in: words of prose ("missing", "expired") are neither."""
    return len(value) >= 16 or (len(value) >= 6 and _has_digit(value))


def _basic_credential(value: str) -> bool:
    """Base64 of `user:password`, as a Basic credential is; a word after "basic" almost never decodes to that."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _masked_header(match: re.Match[str]) -> str:
    name, separator, scheme, value = match.groups()
    if value == MASK or (not scheme and len(value) < 8):
        return match.group(0)
    return f"{name}{separator}{scheme + ' ' if scheme else ''}{MASK}"


def _masked_scheme(match: re.Match[str]) -> str:
    scheme, space, value = match.groups()
    word = scheme.lower()
    if word == "basic":
        hidden = len(value) >= 8 and _basic_credential(value)
    elif word == "bearer":
        hidden = len(value) >= 8 and (_has_digit(value) or len(value) >= 20)
    else:  # "token X" outside a header: only an unmistakable credential, never a SHA or a word
        hidden = (len(value) >= 20 and _has_digit(value) and any(char.isalpha() for char in value)
                  and not re.fullmatch(r"[0-9a-fA-F]+", value))
    return f"{scheme}{space}{MASK}" if hidden else match.group(0)


def _masked_key_value(match: re.Match[str]) -> str:
    key, separator, value = match.groups()
    return f"{key}{separator}{MASK}" if value != MASK and _credential_like(value) else match.group(0)


# Each pattern with the words one of which a text must hold for it to match (checked first: a log line
# is scrubbed on every write, and a substring test costs far less than a regex scan). Words of the
# case-insensitive patterns are lower case and looked for in the lower-cased text.
_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str], tuple[str, ...], bool], ...] = (
    (_PREFIXED, rf"\1{MASK}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "xapp-", "sk-"), False),
    (_JWT, MASK, ("eyJ",), False),
    (_URL_PASSWORD, rf"\1{MASK}@", ("://",), False),
    (_AUTH_HEADER, _masked_header, ("authorization", "api-key", "x-auth-token", "private-token"), True),
    (_SCHEME, _masked_scheme, ("bearer", "token", "basic"), True),
    (_KEY_VALUE, _masked_key_value, ("token", "secret", "passw", "key"), True),
)


def _forms(secret: str) -> set[str]:
    """The ways a secret is written in text: as is, URL-quoted, JSON-escaped."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             json.dumps(secret)[1:-1]}
    return {form for form in forms if len(form) >= MIN_SECRET}


class Scrubber:
    """Hides the given secrets and every token-shaped string in a text; immutable, safe to share between threads."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = {secret for secret in secrets if secret and len(secret) >= MIN_SECRET}
        forms = sorted({form for secret in values for form in _forms(secret)}, key=len, reverse=True)
        self.secrets: tuple[str, ...] = tuple(sorted(values))
        # Longest first, so a secret inside another goes with the longer one.
        self._exact = re.compile("|".join(re.escape(form) for form in forms)) if forms else None
        self._cuttable = tuple(secret for secret in values if len(secret) > MIN_FRAGMENT)

    def scrub(self, text: str) -> str:
        """`text` with every secret and token shown as ***."""
        if not text:
            return text
        if self._exact is not None:
            text = self._exact.sub(MASK, text)
        if self._cuttable:
            text = self._hide_cut_pieces(text)
        lower = text.lower()
        for pattern, replacement, words, folded in _PATTERNS:
            if any(word in (lower if folded else text) for word in words):
                text = pattern.sub(replacement, text)
                lower = text.lower()
        return text

    __call__ = scrub

    def _hide_cut_pieces(self, text: str) -> str:
        # A clip (`…`) or a slice may have cut a secret in two: the start left before the cut, or the end
        # after it, is still the secret's. Text boundaries count as cuts, for `text[:200]`.
        marks = list(_CUT.finditer(text)) if "…" in text or "..." in text else []
        ends = [mark.start() for mark in marks] + [len(text)]
        starts = [mark.end() for mark in marks] + [0]
        spans: list[tuple[int, int]] = []
        for secret in self._cuttable:
            for cut in ends:
                spans += _piece_before(text, cut, secret)
            for cut in starts:
                spans += _piece_after(text, cut, secret)
        if not spans:
            return text
        out, position = [], 0
        for start, end in sorted(spans):
            if start < position:
                start = position
            if start >= end:
                continue
            out.append(text[position:start] + MASK)
            position = end
        return "".join(out) + text[position:]


def _piece_before(text: str, cut: int, secret: str) -> list[tuple[int, int]]:
    """The span of a start of `secret` (at least MIN_FRAGMENT long) that ends at `cut`."""
    if cut < MIN_FRAGMENT or text[cut - MIN_FRAGMENT:cut] not in secret:
        return []
    for size in range(min(len(secret) - 1, cut), MIN_FRAGMENT - 1, -1):
        if text.startswith(secret[:size], cut - size):
            return [(cut - size, cut)]
    return []


def _piece_after(text: str, cut: int, secret: str) -> list[tuple[int, int]]:
    """The span of an end of `secret` (at least MIN_FRAGMENT long) that starts at `cut`."""
    if text[cut:cut + MIN_FRAGMENT] not in secret or len(text) - cut < MIN_FRAGMENT:
        return []
    for size in range(min(len(secret) - 1, len(text) - cut), MIN_FRAGMENT - 1, -1):
        if text.startswith(secret[-size:], cut):
            return [(cut, cut + size)]
    return []


_process = Scrubber()


def install(secrets: Iterable[str | None], *, guard_streams: bool = False) -> Scrubber:
    """Make `secrets` the ones every output of this process hides; with `guard_streams`, scrub stdout and stderr too.

    Called once by the composition root and the CLI with `Settings.secret_values()`; a later call
    replaces the set (one process, one configuration).
    """
    global _process
    _process = Scrubber(secrets)
    if guard_streams:
        sys.stdout = ScrubbingStream.around(sys.stdout)
        sys.stderr = ScrubbingStream.around(sys.stderr)
    return _process


def current() -> Scrubber:
    """The process's scrubber (token patterns only until `install`)."""
    return _process


def scrub_text(text: str | None) -> str:
    """`text` as it may leave the process: configured secrets and token-shaped strings shown as ***."""
    return _process.scrub(text) if text else (text or "")


Model = TypeVar("Model")


def scrub_fields(model: Model, *names: str) -> Model:
    """A pydantic model with the named text fields scrubbed; the same object when none changed."""
    changes = {}
    for name in names:
        value = getattr(model, name)
        if isinstance(value, str) and (clean := scrub_text(value)) != value:
            changes[name] = clean
    return model.model_copy(update=changes) if changes else model  # type: ignore[attr-defined]


class ScrubbingStream:
    """A text stream whose writes are scrubbed; everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @classmethod
    def around(cls, stream: TextIO | Any) -> Any:
        """`stream` wrapped once (a second call keeps the existing wrapper); None stays None."""
        if stream is None or isinstance(stream, cls):
            return stream
        return cls(stream)

    def write(self, text: str) -> int:
        """Write the scrubbed text; returns the length asked for, as callers count what they gave."""
        self._stream.write(scrub_text(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each line scrubbed."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
