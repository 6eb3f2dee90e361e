"""Offline prompt-token estimator: the stand-in for a BPE tokenizer whose vocabulary is not shipped.

OpenAI models are counted exactly (bot.analysis.tokenizer); this estimate serves every other model
(vLLM, Ollama, …). It mimics the pre-tokenisation of the cl100k/o200k family (a word with one
leading space or punctuation mark, digits in groups of three, punctuation runs, whitespace runs)
and prices each piece:

- ASCII words: one token per camelCase segment of up to 7 letters, ~5 letters per token
  beyond; segments whose letter pairs are not English-like (random text, base64) at 1.5
  letters per token;
- digits: one token per group of three; punctuation: 1.5 characters per token;
- base64-like runs (24+ characters mixing cases and digits): 1.5 characters per token;
- non-ASCII: one token for characters that are single tokens in both cl100k and o200k
  (`single_token_chars.txt`, generated from those vocabularies), otherwise one token per
  UTF-8 byte, which is the byte-level BPE worst case.

Measured against the real cl100k and o200k vocabularies (tests/test_analysis_tokens.py), the
estimate overshoots ordinary code, diffs, prose and Chinese by about 10-35% and undercounts
adversarial text (base64, random letters) by at most ~7%. UNDERCOUNT_MARGIN states the bound
callers must reserve: a prompt estimated at ≤ budget × (1 - UNDERCOUNT_MARGIN) is within budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

UNDERCOUNT_MARGIN = 0.10
# Chat framing as OpenAI counts it: <|start|>{role}<|message|>{content}<|end|> per message (the role is
# counted as text), and <|start|>assistant<|message|> priming the reply.
MESSAGE_FRAMING = 3
REPLY_OVERHEAD = 3

_PIECE = re.compile(
    r"'(?:[sdmt]|ll|ve|re)(?![^\W\d_])"
    r"|[^\r\n\w]?[^\W\d_]+"  # a word and one leading non-word character (space, dot, bracket)
    r"|_+[^\W\d_]*"  # underscores glue to the word that follows
    r"|[0-9]{1,3}"
    r"| ?[^\s\w]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
    r"|.",  # anything else (non-ASCII digits, marks) is priced character by character
    re.IGNORECASE | re.DOTALL,
)
_CONTRACTIONS = frozenset(("s", "d", "m", "t", "ll", "ve", "re"))
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_ASCII_RUN = re.compile(r"[A-Za-z]+|[^A-Za-z]")
# The letter pairs covering 93% of pairs in English prose and Python code.
_BIGRAMS = frozenset(
    "ab ac ad ag ai al am an ap ar as at au ba be bl bo bu by ca ce ch ci ck cl co cr ct cu da dd de di "
    "do ds ea ec ed ee ef el em en ep eq er es et ev ex fa fi fo fr fu ge gi gp gr gu ha he hi ho ht hu "
    "ia ib ic id ie if ig il im in io ir is it je ke la ld le lf li ll lo ls lt lu ly ma me mi mm mo mp "
    "na nc nd ne nf ng ni nn no np ns nt ob oc od of og ol om on oo op or os ot ou ov ow pa pe pi pl po "
    "pp pr ps pt pu py qu ra rc re rg ri rl rm rn ro rr rs rt ru ry sa sc se sh si so sp ss st su sy ta "
    "tc te th ti to tp tr ts tt tu ty ub ue ui ul um un up ur us ut va ve vi wa we wh wi xt yd yn yp yt".split()
)
_SHORT_WORD = 7
_LETTERS_PER_TOKEN = 5
_ODD_LETTERS_PER_TOKEN = 1.5
_CAPS_PER_TOKEN = 3
_PUNCT_PER_TOKEN = 1.5
_PLAUSIBLE = 0.6
# base64 and similar encodings: long runs mixing upper case, lower case and digits.
_BLOB = re.compile(r"[A-Za-z0-9+/=]{24,}")
_BLOB_CHARS_PER_TOKEN = 1.5
_LOWER_START = re.compile(r"[a-z]{2}")  # "#b" and "{a" are two tokens, ".append" and "(self" one
_SAME_CHARS = re.compile(r"(.)\1*", re.DOTALL)
_WHITESPACE_RUN = {" ": 64, "\t": 16, "\n": 16, "\r": 16}  # characters one token holds, with room to spare


@lru_cache(maxsize=1)
def _single_token_chars() -> frozenset[str]:
    text = resources.files("bot.analysis").joinpath("single_token_chars.txt").read_text(encoding="utf-8")
    return frozenset(text)


def _plausible(segment: str) -> bool:
    low = segment.lower()
    pairs = [low[i:i + 2] for i in range(len(low) - 1)]
    return sum(pair in _BIGRAMS for pair in pairs) >= _PLAUSIBLE * len(pairs)


def _ascii_letters(run: str) -> int:
    count = 0
    for segment in _SEGMENT.findall(run):
        size = len(segment)
        if size == 1 or (size == 2 and segment.lower() in _BIGRAMS):
            count += 1
        elif size == 2:
            count += 2  # "Qz", "AA": no pair token to rely on
        elif not _plausible(segment):
            count += math.ceil(size / _ODD_LETTERS_PER_TOKEN)
        elif segment.isupper():
            count += math.ceil(size / _CAPS_PER_TOKEN)
        elif size <= _SHORT_WORD:
            count += 1
        else:
            count += math.ceil(size / _LETTERS_PER_TOKEN)
    return count


def _non_ascii(char: str) -> int:
    return 1 if char in _single_token_chars() else len(char.encode("utf-8"))


def _word(piece: str) -> float:
    count = 0.0
    body = piece
    lead = piece[0]
    if lead == "_":
        body = piece.lstrip("_")
        underscores = len(piece) - len(body)
        count += underscores - 1 if body else math.ceil(underscores / _PUNCT_PER_TOKEN)
    elif not lead.isalpha():
        body = piece[1:]
        if not lead.isascii():
            count += _non_ascii(lead)
        elif lead != " " and not (_LOWER_START.match(body) and lead.isprintable()):
            count += 1  # a mark merges with a lowercase word, not with "Qz", "AA", "é" or one letter
    for run in _ASCII_RUN.findall(body):
        count += _ascii_letters(run) if run.isascii() else _non_ascii(run)
    return max(count, 1)


def _punctuation(piece: str) -> float:
    core = piece.strip(" \r\n")
    marks = sum(1 for char in core if char.isascii() and char.isprintable())
    controls = sum(1 for char in core if char.isascii() and not char.isprintable())  # never merged: one each
    return math.ceil(marks / _PUNCT_PER_TOKEN) + controls + sum(_non_ascii(c) for c in core if not c.isascii())


def _whitespace(piece: str) -> int:
    # Priced per run of one character: both vocabularies hold up to 128 spaces but only 16 tabs or newlines
    # in one token, and \x1c-\x1f are whitespace to Python but not to the tokenizers.
    runs = (run.group() for run in _SAME_CHARS.finditer(piece))
    return sum(math.ceil(len(run) / _WHITESPACE_RUN.get(run[0], 1)) for run in runs)


def _is_encoded_blob(run: str) -> bool:
    letters = sum(char.isalpha() for char in run)
    upper = sum(char.isupper() for char in run)
    return letters > 0 and upper >= 0.25 * letters and upper < letters and letters < len(run)


def estimate_tokens(text: str) -> int:
    """Estimated BPE tokens in `text` (see the module docstring for the error bounds)."""
    count, start = 0, 0
    for blob in _BLOB.finditer(text):
        if _is_encoded_blob(blob.group()):
            count += _pieces(text[start:blob.start()]) + math.ceil(len(blob.group()) / _BLOB_CHARS_PER_TOKEN)
            start = blob.end()
    return count + _pieces(text[start:])


def _pieces(text: str) -> int:
    count = 0.0
    for match in _PIECE.finditer(text):
        piece = match.group()
        last = piece[-1]
        if piece[0] == "'" and piece[1:] in _CONTRACTIONS:  # o200k splits "'RE" though cl100k does not
            count += 1
        elif last.isalpha() or last == "_":
            count += _word(piece)
        elif last in "0123456789":
            count += 1
        elif piece.isspace():
            count += _whitespace(piece)
        else:
            count += _punctuation(piece)
    return math.ceil(count)


@lru_cache(maxsize=64)
def estimate_fixed(text: str) -> int:
    """`estimate_tokens` for text that recurs unchanged (instructions, schema): counted once per process."""
    return estimate_tokens(text)


def chat_tokens(messages: list[dict[str, str]], count: Callable[[str], int],
                count_fixed: Callable[[str], int]) -> int:
    """Prompt tokens of a chat request made of `messages`, each text measured by `count`."""
    # The system message is the same instructions for every commit; only the data varies.
    return REPLY_OVERHEAD + sum(MESSAGE_FRAMING + count_fixed(m["role"]) + (
        count_fixed if m["role"] == "system" else count)(m["content"]) for m in messages)


def estimate_messages(messages: list[dict[str, str]]) -> int:
    """Estimated prompt tokens of a chat request made of `messages`."""
    return chat_tokens(messages, estimate_tokens, estimate_fixed)


def usable_budget(budget: int) -> int:
    """The estimate a prompt may reach so that its real size stays within `budget`."""
    return math.floor(budget * (1 - UNDERCOUNT_MARGIN))
