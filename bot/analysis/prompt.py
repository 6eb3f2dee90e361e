"""The chat messages for one commit, verified to fit the input token budget."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.analysis.context import ContextStats, build_context
from bot.analysis.prompts import PromptTemplates, response_format_schema_json
from bot.analysis.tokenizer import ESTIMATE, TokenCounter
from bot.domain import Commit

MIN_DATA_TOKENS = 150
FIT_ROUNDS = 6


class BudgetError(Exception):
    """The fixed parts of the prompt alone exceed the input token budget."""


@dataclass(frozen=True)
class Prompt:
    """Messages ready to send, their size in tokens (by the model's counter), and what the commit data left out."""

    messages: list[dict[str, str]]
    tokens: int
    stats: ContextStats
    boundary: str


def boundary_for(data: str) -> str:
    """A delimiter derived from the data's own hash, so the data cannot contain its closing line."""
    return "COMMIT-DATA-" + hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def _messages(templates: PromptTemplates, language: str, schema_in_prompt: bool, data: str) -> tuple[list, str]:
    boundary = boundary_for(data)
    user = templates.user.substitute(boundary=boundary, commit_data=data.rstrip("\n"))
    system = templates.system_text(language, schema_in_prompt)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], boundary


def build_prompt(commit: Commit, language: str, templates: PromptTemplates, budget: int, schema_in_prompt: bool,
                 shrink: float = 1.0, reserve: int = 0, counter: TokenCounter = ESTIMATE) -> Prompt:
    """Messages for `commit` whose count, schema and `reserve` included, stays within the usable budget."""
    usable = counter.usable(budget) - reserve
    # With response_format=json_schema the server shows the schema to the model too: count it always.
    schema_cost = 0 if schema_in_prompt else counter.count_fixed(response_format_schema_json())
    fixed = counter.messages(_messages(templates, language, schema_in_prompt, "")[0]) + schema_cost
    data_budget = int((usable - fixed) * shrink)
    for _ in range(FIT_ROUNDS):
        if data_budget < MIN_DATA_TOKENS:
            break
        context = build_context(commit, data_budget, counter.count)
        messages, boundary = _messages(templates, language, schema_in_prompt, context.text)
        total = counter.messages(messages) + schema_cost
        if total <= usable:
            return Prompt(messages=messages, tokens=total, stats=context.stats, boundary=boundary)
        data_budget -= total - usable + 16
    raise BudgetError(f"LLM_INPUT_TOKEN_BUDGET={budget} leaves no room for commit data after the "
                      f"{fixed}-token instructions")


def repair_turns(templates: PromptTemplates, bad_reply: str, error: str) -> list[dict[str, str]]:
    """The unusable reply and a request to fix it, appended to the prompt for the one repair attempt."""
    return [{"role": "assistant", "content": _clip(bad_reply, 1200)},
            {"role": "user", "content": templates.repair.substitute(error=_clip(error, 400))}]


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + " [...]"
