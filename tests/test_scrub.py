"""No credential leaves the process: upstreams that echo what they received (a proxy, a self-hosted GitHub, an
LLM or Feishu server) never get it into doctor, a reply, a channel notice, CLI stderr, a log line or /metrics."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug import Request, Response

from bot.bootstrap import iter_checks
from bot.config import Settings
from bot.domain import Importance, RepoRef, Subscription
from bot.logs import KeyValueFormatter, setup_logging
from bot.scrub import MASK, Scrubber, install, scrub_text
from bot.service.metrics import Metrics
from bot.service.watcher import REPORT_AFTER_FAILURES
from bot.store import open_store
from tests.fake_github import fake_github, fake_github_server  # noqa: F401
from tests.testbot import TestBot, make_testbot

TOKEN = "ghp_" + "Gh1tok" * 6  # GITHUB_TOKEN
KEY = "sk-proj-" + "K3yPart" * 7  # OPENAI_API_KEY
APP_SECRET = "app-" + "S3cr3tFs" * 4  # FEISHU_APP_SECRET
SECRETS = (TOKEN, KEY, APP_SECRET)
# Someone else's token, quoted by an upstream in its error: not configured here, hidden all the same.
OTHER = "ghp_" + "Zz9yX8" * 6
REPO = RepoRef.parse("octo/hello")
PREFIXES = ("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_")


@pytest.fixture
def installed():
    """The process scrubber as the composition root installs it; back to none afterwards."""
    install(SECRETS)
    yield
    install(())


@pytest.fixture
def tokenbot(fake_github, tmp_path, installed) -> Iterator[TestBot]:
    """The testbot with GITHUB_TOKEN set to TOKEN, which every request to the fake GitHub carries."""
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/tokenbot.db", github_token=TOKEN)
    yield bot
    bot.app.close()


def leaks(text: str, secrets=(*SECRETS, OTHER), size: int = 10) -> list[str]:
    """Every secret of which a piece of `size` characters appears in `text` (a clip may cut one in two)."""
    return [secret for secret in secrets
            if any(secret[start:start + size] in text for start in range(len(secret) - size + 1))]


def echo_page(request: Request) -> str:
    """What a misconfigured proxy answers: a page quoting the credential it was sent, and another one."""
    return f"<html><p>proxy login required; you sent {request.headers.get('Authorization')} " \
           f"(last user: {OTHER})</p></html>"


# --- the scrubber itself ---

def test_configured_secrets_are_hidden_as_written_and_as_encoded():
    odd = 'pa/ss"w@rd-0123456789'
    scrubber = Scrubber([*SECRETS, odd])
    text = (f"sent {TOKEN}; key={KEY}; url ?secret={quote(odd, safe='')}; "
            f"json {json.dumps({'app_secret': APP_SECRET, 'pw': odd})}")
    clean = scrubber.scrub(text)
    assert not leaks(clean, (*SECRETS, odd), size=8), clean
    assert clean.startswith(f"sent {MASK}; key={MASK}; ")


@pytest.mark.parametrize("cut", [
    lambda secret: f"Error code: 401 - you sent Bearer {secret[:14]} … the end",  # clip_middle's marker
    lambda secret: f"start … {secret[-15:]} and the rest",
    lambda secret: f"upstream said: Bearer {secret[:20]}",  # text[:200]
    lambda secret: f"{secret[-12:]}, said the server",
])
def test_the_piece_of_a_secret_left_at_a_cut_is_hidden(cut):
    for secret in SECRETS:
        clean = Scrubber(SECRETS).scrub(cut(secret))
        assert not leaks(clean, size=8), clean
        assert MASK in clean


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
BASIC = base64.b64encode(b"bot:Sup3rSecret").decode()


@pytest.mark.parametrize(("text", "credential"), [
    (f"Bad credentials for {OTHER}", OTHER),
    ("gho_" + "a1B2c3" * 6, "a1B2c3" * 6),
    ("ghs_" + "a1B2c3" * 6, "a1B2c3" * 6),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789", "11ABCDEFG0123456789"),
    ("xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
    ("xapp-1-A0123456789-0123456789012-0123456789abcdef", "A0123456789-0123456789012"),
    ("sk-" + "abcDEF123" * 5, "abcDEF123" * 5),
    ("Authorization: token 0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"),
    ("authorization='Bearer abc.def.ghi-123'", "abc.def.ghi-123"),
    (f"upstream: Bearer {JWT}", JWT),
    (f"retrying with Basic {BASIC}", BASIC),
    ("GET https://api.example.com/x?per_page=100&access_token=abcdef1234567890 failed", "abcdef1234567890"),
    ("connect to postgresql://bot:hunter2pass@db.example/radar refused", "hunter2pass"),
    ('{"tenant_access_token": "t-g1044d0c8e2f7a9b1c3d5e7f9", "expire": 7200}', "t-g1044d0c8e2f7a9b1c3d5e7f9"),
])
def test_token_shaped_text_nobody_configured_is_hidden(text, credential):
    clean = Scrubber().scrub(text)
    assert MASK in clean and credential not in clean, clean


@pytest.mark.parametrize("text", [
    "commit 3f2a9c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708 by ada",
    "token 3f2a9c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708 rotated",  # a SHA is no credential
    "127.0.0.1:8080 rejected the credentials (HTTP 401: Bad credentials); check GITHUB_TOKEN: it is wrong, expired "
    "or revoked",
    "the token is wrong; a secret: unknown; api_key: missing; password: wrong",
    "Bearer authentication failed; Basic auth is off; basic authentication required",
    "check SLACK_BOT_TOKEN (xoxb-…)",
    '{"max_tokens": 4096, "prompt_tokens": 1200, "token_type": "bearer"}',
    "LLM_INPUT_TOKEN_BUDGET=8000 GITHUB_TOKEN=*** SLACK_APP_TOKEN=(unset) ASK_PER_USER_PER_HOUR=20",
    "risk-assessment-for-payments-module-v2 task-force disk-usage",
    "2026-01-08 12:00:00,000 INFO bot.t polled repo=a/b sha=abc123 note=\"two words\"",
    "# HELP commit_radar_analysis_prompt_tokens Analyser counter: prompt_tokens",
    "⚠️ Cannot read octo/hello@main: not found on api.github.com (HTTP 404: Not Found)",
])
def test_ordinary_text_is_left_alone(text):
    assert Scrubber(SECRETS).scrub(text) == text


def test_without_an_install_only_the_patterns_apply():
    assert scrub_text(f"x {OTHER} y") == "x ghp_*** y"
    assert scrub_text("plain words") == "plain words"


# --- doctor ---

@pytest.fixture
def echoing(httpserver):
    """GitHub, an OpenAI-compatible server and Feishu that refuse the credential and quote it back.

    The quote sits where doctor's 200-character cut falls, so a text cut before it is scrubbed leaks a piece.
    """
    def github(request: Request) -> Response:
        return Response(json.dumps({"message": "x" * 60 + f" you sent {request.headers.get('Authorization')} "
                                    + "y" * 300}), status=401, content_type="application/json")

    def llm(request: Request) -> Response:
        return Response(json.dumps({"error": {"message": "x" * 60 + f" you sent {request.headers.get('Authorization')}"
                                              + " " + "y" * 300}}), status=401, content_type="application/json")

    def feishu(request: Request) -> Response:
        return Response(json.dumps({"code": 10014, "msg": "x" * 75 + f" bad {request.get_data(as_text=True)} "
                                    + "y" * 300}), content_type="application/json")

    httpserver.expect_request("/rate_limit").respond_with_handler(github)
    httpserver.expect_request("/v1/models").respond_with_handler(llm)
    httpserver.expect_request("/open-apis/auth/v3/tenant_access_token/internal").respond_with_handler(feishu)
    base = httpserver.url_for("/").rstrip("/")
    return {"GITHUB_API_URL": base, "GITHUB_TOKEN": TOKEN, "OPENAI_BASE_URL": base + "/v1", "OPENAI_API_KEY": KEY,
            "LLM_MODEL": "small-model", "FEISHU_APP_ID": "cli_scrub", "FEISHU_APP_SECRET": APP_SECRET,
            "FEISHU_DOMAIN": base}


def test_doctor_never_shows_a_credential_an_upstream_echoed(echoing, sqlite_url):
    settings = Settings(_env_file=None, **{key.lower(): value for key, value in echoing.items()})
    lines = {result.name: result.line() for result in iter_checks(settings, lambda: open_store(sqlite_url), 5)}
    assert lines["github"].startswith("FAIL github") and lines["github"].endswith("check GITHUB_TOKEN: it is wrong, "
                                                                                  "expired or revoked")
    assert lines["llm"].startswith("FAIL llm") and lines["llm"].endswith("check OPENAI_API_KEY")
    assert lines["feishu"].startswith("FAIL feishu") and lines["feishu"].endswith("check FEISHU_APP_ID and "
                                                                                  "FEISHU_APP_SECRET")
    assert not leaks("\n".join(lines.values())), lines


def test_the_doctor_command_prints_no_credential(echoing, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(PREFIXES)}
    result = subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env={**env, **echoing},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL llm" in result.stdout and "Traceback" not in result.stderr
    assert not leaks(result.stdout + result.stderr), result.stdout + result.stderr


# --- a /subscribe reply, a channel's failure notice, the logs, CLI stderr, /metrics ---

@pytest.mark.parametrize(("status", "body"), [
    pytest.param(200, echo_page, id="200-page"),
    pytest.param(403, lambda request: {"message": f"denied for {request.headers.get('Authorization')} ({OTHER})"},
                 id="403-json"),
])
def test_a_subscribe_reply_never_quotes_the_token(tokenbot, status, body):
    tokenbot.repo("octo/hello")
    tokenbot.github.fail(r"^/repos/octo/hello$", status, body)
    reply = tokenbot.send("/subscribe octo/hello")
    assert reply.text and "octo/hello" in reply.text
    assert not leaks(reply.text), reply.text
    assert tokenbot.subscriptions() == []


@pytest.mark.parametrize(("status", "body"), [
    pytest.param(200, echo_page, id="200-page"),
    pytest.param(403, lambda request: {"message": f"denied for {request.headers.get('Authorization')} ({OTHER})"},
                 id="403-json"),
])
def test_a_failure_notice_and_the_log_never_quote_the_token(tokenbot, caplog, status, body):
    tokenbot.repo("octo/hello")
    tokenbot.app.store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO, branch="main",
                                                       threshold=Importance.LOW, language="en"))
    tokenbot.github.fail(r"/repos/octo/hello/commits$", status, body, times=REPORT_AFTER_FAILURES)
    with caplog.at_level(logging.DEBUG):
        for _ in range(REPORT_AFTER_FAILURES):
            tokenbot.tick()
    notifier, metrics = tokenbot.notifier(), tokenbot.app.metrics
    notices = [sent.payload for sent in notifier.of_kind("text")]
    assert len(notices) == 1 and notices[0].startswith("⚠️ Cannot read octo/hello@main: ")
    assert not leaks(notices[0]), notices[0]
    assert "poll failed" in caplog.text and not leaks(caplog.text), caplog.text
    formatted = "\n".join(KeyValueFormatter().format(record) for record in caplog.records)
    assert "poll failed" in formatted and not leaks(formatted), formatted
    assert not leaks(metrics.render()[0].decode())


def test_log_lines_hide_secrets_in_message_context_and_traceback(installed):
    stream = io.StringIO()
    setup_logging("INFO", stream=stream)
    log = logging.getLogger("bot.test_scrub")
    log.warning("upstream said %s", f"Bearer {KEY[:20]}", extra={"error": f"echo {TOKEN}", "other": OTHER})
    try:
        raise RuntimeError(f"server echoed app_secret={APP_SECRET}")
    except RuntimeError:
        log.exception("call failed")
    lines = stream.getvalue()
    assert "upstream said" in lines and "call failed" in lines and "RuntimeError" in lines
    assert not leaks(lines), lines


def test_metric_label_values_are_scrubbed(installed):
    metrics = Metrics()
    metrics.errors.labels(f"gateway said {TOKEN} and {OTHER}").inc()
    text = metrics.render()[0].decode()
    assert 'commit_radar_errors_total{kind="gateway said *** and ghp_***"} 1.0' in text
    assert not leaks(text)


def test_cli_errors_never_quote_the_token(tmp_path: Path, fake_github):
    fake_github.add_repo("octo/hello")
    fake_github.fail(r"^/repos/octo/hello$", 200, echo_page)
    env = {key: value for key, value in os.environ.items() if not key.startswith(PREFIXES)}
    env.update({"GITHUB_API_URL": fake_github.api_url, "GITHUB_TOKEN": TOKEN})
    result = subprocess.run([sys.executable, "-m", "bot", "subscriptions", "add", "octo/hello"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "cannot subscribe to octo/hello" in result.stderr, result.stderr
    assert not leaks(result.stdout + result.stderr), result.stderr
