"""Questions about one commit: the prompt (within the input token budget), the LLM call under the retry policy.

The prompt carries the commit (message, pull request, file list, diff by priority: build_context), the
stored analysis and the thread's last turns; the reply is a small JSON object naming the answer, the
files it relied on and whether the commit answers the question at all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Protocol, runtime_checkable

import pydantic
from pydantic import BaseModel, Field

from bot.analysis.context import build_context
from bot.analysis.llm import (
    FormatRejected,
    InvalidOutput,
    LLMError,
    Mode,
    TextCompletion,
    Transient,
    Truncated,
    Usage,
    UsageTally,
    extract_json,
)
from bot.analysis.prompt import FIT_ROUNDS, MIN_DATA_TOKENS, BudgetError, Prompt
from bot.analysis.prompts import PromptError, prompts_root
from bot.analysis.retry import LLMRetry, Sleeper
from bot.analysis.runner import GaveUp
from bot.analysis.tokenizer import TokenCounter, counter_for
from bot.domain import Commit

SYSTEM_FILE, USER_FILE = "ask.system.md", "ask.user.md"
USER_PLACEHOLDERS = {"boundary", "commit_data", "analysis", "history", "question"}
OUTPUT_GROWTH_LIMIT = 4
# Earlier turns are context, not the subject: each is clipped so a long thread cannot crowd out the diff.
TURN_QUESTION_CHARS, TURN_ANSWER_CHARS = 600, 1500
log = logging.getLogger(__name__)


@runtime_checkable
class AnswerModel(Protocol):
    """What answering needs of an LLM adapter (OpenAIChat satisfies it)."""

    model: str

    def answer(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> TextCompletion:
        """One request; its text, or an LLMError subclass."""


@dataclass(frozen=True)
class AskTemplates:
    """The system message and the user template of the question prompt."""

    system: str
    user: Template


def load_ask_templates(version: str = "v1", root: Path | None = None) -> AskTemplates:
    """`ask.system.md` and `ask.user.md` of `version`: from PROMPTS_DIR when it has them, else the shipped set."""
    # A custom prompt set made before questions existed has no ask templates: the shipped ones serve it.
    custom = Path(root) / version if root is not None else None
    folder = custom if custom is not None and (custom / USER_FILE).is_file() else prompts_root() / version
    try:
        system = (folder / SYSTEM_FILE).read_text(encoding="utf-8")
        user = Template((folder / USER_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise PromptError(f"question prompt templates in {folder} unreadable: {reason}") from None
    found = set(user.get_identifiers())
    if not user.is_valid() or found != USER_PLACEHOLDERS:
        raise PromptError(f"prompt template {folder / USER_FILE} must use exactly "
                          f"{', '.join('$' + name for name in sorted(USER_PLACEHOLDERS))} and no other $ "
                          f"(write $$ for a dollar sign); found {', '.join(sorted(found)) or 'none'}")
    return AskTemplates(system, user)


@dataclass(frozen=True)
class PastTurn:
    """An earlier question of the thread and the answer it got."""

    question: str
    answer: str


@dataclass(frozen=True)
class AskInput:
    """Everything a question's prompt is made of."""

    commit: Commit
    analysis: str  # the stored analysis as compact text
    question: str
    history: Sequence[PastTurn] = ()


class AnswerContent(BaseModel):
    """The reply as the model gives it (files are checked against the commit by the caller)."""

    answer: str = Field(min_length=1)
    files: list[str] = Field(default_factory=list)
    answered: bool = True


@dataclass(frozen=True)
class Answered:
    """A usable answer and what it cost."""

    content: AnswerContent
    usage: Usage
    attempts: int
    prompt: Prompt


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def history_text(history: Sequence[PastTurn]) -> str:
    """The earlier turns as the prompt shows them ("(none)" for the first question)."""
    if not history:
        return "(none)"
    return "\n".join(f"Q: {_clip(turn.question, TURN_QUESTION_CHARS)}\nA: {_clip(turn.answer, TURN_ANSWER_CHARS)}"
                     for turn in history)


def _messages(templates: AskTemplates, item: AskInput, history: Sequence[PastTurn], data: str) -> list[dict]:
    analysis, past, question = item.analysis.strip() or "(none)", history_text(history), item.question.strip()
    # The boundary is derived from everything between the lines, so none of it can contain the closing line.
    digest = hashlib.sha256("\0".join((data, analysis, past, question)).encode("utf-8")).hexdigest()[:16]
    user = templates.user.substitute(boundary=f"COMMIT-DATA-{digest}", commit_data=data.rstrip("\n"),
                                     analysis=analysis, history=past, question=question)
    return [{"role": "system", "content": templates.system}, {"role": "user", "content": user}]


def build_ask_prompt(item: AskInput, templates: AskTemplates, budget: int, counter: TokenCounter,
                     shrink: float = 1.0) -> Prompt:
    """The question's messages within `budget` by `counter`; the earliest turns go first when room is short."""
    usable = counter.usable(budget)
    history = list(item.history)
    while True:
        fixed = counter.messages(_messages(templates, item, history, ""))
        if usable - fixed >= MIN_DATA_TOKENS or not history:
            break
        history.pop(0)
    data_budget = int((usable - fixed) * shrink)
    for _ in range(FIT_ROUNDS):
        if data_budget < MIN_DATA_TOKENS:
            break
        context = build_context(item.commit, data_budget, counter.count)
        messages = _messages(templates, item, history, context.text)
        total = counter.messages(messages)
        if total <= usable:
            return Prompt(messages=messages, tokens=total, stats=context.stats, boundary="")
        data_budget -= total - usable + 16
    raise BudgetError(f"LLM_INPUT_TOKEN_BUDGET={budget} leaves no room for the commit after the "
                      f"{fixed}-token question and instructions")


def read_answer(text: str) -> AnswerContent:
    """The reply's JSON object; a reply in prose is taken as the answer itself. InvalidOutput when neither."""
    stripped = text.strip()
    try:
        return AnswerContent.model_validate_json(extract_json(stripped))
    except pydantic.ValidationError as exc:
        if stripped and not stripped.startswith(("{", "```")):
            return AnswerContent(answer=stripped)
        raise InvalidOutput(f"not an answer object: {exc.errors()[0]['msg'] if exc.errors() else 'invalid'}",
                            stripped) from None


@dataclass
class _Run(UsageTally):
    mode: Mode
    output_tokens: int
    shrink: float = 1.0
    invalid: int = 0
    transient: int = 0
    waited: float = 0.0


class AskRunner:
    """Asks the LLM one question about a commit within the bounded retry policy, or raises GaveUp."""

    def __init__(self, chat: AnswerModel, templates: AskTemplates, input_budget: int, output_tokens: int,
                 policy: LLMRetry, sleeper: Sleeper) -> None:
        self._chat = chat
        self._counter = counter_for(chat.model)
        self._templates = templates
        self._budget = input_budget
        self._output_tokens = output_tokens
        self._policy = policy
        self._sleep = sleeper

    def run(self, item: AskInput) -> Answered:
        """Request until a usable answer or the policy is spent."""
        run = _Run(mode=Mode.JSON_OBJECT, output_tokens=self._output_tokens)
        last = "no attempt made"
        for attempt in range(1, self._policy.max_attempts + 1):
            try:
                prompt = build_ask_prompt(item, self._templates, self._budget, self._counter, run.shrink)
            except BudgetError as exc:
                raise GaveUp(str(exc), attempt - 1, run.usage) from None
            try:
                reply = self._chat.answer(prompt.messages, run.mode, run.output_tokens)
                run.add(reply.usage)
                return Answered(read_answer(reply.text), run.usage, attempt, prompt)
            except LLMError as exc:
                run.add(exc.usage)  # a reply read as unusable here has counted its usage already (zero here)
                last = f"{type(exc).__name__.lower()}: {exc}"
                if attempt >= self._policy.max_attempts or not self._recover(exc, run):
                    raise GaveUp(last, attempt, run.usage) from None
            except Exception as exc:  # a reply the adapter did not foresee must not take the caller down
                log.exception("unexpected error from the LLM adapter")
                raise GaveUp(f"unexpected {type(exc).__name__}", attempt, run.usage) from None
        raise GaveUp(f"gave up after {self._policy.max_attempts} attempts; last: {last}",
                     self._policy.max_attempts, run.usage)

    def _recover(self, exc: LLMError, run: _Run) -> bool:
        """Adjust the run for the next attempt; False when retrying cannot help."""
        if isinstance(exc, FormatRejected) and run.mode is Mode.JSON_OBJECT:
            run.mode = Mode.TEXT  # the server lacks JSON mode; the prompt asks for JSON anyway
        elif isinstance(exc, InvalidOutput):
            run.invalid += 1
            return run.invalid < 2
        elif isinstance(exc, Truncated):
            if run.output_tokens < self._output_tokens * OUTPUT_GROWTH_LIMIT:
                run.output_tokens = min(run.output_tokens * 2, self._output_tokens * OUTPUT_GROWTH_LIMIT)
            else:
                run.shrink *= 0.5
        elif isinstance(exc, Transient):
            wait = self._policy.delay(run.transient, exc.retry_after, run.waited)
            if wait is None:
                return False
            run.transient += 1
            run.waited += wait
            self._sleep(wait)
        else:  # refused, fatal, or a format rejection in text mode
            return False
        return True
