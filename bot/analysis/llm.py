"""LLM adapter on the `openai` library: one chat request in one output mode, typed outcomes.

Modes, best first: `json_schema` (structured output via `chat.completions.parse` with the
pydantic model), `json_object` (JSON mode, schema in the prompt), `text` (JSON extracted
from the reply). The library's own retries are off (`max_retries=0`): the runner retries
through one bounded policy.

`openai` is imported only by the functions that talk to a server: the composition root imports
this module even when no LLM is configured, and importing openai costs about half a second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pydantic

from bot.analysis.retry import parse_retry_after
from bot.causes import clip_middle, describe, one_line
from bot.domain import AnalysisContent

if TYPE_CHECKING:
    import openai


class Mode(StrEnum):
    """How the reply is constrained to the schema."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    TEXT = "text"


@dataclass(frozen=True)
class Usage:
    """Tokens one request consumed, as the server reported them (0 when it did not)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(kw_only=True)
class UsageTally:
    """The tokens of every request of one run (retries included), added up."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, usage: Usage) -> None:
        """Count one request's usage."""
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

    @property
    def usage(self) -> Usage:
        """The total so far."""
        return Usage(self.prompt_tokens, self.completion_tokens)


@dataclass(frozen=True)
class Completion:
    """A validated analysis and the request's usage."""

    content: AnalysisContent
    usage: Usage


@dataclass(frozen=True)
class TextCompletion:
    """A reply's text (not checked against any schema) and the request's usage."""

    text: str
    usage: Usage


class LLMError(Exception):
    """A request that produced no usable analysis; `usage` is what it still cost."""

    def __init__(self, message: str, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage or Usage()


class Transient(LLMError):
    """Timeout, connection failure, 429 or 5xx: worth retrying after `retry_after` or a backoff."""

    def __init__(self, message: str, retry_after: float | None = None, usage: Usage | None = None) -> None:
        super().__init__(message, usage)
        self.retry_after = retry_after


class Truncated(LLMError):
    """finish_reason=length: the reply was cut off."""


class Refused(LLMError):
    """The model refused or the content filter stopped the reply."""


class InvalidOutput(LLMError):
    """The reply was not JSON valid against the schema; `raw` is the reply text."""

    def __init__(self, message: str, raw: str, usage: Usage | None = None) -> None:
        super().__init__(message, usage)
        self.raw = raw


class FormatRejected(LLMError):
    """The server rejected the request's response_format (it lacks that mode)."""


class Fatal(LLMError):
    """Authentication, permission, unknown model and other errors a retry cannot fix."""


def make_client(base_url: str | None, api_key: str, timeout: float) -> openai.OpenAI:
    """An OpenAI client with an explicit timeout and no retries of its own."""
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


class OpenAIChat:
    """Sends one analysis request to an OpenAI-compatible server."""

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self._client = client
        self.model = model
        # OpenAI's own API wants max_completion_tokens (reasoning models reject max_tokens);
        # other OpenAI-compatible servers (vLLM, Ollama, …) reliably know only max_tokens.
        self._limit_param = "max_completion_tokens" if "api.openai.com" in str(client.base_url) else "max_tokens"

    def complete(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> Completion:
        """One request; a validated analysis or an LLMError subclass saying what went wrong."""
        # No temperature: reasoning models reject any but the default, and a 400 would read as a format rejection.
        params: dict[str, Any] = {"model": self.model, "messages": messages, self._limit_param: max_output_tokens}
        with _typed_errors(mode):
            if mode is Mode.JSON_SCHEMA:
                return self._structured(params)
            if mode is Mode.JSON_OBJECT:
                params["response_format"] = {"type": "json_object"}
            return self._freeform(params)

    def answer(self, messages: list[dict[str, str]], mode: Mode, max_output_tokens: int) -> TextCompletion:
        """One request for a reply in prose or JSON mode (a question about a commit): its text, or an LLMError."""
        params: dict[str, Any] = {"model": self.model, "messages": messages, self._limit_param: max_output_tokens}
        if mode is Mode.JSON_OBJECT:
            params["response_format"] = {"type": "json_object"}
        with _typed_errors(mode):
            text, usage = self._plain_reply(params)
            return TextCompletion(text, usage)

    def _structured(self, params: dict[str, Any]) -> Completion:
        import openai

        raw = self._client.chat.completions.with_raw_response.parse(response_format=AnalysisContent, **params)
        usage = _usage(raw.http_response)
        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError:
            raise Truncated("finish_reason=length", usage) from None
        except openai.ContentFilterFinishReasonError:
            raise Refused("finish_reason=content_filter", usage) from None
        except pydantic.ValidationError as exc:
            raise InvalidOutput(_validation_summary(exc), _reply_text(raw.http_response), usage) from None
        message = completion.choices[0].message if completion.choices else None
        if message is None:
            raise InvalidOutput("the reply had no choices", "", usage)
        if message.refusal:
            raise Refused(f"refusal: {message.refusal[:200]}", usage)
        if message.parsed is None:
            raise InvalidOutput("the reply was empty", message.content or "", usage)
        return Completion(message.parsed, usage)

    def _freeform(self, params: dict[str, Any]) -> Completion:
        text, usage = self._plain_reply(params)
        try:
            return Completion(AnalysisContent.model_validate_json(extract_json(text)), usage)
        except pydantic.ValidationError as exc:
            raise InvalidOutput(_validation_summary(exc), text, usage) from None

    def _plain_reply(self, params: dict[str, Any]) -> tuple[str, Usage]:
        """The text of a chat completion that was not parsed by the library (JSON mode or prose)."""
        raw = self._client.chat.completions.with_raw_response.create(**params)
        usage = _usage(raw.http_response)
        completion = raw.parse()
        if not completion.choices:
            raise InvalidOutput("the reply had no choices", "", usage)
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise Truncated("finish_reason=length", usage)
        if choice.finish_reason == "content_filter":
            raise Refused("finish_reason=content_filter", usage)
        if choice.message.refusal:
            raise Refused(f"refusal: {choice.message.refusal[:200]}", usage)
        return choice.message.content or "", usage


@contextmanager
def _typed_errors(mode: Mode) -> Iterator[None]:
    """The openai library's exceptions as the runner's typed outcomes."""
    import openai

    try:
        yield
    except openai.APITimeoutError:
        raise Transient("timeout") from None
    except openai.APIConnectionError as exc:
        raise Transient(f"cannot reach the LLM server: {describe(exc)}") from None
    except openai.APIStatusError as exc:
        raise _status_error(exc, mode) from None
    except openai.APIResponseValidationError:
        raise Transient("malformed response body") from None
    except openai.OpenAIError as exc:
        raise Fatal(f"{type(exc).__name__}: {clip_middle(one_line(str(exc)), 300)}") from None


_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)\n\s*```", re.S)


def extract_json(text: str) -> str:
    """The JSON object in a reply that may wrap it in prose or a code fence ('' if none)."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start = text.find("{")
    while start != -1:
        try:
            _, end = json.JSONDecoder().raw_decode(text, start)
            return text[start:end]
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    return text.strip()


def _usage(response: Any) -> Usage:
    try:
        usage = response.json().get("usage") or {}
        return Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
    except (ValueError, AttributeError, TypeError):
        return Usage()


def _reply_text(response: Any) -> str:
    try:
        return response.json()["choices"][0]["message"].get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


def _validation_summary(exc: pydantic.ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(problems)


def _status_error(exc: openai.APIStatusError, mode: Mode) -> LLMError:
    status = exc.status_code
    if status == 429 or status >= 500 or status in (408, 409):
        return Transient(f"HTTP {status}", parse_retry_after(exc.response.headers))
    if status in (400, 422) and mode is not Mode.TEXT:
        return FormatRejected(f"HTTP {status} with response_format={mode.value}")
    return Fatal(f"HTTP {status}")
