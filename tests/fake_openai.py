"""A scriptable fake OpenAI-compatible server on 127.0.0.1 (pytest-httpserver).

    fake = FakeOpenAI(server)                 # any started pytest_httpserver.HTTPServer
    fake.script(rate_limited(3), valid())     # answers in order; then `fake.otherwise`
    client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=5)
    ...
    fake.requests                             # every request body (dict), in arrival order

Answers are functions `request_json -> werkzeug Response`; the helpers below build the usual
ones: valid structured output, invalid JSON, finish_reason=length, refusal, content filter,
429 with Retry-After, 5xx, slow (blocks on an Event or for some seconds). With
`rejects=("json_schema",)` the server answers 400 to any request with that response_format
type without consuming the script, like servers that lack structured outputs.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Answer = Callable[[dict], Response]

VALID_CONTENT: dict[str, Any] = {
    "change_type": "fix",
    "importance": "high",
    "summary": "Validation now rejects adding or removing services after creation.",
    "impact": [{"component": "deploy/operator/internal/webhook", "note": "new topology check"}],
    "insights": {"architecture": "Service topology becomes immutable.", "performance": "unknown",
                 "security": "unknown", "maintainability": "Adds unit tests for the check."},
    "risks": [{"description": "Existing update pipelines that add services will be rejected.", "severity": "medium"}],
    "recommendations": ["Document that services cannot be added after creation."],
    "breaking_change": True,
}


def completion(content: str | None, finish_reason: str = "stop", refusal: str | None = None,
               prompt_tokens: int = 1200, completion_tokens: int = 300, model: str = "fake-model") -> dict:
    """A chat.completion body."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "logprobs": None,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def valid(content: dict | str | None = None, **usage: int) -> Answer:
    """A well-formed analysis (VALID_CONTENT unless given; a str is sent verbatim)."""
    text = content if isinstance(content, str) else json.dumps(content or VALID_CONTENT, ensure_ascii=False)
    return lambda request: _json(completion(text, **usage))


def invalid_json(text: str = '{"change_type": "fix", "importance": "urgent", "summary": ') -> Answer:
    """A reply that is not valid against the schema."""
    return lambda request: _json(completion(text))


def truncated() -> Answer:
    """finish_reason=length with a cut-off reply."""
    return lambda request: _json(completion('{"change_type": "fix", "summary": "The change', finish_reason="length"))


def refusal(text: str = "I can't help with that.") -> Answer:
    """A structured-output refusal."""
    return lambda request: _json(completion(None, refusal=text))


def content_filter() -> Answer:
    """finish_reason=content_filter."""
    return lambda request: _json(completion("", finish_reason="content_filter"))


def rate_limited(retry_after: str | float = 2) -> Answer:
    """429 with a Retry-After header."""
    body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    return lambda request: _json(body, 429, {"Retry-After": str(retry_after)})


def server_error(status: int = 500) -> Answer:
    """A 5xx error."""
    return lambda request: _json({"error": {"message": "upstream failure", "type": "server_error"}}, status)


IMPORTANCE_MARK = re.compile(r"\[importance:(high|medium|low)\]")


def prompt_text(request: dict, role: str = "user") -> str:
    """The text of a chat request's messages of one role (the user message carries the commit)."""
    parts = [message.get("content") for message in request.get("messages", []) if message.get("role") == role]
    return "\n".join(part if isinstance(part, str) else json.dumps(part) for part in parts if part)


def marked_importance(default: str = "low") -> Answer:
    """A valid, non-breaking analysis whose importance is the `[importance:high|medium|low]` mark in the
    commit's message (else `default`): a test chooses each commit's importance by its message."""
    def answer(request: dict) -> Response:
        mark = IMPORTANCE_MARK.search(prompt_text(request))
        content = {**VALID_CONTENT, "importance": mark.group(1) if mark else default, "breaking_change": False}
        return _json(completion(json.dumps(content)))
    return answer


ASK_SYSTEM_MARK = "answers a teammate's question about one Git commit"


def answering(answer: dict | None = None, then: Answer | None = None) -> Answer:
    """Questions about a commit (the prompts/v1/ask.* system message) get `answer` (default: one naming the
    diff's first file); every other request gets `then` (default: a valid analysis)."""
    otherwise = then or valid()

    def reply(request: dict) -> Response:
        if ASK_SYSTEM_MARK not in prompt_text(request, "system"):
            return otherwise(request)
        first = re.search(r"^### (\S+)$", prompt_text(request), re.MULTILINE)
        files = [first.group(1)] if first else []
        content = answer or {"answer": f"It changes {files[0] if files else 'no listed file'}.", "files": files,
                             "answered": True}
        return _json(completion(json.dumps(content, ensure_ascii=False)))
    return reply


def blocked(release: threading.Event, then: Answer, timeout: float = 10.0) -> Answer:
    """Holds the request until `release` is set (or `timeout` passes), then answers `then`."""
    def answer(request: dict) -> Response:
        release.wait(timeout)
        return then(request)
    return answer


def slow(seconds: float, then: Answer) -> Answer:
    """Answers `then` after `seconds` of real latency (benchmarks only; tests use `blocked`)."""
    def answer(request: dict) -> Response:
        time.sleep(seconds)
        return then(request)
    return answer


class FakeOpenAI:
    """Records requests to /v1/chat/completions and answers from a script."""

    def __init__(self, server: HTTPServer, rejects: tuple[str, ...] = (), otherwise: Answer | None = None) -> None:
        self.server = server
        self.rejects = rejects
        self.otherwise = otherwise or server_error(503)
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: collections.deque[Answer] = collections.deque()
        self._lock = threading.Lock()
        server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(self._handle)

    @property
    def base_url(self) -> str:
        """The URL to give openai.OpenAI(base_url=...)."""
        return self.server.url_for("/v1")

    def script(self, *answers: Answer) -> FakeOpenAI:
        """Queue answers, used in order."""
        with self._lock:
            self._script.extend(answers)
        return self

    @contextlib.contextmanager
    def held_while_idle(self, timeout: float = 30.0) -> Iterator[None]:
        """Wait until no request is in flight, then keep new ones from being answered or counted until the
        block ends (a test kills a client there, knowing none of its calls was cut off)."""
        deadline = time.monotonic() + timeout
        while True:
            self._lock.acquire()
            if self.in_flight == 0:
                break
            self._lock.release()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.in_flight} LLM request(s) still in flight after {timeout}s")
            time.sleep(0.01)
        try:
            yield
        finally:
            self._lock.release()

    def _handle(self, request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True) or "{}")
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            rejected = (body.get("response_format") or {}).get("type") in self.rejects
            answer = None if rejected else (self._script.popleft() if self._script else self.otherwise)
        try:
            if rejected:
                return _json({"error": {"message": "this response_format type is not supported",
                                        "type": "invalid_request_error"}}, 400)
            return answer(body)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture(scope="session")
def _threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    if server.is_running():
        server.stop()


@pytest.fixture
def threaded_httpserver(_threaded_server) -> Iterator[HTTPServer]:
    """A pytest-httpserver that answers requests concurrently, cleared after each test."""
    yield _threaded_server
    _threaded_server.clear()


@pytest.fixture
def fake_openai(threaded_httpserver) -> FakeOpenAI:
    """A FakeOpenAI on its own threaded server."""
    return FakeOpenAI(threaded_httpserver)


def sample_commit(message: str = "fix: prevent services adding/removal in dgd (#5240)", sha: str = "55c266545228caf840ed5786a703fff87df777d5",
                  files: tuple | None = None, repo: str = "ai-dynamo/dynamo"):
    """A small, realistic commit for analysis tests."""
    from datetime import datetime, timedelta, timezone

    from bot.domain import Commit, FileChange, RepoRef

    patch = ("@@ -40,6 +40,14 @@ func (v *Validator) ValidateUpdate(old *DGD) error {\n"
             "+\tif err := validateServiceTopology(old, v.new); err != nil {\n+\t\treturn err\n+\t}\n"
             " \treturn v.validateReplicas()\n")
    if files is None:
        files = (FileChange(filename="deploy/operator/internal/webhook/validation/dynamographdeployment.go",
                            additions=42, deletions=1, patch=patch),
                 FileChange(filename="deploy/operator/internal/webhook/validation/dynamographdeployment_test.go",
                            additions=120, deletions=0, patch="@@ -1,3 +1,5 @@\n+func TestTopology(t *testing.T) {}\n"))
    return Commit(repo=RepoRef.parse(repo), sha=sha, message=message, author_name="Julien Mancuso",
                  author_login="julienmancuso", url=f"https://github.com/{repo}/commit/{sha}",
                  committed_at=datetime(2026, 1, 8, 21, 59, 44, tzinfo=timezone(timedelta(hours=-8))),
                  parents=("0" * 40,), additions=sum(f.additions for f in files),
                  deletions=sum(f.deletions for f in files), files=files)
