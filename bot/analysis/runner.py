"""Drives LLM requests for one commit within one bounded policy until an analysis is valid.

Mode fallback (json_schema → json_object → text, remembered for later commits), one repair
turn for invalid output, a larger output allowance then a smaller input for truncation, one
retry with less data after a refusal, and backoff (Retry-After honoured) for transient errors.
Everything counts against the policy's attempts; when they run out, GaveUp says why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.analysis.llm import (
    Completion,
    FormatRejected,
    InvalidOutput,
    LLMError,
    Mode,
    Refused,
    Transient,
    Truncated,
    Usage,
    UsageTally,
)
from bot.analysis.prompt import BudgetError, Prompt, build_prompt, repair_turns
from bot.analysis.prompts import PromptTemplates
from bot.analysis.retry import LLMRetry, Sleeper
from bot.analysis.tokenizer import counter_for
from bot.domain import AnalysisContent, Commit

OUTPUT_GROWTH_LIMIT = 4  # truncation may raise the output allowance up to this multiple
MODES = (Mode.JSON_SCHEMA, Mode.JSON_OBJECT, Mode.TEXT)
log = logging.getLogger(__name__)


class ChatModel(Protocol):
    """What the runner needs of an LLM adapter (OpenAIChat satisfies it)."""

    model: str

    def complete(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> Completion:
        """One request; raises an LLMError subclass when it yields no valid analysis."""


@dataclass(frozen=True)
class RunResult:
    """A valid analysis and what obtaining it cost."""

    content: AnalysisContent
    usage: Usage
    attempts: int
    mode: Mode


class GaveUp(Exception):
    """The policy's budget ran out (or retrying cannot help); `reason` is one line."""

    def __init__(self, reason: str, attempts: int, usage: Usage) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.usage = usage


@dataclass
class _Run(UsageTally):
    mode: Mode
    output_tokens: int
    shrink: float = 1.0
    repair: list | None = None
    repaired: bool = False
    refusals: int = 0
    waited: float = 0.0
    transient: int = 0


class LLMRunner:
    """Turns a commit into a validated AnalysisContent, or raises GaveUp."""

    def __init__(self, chat: ChatModel, templates: PromptTemplates, input_budget: int, output_tokens: int,
                 policy: LLMRetry, sleeper: Sleeper, on_request: Callable[[], None] = lambda: None) -> None:
        self._chat = chat
        self._counter = counter_for(chat.model)  # exact for OpenAI models; the vocabulary loads at the first prompt
        self._templates = templates
        self._budget = input_budget
        self._output_tokens = output_tokens
        self._policy = policy
        self._sleep = sleeper
        self._on_request = on_request
        self._mode = Mode.JSON_SCHEMA
        self._mode_lock = threading.Lock()

    @property
    def mode(self) -> Mode:
        """The best output mode the server has not rejected."""
        return self._mode

    def _downgrade(self, rejected: Mode) -> Mode | None:
        with self._mode_lock:
            if self._mode is rejected and rejected is not Mode.TEXT:
                self._mode = MODES[MODES.index(rejected) + 1]
            return None if self._mode is rejected else self._mode

    def _prompt(self, commit: Commit, language: str, run: _Run) -> Prompt:
        schema_in_prompt = run.mode is not Mode.JSON_SCHEMA
        reserve = self._counter.messages(run.repair) - self._counter.messages([]) if run.repair else 0
        return build_prompt(commit, language, self._templates, self._budget, schema_in_prompt, run.shrink, reserve,
                            self._counter)

    def run(self, commit: Commit, language: str) -> RunResult:
        """Request until valid or the policy is spent."""
        run = _Run(mode=self._mode, output_tokens=self._output_tokens)
        last = "no attempt made"
        for attempt in range(1, self._policy.max_attempts + 1):
            try:
                prompt = self._prompt(commit, language, run)
            except BudgetError as exc:
                raise GaveUp(str(exc), attempt - 1, run.usage) from None
            messages = prompt.messages + (run.repair or [])
            self._on_request()
            try:
                reply = self._chat.complete(messages, run.mode, run.output_tokens)
            except LLMError as exc:
                run.add(exc.usage)
                last = f"{type(exc).__name__.lower()}: {exc}"
                if not self._recover(exc, run, last, attempt):
                    raise GaveUp(last, attempt, run.usage) from None
                continue
            except Exception as exc:  # a reply the adapter did not foresee must not take the caller down
                log.exception("unexpected error from the LLM adapter")
                raise GaveUp(f"unexpected {type(exc).__name__}", attempt, run.usage) from None
            run.add(reply.usage)
            return RunResult(reply.content, run.usage, attempt, run.mode)
        raise GaveUp(f"gave up after {self._policy.max_attempts} attempts; last: {last}",
                     self._policy.max_attempts, run.usage)

    def _recover(self, exc: LLMError, run: _Run, last: str, attempt: int) -> bool:
        """Adjust the run for the next attempt; False when retrying cannot help."""
        if attempt >= self._policy.max_attempts:
            return False
        if isinstance(exc, FormatRejected):
            mode = self._downgrade(run.mode)
            if mode is None:
                return False
            run.mode, run.repair = mode, None
        elif isinstance(exc, InvalidOutput):
            if run.repaired:
                return False
            run.repaired = True
            run.repair = repair_turns(self._templates, exc.raw, str(exc))
        elif isinstance(exc, Truncated):
            run.repair = None
            if run.output_tokens < self._output_tokens * OUTPUT_GROWTH_LIMIT:
                run.output_tokens = min(run.output_tokens * 2, self._output_tokens * OUTPUT_GROWTH_LIMIT)
            else:
                run.shrink *= 0.5
        elif isinstance(exc, Refused):
            run.refusals += 1
            if run.refusals > 1:
                return False
            run.shrink *= 0.5  # whatever triggered it may sit in the part of the diff that gets cut
            run.repair = None
        elif isinstance(exc, Transient):
            wait = self._policy.delay(run.transient, exc.retry_after, run.waited)
            if wait is None:
                return False
            run.transient += 1
            run.waited += wait
            self._sleep(wait)
        else:
            return False
        return True
