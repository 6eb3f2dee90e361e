"""The command line: argument errors, subscriptions from a terminal, doctor, and the run process.

The two tests marked e2e start the real long-running process: a signal stops it, a port in use stops it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e_stack import free_port
from tests.fake_github import fake_github, fake_github_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def cli(tmp_path: Path, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {key: value for key, value in os.environ.items()
                if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [
    ["bogus"],
    ["subscriptions", "add", "not-a-repo"],
    ["subscriptions", "add", "a/b", "--tz", "Mars/Base"],
    ["subscriptions", "add", "a/b", "--digest", "25:61"],
    ["subscriptions", "remove", "a/b/c"],
])
def test_bad_arguments_are_one_line_exit_2_and_write_nothing(tmp_path, args):
    result = cli(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_bad_configuration_is_one_line_exit_2(tmp_path):
    result = cli(tmp_path, "subscriptions", "list", env={"POLL_INTERVAL": "abc"})
    assert result.returncode == 2
    assert result.stderr.startswith("commit-radar: configuration error: POLL_INTERVAL:")
    assert result.stderr.count("\n") == 1


def test_unreadable_env_file_is_one_line_exit_2(tmp_path):
    (tmp_path / ".env").write_text("X=1\n")
    (tmp_path / ".env").chmod(0)
    if os.access(tmp_path / ".env", os.R_OK):  # root reads anything: use a directory instead
        (tmp_path / ".env").unlink()
        (tmp_path / ".env").mkdir()
    result = cli(tmp_path, "subscriptions", "list")
    assert result.returncode == 2
    assert result.stderr.startswith("commit-radar: configuration error: .env:")
    assert result.stderr.count("\n") == 1


def test_help_lists_commands(tmp_path):
    result = cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "serve", "worker", "doctor", "subscriptions"):
        assert command in result.stdout


def test_subscriptions_add_list_remove(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets").commit("On dev", branch="dev")
    added = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--branch", "dev", "--min", "medium",
                "--tz", "Asia/Shanghai", "--paths", "src/**,lib/*", "--no-merges",
                env={"GITHUB_API_URL": fake_github.api_url})
    assert added.returncode == 0, added.stderr
    assert "added #1 octo/widgets@dev" in added.stdout
    assert (tmp_path / "data" / "commit-radar.db").exists()
    listed = cli(tmp_path, "subscriptions", "list")
    assert "octo/widgets@dev" in listed.stdout and "medium" in listed.stdout and "Asia/Shanghai" in listed.stdout
    removed = cli(tmp_path, "subscriptions", "remove", "octo/widgets")
    assert removed.returncode == 0 and "removed 1" in removed.stdout
    assert "no subscriptions" in cli(tmp_path, "subscriptions", "list").stdout
    assert cli(tmp_path, "subscriptions", "remove", "octo/widgets").returncode == 1


def test_doctor_checks_each_configured_service(tmp_path, httpserver):
    httpserver.expect_request("/rate_limit").respond_with_json({
        "resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 1900000000, "used": 1}},
        "rate": {"limit": 5000, "remaining": 4999, "reset": 1900000000, "used": 1}})
    httpserver.expect_request("/user").respond_with_json({"login": "radar-bot", "id": 1,
                                                          "url": httpserver.url_for("/users/radar-bot")})
    httpserver.expect_request("/slack/auth.test").respond_with_json({"ok": False, "error": "invalid_auth"})
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "small-model", "object": "model", "created": 0, "owned_by": "me"}]})
    result = cli(tmp_path, "doctor", env={
        "GITHUB_API_URL": httpserver.url_for("/").rstrip("/"), "GITHUB_TOKEN": "ghp_secret_token_value",
        "SLACK_BOT_TOKEN": "xoxb-secret-slack", "SLACK_API_URL": httpserver.url_for("/slack/"),
        "OPENAI_BASE_URL": httpserver.url_for("/v1"), "OPENAI_API_KEY": "sk-secret", "LLM_MODEL": "small-model",
    })
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "GITHUB_TOKEN=***" in lines and "SLACK_BOT_TOKEN=***" in lines
    assert any(line.startswith("ok   database") for line in lines)
    assert any(line.startswith("ok   github") and "radar-bot" in line and "4999/5000" in line for line in lines)
    assert any(line.startswith("FAIL slack") and "invalid_auth" in line for line in lines)
    assert any(line.startswith("ok   llm") and "small-model listed" in line for line in lines)
    for secret in ("ghp_secret_token_value", "xoxb-secret-slack", "sk-secret"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.e2e
def test_run_migrates_serves_healthz_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "FEISHU_"))}
    env.update({"PORT": str(port), "HOST": "127.0.0.1", "GITHUB_TOKEN": "ghp_never_logged_123", "LOG_LEVEL": "DEBUG"})
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    body = json.loads(answer.read())
                    break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)  # waiting for a process to bind, not for a schedule
        assert body is not None and body["status"] == "ok", process.stderr.read() if process.poll() else body
        assert body["checks"]["database"] == "ok"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "key=GITHUB_TOKEN value=***" in err and "ghp_never_logged_123" not in err
    assert (tmp_path / "data" / "commit-radar.db").exists()


@pytest.mark.e2e
def test_run_on_a_port_in_use_says_so_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(tmp_path, "run", env={"HOST": "127.0.0.1", "PORT": str(port)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr.splitlines()[-1]


def test_webhook_subscriptions_print_only_a_redacted_url(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    hook = "https://open.feishu.cn/open-apis/bot/v2/hook/2f7a-very-secret-token"
    added = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--platform", "feishu_webhook",
                "--channel", hook, "--secret", "s3cr3t", env={"GITHUB_API_URL": fake_github.api_url})
    listed = cli(tmp_path, "subscriptions", "list")
    missing = cli(tmp_path, "subscriptions", "remove", "octo/other", "--platform", "feishu_webhook", "--channel", hook)

    assert added.returncode == 0, added.stderr
    assert "feishu_webhook:https://open.feishu.cn/…oken" in added.stdout
    assert "octo/widgets@" in listed.stdout and "feishu_webhook:https://open.feishu.cn/…oken" in listed.stdout
    assert missing.returncode == 1
    for result in (added, listed, missing):
        assert "very-secret" not in result.stdout + result.stderr and "s3cr3t" not in result.stdout + result.stderr
