"""`commit-radar doctor`: every check gets its line, whatever failed before it; a failure names the cause and
what to check, is never cut before its cause, and never shows a secret or a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.bootstrap import iter_checks
from bot.config import Settings
from bot.store import open_store

TOKEN = "ghp_doctor_secret_0123456789"
PREFIXES = ("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def services(httpserver):
    """GitHub, Slack, an OpenAI-compatible server and Feishu, all answering well, on one local server."""
    httpserver.expect_request("/rate_limit").respond_with_json(
        {"resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 1900000000, "used": 1}}})
    httpserver.expect_request("/user").respond_with_json({"login": "radar-bot", "id": 1})
    httpserver.expect_request("/slack/auth.test").respond_with_json({"ok": True, "team": "Acme", "user": "radar"})
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "small-model", "object": "model", "created": 0, "owned_by": "me"}]})
    httpserver.expect_request("/open-apis/auth/v3/tenant_access_token/internal").respond_with_json(
        {"code": 0, "msg": "ok", "tenant_access_token": "t-1", "expire": 7200})
    return {"GITHUB_API_URL": httpserver.url_for("/").rstrip("/"), "GITHUB_TOKEN": TOKEN,
            "SLACK_BOT_TOKEN": "xoxb-doctor-secret", "SLACK_API_URL": httpserver.url_for("/slack/"),
            "OPENAI_BASE_URL": httpserver.url_for("/v1"), "OPENAI_API_KEY": "sk-doctor-secret",
            "LLM_MODEL": "small-model", "FEISHU_APP_ID": "cli_doctor", "FEISHU_APP_SECRET": "feishu-doctor-secret",
            "FEISHU_DOMAIN": httpserver.url_for("/").rstrip("/")}


def doctor(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(PREFIXES)}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=120)


def check_lines(output: str) -> dict[str, str]:
    """Check name → its whole line."""
    lines = [line for line in output.splitlines() if line[:5] in ("ok   ", "FAIL ", "skip ")]
    return {line.split()[1]: line for line in lines}


@pytest.mark.parametrize(("url", "words"), [
    ("postgresql://nobody@127.0.0.1:1/x", ("127.0.0.1:1", "connection refused", "check DATABASE_URL")),
    ("postgresql://nobody:pg-doctor-pw@127.0.0.1:1/x", ("127.0.0.1:1", "connection refused", "check DATABASE_URL")),
    ("sqlite:////proc/nope/x.db", ("/proc/nope/x.db", "DATABASE_URL")),
])
def test_a_database_that_cannot_be_opened_is_one_fail_line_and_every_other_check_still_runs(
        tmp_path, services, url, words):
    result = doctor(tmp_path, {**services, "DATABASE_URL": url})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = check_lines(result.stdout)
    assert list(lines) == ["database", "github", "slack", "feishu", "llm"]
    assert lines["database"].startswith("FAIL database  ")
    for word in words:
        assert word.lower() in lines["database"].lower(), lines["database"]
    assert "radar-bot" in lines["github"] and "4999/5000" in lines["github"] and lines["github"].startswith("ok")
    assert lines["slack"].startswith("ok   slack") and lines["llm"].startswith("ok   llm")
    assert lines["feishu"].startswith("ok   feishu")
    for secret in (TOKEN, "xoxb-doctor-secret", "sk-doctor-secret", "feishu-doctor-secret", "pg-doctor-pw"):
        assert secret not in output


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(PREFIXES):
            monkeypatch.delenv(key)


def results(settings: Settings, sqlite_url: str, timeout: float = 5) -> dict[str, str]:
    return {result.name: result.line() for result in iter_checks(settings, lambda: open_store(sqlite_url), timeout)}


def test_unreachable_services_each_say_why_and_what_to_check(clean_env, sqlite_url):
    port = closed_port()
    settings = Settings(_env_file=None, github_api_url=f"http://127.0.0.1:{port}", slack_bot_token="xoxb-x",
                        slack_api_url="http://slack.commit-radar.invalid/api/",
                        openai_base_url=f"http://127.0.0.1:{port}/v1")
    lines = results(settings, sqlite_url)
    assert lines == {
        "database": "ok   database  sqlite reachable, schema up to date",
        "github": f"FAIL github    cannot reach 127.0.0.1:{port}: connection refused; check GITHUB_API_URL and that "
                  f"the server is up",
        "slack": "FAIL slack     cannot reach slack.commit-radar.invalid: the name does not resolve; check "
                 "SLACK_API_URL and this machine's DNS",
        "feishu": "skip feishu    not configured (FEISHU_APP_ID and FEISHU_APP_SECRET unset)",
        "llm": f"FAIL llm       cannot reach 127.0.0.1:{port}: connection refused; check OPENAI_BASE_URL and that "
               f"the server is up",
    }


def test_a_silent_llm_server_is_a_timeout(clean_env, sqlite_url, httpserver):
    with socket.socket() as listener:  # accepts (the kernel's backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        settings = Settings(_env_file=None, github_api_url=httpserver.url_for("/").rstrip("/"),
                            openai_base_url=f"http://127.0.0.1:{port}/v1")
        line = results(settings, sqlite_url, timeout=0.3)["llm"]
    assert line == f"FAIL llm       no answer from 127.0.0.1:{port} within 0.3 s; check the network and any proxy"


def test_a_long_unresolvable_host_is_never_cut_before_the_cause(clean_env, sqlite_url):
    host = f"{'a' * 60}.{'b' * 60}.{'c' * 60}.commit-radar.invalid"
    settings = Settings(_env_file=None, github_api_url=f"https://{host}/api/v3")
    line = results(settings, sqlite_url)["github"]
    assert line == f"FAIL github    cannot reach {host}: the name does not resolve; check GITHUB_API_URL and this " \
                   f"machine's DNS"


def test_credentials_refused_name_the_variable_and_hide_what_the_server_echoed(clean_env, sqlite_url, httpserver):
    httpserver.expect_request("/rate_limit").respond_with_json({"message": f"Bad credentials {TOKEN}"}, status=401)
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": "Incorrect API key provided: sk-doct***", "type": "invalid_request_error"}}, status=401)
    httpserver.expect_request("/slack/auth.test").respond_with_json({"ok": False, "error": "invalid_auth"})
    httpserver.expect_request("/open-apis/auth/v3/tenant_access_token/internal").respond_with_json(
        {"code": 10014, "msg": "app secret invalid"})
    host = urlsplit(httpserver.url_for("/")).netloc
    settings = Settings(_env_file=None, github_api_url=httpserver.url_for("/").rstrip("/"), github_token=TOKEN,
                        slack_bot_token="xoxb-x", slack_api_url=httpserver.url_for("/slack/"),
                        openai_base_url=httpserver.url_for("/v1"), openai_api_key="sk-doctor-secret",
                        feishu_app_id="cli_x", feishu_app_secret="feishu-secret",
                        feishu_domain=httpserver.url_for("/").rstrip("/"))
    lines = results(settings, sqlite_url)
    assert lines["github"] == (f"FAIL github    {host} rejected the credentials (HTTP 401: Bad credentials ***); "
                               f"check GITHUB_TOKEN: it is wrong, expired or revoked")
    assert lines["slack"] == f"FAIL slack     {host} refused the token (invalid_auth); check SLACK_BOT_TOKEN (xoxb-…)"
    assert lines["llm"].startswith(f"FAIL llm       {host} rejected the key (HTTP 401: ")
    assert lines["llm"].endswith("; check OPENAI_API_KEY")
    assert lines["feishu"] == (f"FAIL feishu    {host} refused the app credentials (code 10014: app secret invalid); "
                               f"check FEISHU_APP_ID and FEISHU_APP_SECRET")
    assert TOKEN not in "".join(lines.values())


def test_a_long_upstream_page_is_cut_in_its_middle_keeping_cause_and_hint(clean_env, sqlite_url, httpserver):
    page = "<html>" + "gateway noise " * 1000 + "the real reason at the end</html>"
    httpserver.expect_request("/rate_limit").respond_with_data(page, status=502, content_type="text/html")
    settings = Settings(_env_file=None, github_api_url=httpserver.url_for("/").rstrip("/"))
    line = results(settings, sqlite_url)["github"]
    assert line.startswith(f"FAIL github    {urlsplit(httpserver.url_for('/')).netloc} failed with HTTP 502: <html>gateway noise")
    assert "the real reason at the end</html>; a problem on the server's side, try again later" in line
    assert " … " in line and len(line) < 400


def test_a_web_page_where_the_api_should_be_points_at_github_api_url(clean_env, sqlite_url, httpserver):
    httpserver.expect_request("/rate_limit").respond_with_data("<html><title>Sign in</title></html>",
                                                               content_type="text/html")
    settings = Settings(_env_file=None, github_api_url=httpserver.url_for("/").rstrip("/"))
    assert results(settings, sqlite_url)["github"] == (
        "FAIL github    expected JSON from GitHub, got '<html><title>Sign in</title></html>' (HTTP 200); "
        "check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3)")
