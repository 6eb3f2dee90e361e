"""The end-to-end stack: fake GitHub, Slack and OpenAI on 127.0.0.1 and the real `commit-radar run` process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.fake_slack import FakeSlack, command_body, signed_headers

SIGNING_SECRET = "e2e-signing-secret"
WEBHOOK_SECRET = "e2e-webhook-secret"
BOT_TOKEN = "xoxb-test-token"


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def terminate(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM, then wait (reading what is left of its pipes); SIGKILL if it has not stopped in `timeout` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    return process.returncode


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `condition` until it is truthy; the process under test works on its own schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class HoldingSlack(FakeSlack):
    """A fake Slack that, once told, accepts a post and then never answers it (the bot dies meanwhile)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hold_after: int | None = None
        self.release = threading.Event()

    def _chat_postMessage(self, params: dict) -> dict:
        answer = super()._chat_postMessage(params)
        if self.hold_after is not None and len(self.posts()) > self.hold_after:
            self.release.wait(30)
        return answer


class Bot:
    """One `commit-radar run` process with its environment; restartable."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        base = {key: value for key, value in os.environ.items()
                if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "POLL_"))}
        self.env = {**base, "HOST": "127.0.0.1", "PORT": str(self.port), "LOG_LEVEL": "INFO",
                    "DATABASE_URL": f"sqlite:///{tmp_path}/e2e.db", **env}
        self.process: subprocess.Popen | None = None
        self.logs: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.tmp_path / f"bot-{len(self.logs)}.log", "w")
        self.logs.append(log.name)
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.tmp_path, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, 60, "the bot's /healthz")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"bot exited with {self.process.returncode}: {self.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                return json.loads(answer.read())["status"] == "ok"
        except OSError:
            return False

    def log_text(self) -> str:
        return "".join(Path(name).read_text() for name in self.logs)

    def kill(self) -> None:
        """kill -9: no shutdown, no cleanup."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        return terminate(self.process) if self.process else 0

    def post(self, path: str, body: bytes | str, headers: dict[str, str]) -> tuple[int, bytes]:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def slash(self, slack: FakeSlack, command: str, text: str, channel: str = "C0001") -> str:
        """Send a signed slash command; returns its response_url."""
        response_url = slack.response_url()
        body = command_body(command, text, response_url, channel=channel)
        status, _ = self.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
        assert status == 200
        return response_url


class RoleProcess(Bot):
    """One `commit-radar serve` or `commit-radar worker` process; several share one DATABASE_URL."""

    def __init__(self, tmp_path: Path, env: dict[str, str], role: str, name: str) -> None:
        super().__init__(tmp_path, env)
        self.role = role
        self.name = name

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting for it (processes started together boot in parallel)."""
        log = open(self.tmp_path / f"{self.name}-{len(self.logs)}.log", "w")
        self.logs.append(log.name)
        self.process = subprocess.Popen([sys.executable, "-m", "bot", self.role], cwd=self.tmp_path, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait for the launched process's /healthz to say ok."""
        wait_until(self._healthy, timeout, f"{self.name}'s /healthz")

    def signal(self, signum: int) -> None:
        """Send a signal without waiting (the test goes on while the process winds down)."""
        self.process.send_signal(signum)


def push(target: Bot, repo: str, branch: str = "main", delivery: str = "d-1") -> int:
    """A signed GitHub push webhook for `repo`@`branch` to the process's /github/webhook; the HTTP status."""
    from bot.github.webhook import sign

    body = json.dumps({"ref": f"refs/heads/{branch}", "repository": {"full_name": repo},
                       "commits": [{"id": "0" * 40, "message": "not trusted"}]})
    status, _ = target.post("/github/webhook", body, {
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body.encode())})
    return status
