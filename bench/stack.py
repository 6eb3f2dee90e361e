"""Shared by the job benchmarks: the real `commit-radar` roles as child processes, the fakes they talk to,
push webhooks, a fresh PostgreSQL schema, percentiles and per-process CPU time.

Not a benchmark itself (`make bench` runs it as a script: it prints what it holds and exits 0).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402
from werkzeug import Request, Response  # noqa: E402

from bot.github.webhook import sign  # noqa: E402
from tests.e2e_stack import free_port, terminate  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402
from tests.fake_openai import FakeOpenAI, slow, valid  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

WEBHOOK_SECRET = "bench-webhook-secret"
TOKEN = "xoxb-bench-token"
_OWN_PREFIXES = ("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "POLL_", "PORT", "HOST")


class TimedGitHub(FakeGitHub):
    """The fake GitHub, also recording when (time.monotonic) and with what status it answered each request."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.answered: list[tuple[float, int]] = []

    def _handle(self, request: Request) -> Response:
        response = super()._handle(request)
        self.answered.append((time.monotonic(), response.status_code))  # list.append is atomic under the GIL
        return response


class Fakes:
    """Fake GitHub, Slack and OpenAI on 127.0.0.1; the LLM answers after `llm_seconds`.

    `github_class` serves other content through the same fake (bench/replay.py: a commit corpus).
    """

    def __init__(self, llm_seconds: float, github_threads: int = 32,
                 github_class: type[TimedGitHub] = TimedGitHub) -> None:
        self.github = github_class.serve(threads=github_threads)
        # The hourly (primary) limit is not what is measured: thousands of first polls would spend GitHub's
        # 5,000 and the bot would rightly wait an hour. The per-minute pacing is.
        self.github.rate_limit = self.github.rate_remaining = 10**9
        self.slack = FakeSlack.serve(token=TOKEN)
        self._llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._llm_server.start()
        answer = slow(llm_seconds, valid()) if llm_seconds > 0 else valid()
        self.llm = FakeOpenAI(self._llm_server, otherwise=answer)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a bot process talking to these fakes (and nothing else of this machine's)."""
        base = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_PREFIXES)}
        return {**base, "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "GITHUB_API_URL": self.github.api_url,
                "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": "bench-signing-secret", "SLACK_API_URL": self.slack.api_url,
                "OPENAI_BASE_URL": self.llm.base_url, "OPENAI_API_KEY": "sk-bench", "LLM_MODEL": "fake-model",
                "LANGUAGE": "en", **extra}

    def card_posted_at(self, sha: str) -> float | None:
        """When (time.monotonic) the fake Slack accepted the card of commit `sha`, if it has."""
        for call in self.slack.calls_to("chat.postMessage"):
            if delivery_key(call.params).endswith(sha):
                return call.at
        return None

    def stop(self) -> None:
        """Stop the three servers."""
        self.slack.stop()
        self.github.stop()
        self._llm_server.stop()


def delivery_key(params: dict[str, object]) -> str:
    """The delivery key a post carries in its metadata ('' if none)."""
    metadata = params.get("metadata")
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    return str(payload.get("key", "")) if isinstance(payload, dict) else ""


class Role:
    """One `commit-radar <role>` child process on its own PORT, logging to a file."""

    def __init__(self, role: str, folder: Path, env: dict[str, str]) -> None:
        self.role = role
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.folder = folder
        self.log_path = folder / f"{role}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None
        self.unhealthy: str | None = None

    @property
    def url(self) -> str:
        """Where its HTTP server listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process id (started processes only)."""
        if self.process is None:
            raise RuntimeError(f"{self.role} not started")
        return self.process.pid

    def start(self, timeout: float = 90, ok_within: float = 15) -> Role:
        """Start it and wait for its HTTP server; then up to `ok_within` s for /healthz to say 200.

        A /healthz that never says 200 is noted in `unhealthy`, not fatal: the benchmark still
        measures, and prints the note.
        """
        self.launch()
        return self.ready(timeout, ok_within)

    def launch(self) -> None:
        """Start the process without waiting (to start several at once; then `ready`)."""
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", self.role], cwd=self.folder, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def ready(self, timeout: float = 90, ok_within: float = 15) -> Role:
        """Wait for a launched process as `start` does."""
        wait_for(lambda: self._health() is not None, timeout, f"{self.role}'s HTTP server")
        try:
            wait_for(lambda: self._health() == 200, ok_within, f"{self.role}'s /healthz 200", every=0.2)
        except TimeoutError:
            self.unhealthy = f"{self.role} /healthz answered {self._health()}, not 200, after {ok_within:.0f} s"
        return self

    def _health(self) -> int | None:
        """/healthz's status, or None while nothing listens."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.role} exited with {self.process.returncode}: "
                               f"{self.log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return None

    def stop(self) -> None:
        """SIGTERM (then SIGKILL after 30 s)."""
        if self.process is not None:
            terminate(self.process)
        if self._log is not None:
            self._log.close()

    def push(self, repo: str, branch: str = "main") -> int:
        """A signed push webhook for (repo, branch); the HTTP status."""
        body = json.dumps({"ref": f"refs/heads/{branch}", "repository": {"full_name": repo},
                           "commits": [{"id": "0" * 40, "message": "not trusted"}]}).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
                   "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body), "X-GitHub-Delivery": uuid.uuid4().hex}
        request = urllib.request.Request(self.url + "/github/webhook", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.02) -> object:
    """Poll `condition` until truthy (the processes work on their own schedule); raise after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def postgres_base() -> str | None:
    """The PostgreSQL server to use (TEST_DATABASE_URL, else a postgresql DATABASE_URL), or None."""
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("postgresql"):
            return url
    return None


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    """A URL on a new, empty schema of `base` (through search_path), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def postgres_usable(base: str) -> str | None:
    """Why PostgreSQL at `base` cannot be used, or None when it can."""
    try:
        with fresh_schema(base):
            return None
    except Exception as exc:  # any failure to connect is a reason to skip, shown to the reader
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    print("bench/stack.py: helpers for burst.py, push_latency.py and pacing.py (nothing to measure)")
