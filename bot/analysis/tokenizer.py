"""Which counter measures a prompt for which model: its own BPE vocabulary where known, else the estimate.

OpenAI models get exact counts from bpe-openai, whose wheel ships cl100k_base and o200k_base (nothing is
downloaded). Importing it builds every vocabulary it ships (about 0.6 s and 65 MB) and an encoding adds
its own tables, so a vocabulary is loaded at its first count, once per process: `commit-radar --help`
and processes without an OpenAI model never pay for it. Other models (vLLM, Ollama: llama3, qwen2.5, …)
use vocabularies this package does not ship: their prompts are estimated (bot.analysis.tokens) and
budgeted with the estimator's undercount margin.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from bot.analysis.tokens import UNDERCOUNT_MARGIN, chat_tokens, estimate_fixed, estimate_tokens

O200K, CL100K = "o200k_base", "cl100k_base"
# Model families by name prefix, as OpenAI's tiktoken maps them; the o200k families come first
# because gpt-4o and gpt-4.1 also start with gpt-4.
_FAMILIES = (
    (O200K, ("gpt-5", "gpt-4.5", "gpt-4.1", "gpt-4o", "chatgpt-4o", "o1", "o3", "o4", "ft:gpt-4o")),
    (CL100K, ("gpt-4", "gpt-3.5", "gpt-35-turbo", "text-embedding-3", "text-embedding-ada-002", "ft:gpt-4",
              "ft:gpt-3.5-turbo")),
)
# bpe-openai refuses 1,000,000 characters or 200,000 tokens in one call; 40,000 characters are at most
# 160,000 tokens even at four tokens per character.
CHUNK_CHARS = 40_000

_load_lock = threading.Lock()
_encodings: dict[str, Any] = {}


def encoding_for_model(model: str) -> str | None:
    """The BPE encoding an OpenAI model reads (None for a model whose vocabulary is not shipped)."""
    name = model.strip().lower().removeprefix("openai/")
    for encoding, prefixes in _FAMILIES:
        for prefix in prefixes:
            # A prefix names a family (o1, o1-mini, gpt-5.1, gpt-4o-2024-08-06), not any longer word (o100).
            if name.startswith(prefix) and not name[len(prefix):len(prefix) + 1].isalnum():
                return encoding
    return None


def load_encoding(name: str) -> Any:
    """The bpe-openai encoding `name`, built on first use and shared by every thread after that."""
    encoding = _encodings.get(name)
    if encoding is None:
        with _load_lock:  # concurrent first analyses load the vocabulary once, not once each
            encoding = _encodings.get(name)
            if encoding is None:
                import bpe_openai

                encoding = _encodings[name] = bpe_openai.get_encoding(name)
    return encoding


def _seam(text: str, start: int, end: int) -> int:
    """A cut in text[start:end] where both vocabularies end a piece: after a newline, before a non-space."""
    cut = text.rfind("\n", start, end - 1)
    while cut > start:
        if not text[cut + 1].isspace():
            return cut + 1
        cut = text.rfind("\n", start, cut)
    return end  # no newline to cut at: the rare mid-piece cut costs at most a token or two either way


def bpe_counter(name: str) -> Callable[[str], int]:
    """Exact token count of a text in encoding `name` (special-token text counts as ordinary text, as in a request)."""
    def count(text: str) -> int:
        encoding = load_encoding(name)
        total, start = 0, 0
        while len(text) - start > CHUNK_CHARS:
            cut = _seam(text, start, start + CHUNK_CHARS)
            total += len(encoding.encode_ordinary(text[start:cut]))
            start = cut
        return total + len(encoding.encode_ordinary(text[start:]))
    return count


@dataclass(frozen=True)
class TokenCounter:
    """Counts prompt tokens for one model and says what share of a budget a count may use."""

    name: str  # the encoding, or "estimate"
    count: Callable[[str], int]
    count_fixed: Callable[[str], int]  # the same count, cached, for text that recurs (instructions, schema)
    margin: float  # share of the budget held back for undercounts: 0 when the count is exact

    @property
    def exact(self) -> bool:
        """Whether counts are the model's own (no margin needed)."""
        return self.margin == 0

    def messages(self, messages: list[dict[str, str]]) -> int:
        """Prompt tokens of a chat request made of `messages`."""
        return chat_tokens(messages, self.count, self.count_fixed)

    def usable(self, budget: int) -> int:
        """The count a prompt may reach so that its real size stays within `budget`."""
        return math.floor(budget * (1 - self.margin))


ESTIMATE = TokenCounter("estimate", estimate_tokens, estimate_fixed, UNDERCOUNT_MARGIN)


@cache
def _exact(encoding: str) -> TokenCounter:
    count = bpe_counter(encoding)
    return TokenCounter(encoding, count, lru_cache(maxsize=64)(count), 0.0)


def counter_for(model: str) -> TokenCounter:
    """The exact counter for an OpenAI model, else the estimate (no vocabulary is loaded until a first count)."""
    encoding = encoding_for_model(model)
    return ESTIMATE if encoding is None else _exact(encoding)
