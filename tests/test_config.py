"""Configuration: defaults, one-line errors naming the variable, secret masking."""

from __future__ import annotations

import io
import logging
import os

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, load_settings, mask_url
from bot.logs import setup_logging


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.split("_")[0] in {"GITHUB", "OPENAI", "LLM", "SLACK", "FEISHU", "DATABASE", "POLL", "DIGEST",
                                  "TIMEZONE", "LANGUAGE", "HOST", "PORT", "LOG"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_design():
    settings = load_settings()
    assert settings.database_url == "sqlite:///data/commit-radar.db"
    assert settings.poll_interval == 300
    assert settings.digest_time == "09:00" and settings.timezone == "UTC" and settings.language == "zh"
    assert settings.llm_input_token_budget == 8000 and settings.llm_concurrency == 4
    assert settings.github_api_url == "https://api.github.com"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.feishu_domain == "https://open.feishu.cn"
    assert (settings.host, settings.port) == ("0.0.0.0", 3000)
    from bot.bootstrap import chat_platforms

    assert chat_platforms(settings) == []


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("POLL_INTERVAL", "abc", "POLL_INTERVAL: "),
        ("TIMEZONE", "Mars/Base", "TIMEZONE: unknown IANA timezone"),
        ("LANGUAGE", "fr", "LANGUAGE: "),
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL: unsupported database"),
        ("DIGEST_TIME", "9am", "DIGEST_TIME: expected HH:MM"),
        ("PORT", "70000", "PORT: "),
        ("GITHUB_API_URL", "api.github.com", "GITHUB_API_URL: expected an http(s) URL"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("POLL_INTERVAL=42\nLANGUAGE=en\n")
    settings = load_settings()
    assert settings.poll_interval == 42 and settings.language == "en"


def test_unreadable_dotenv_is_a_config_error(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"^\.env: "):
        load_settings()


def test_settings_are_frozen():
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.poll_interval = 1  # type: ignore[misc]


def test_secrets_never_appear_in_repr_masked_view_or_logs(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-key-123")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2pass@db.example/radar")
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret-token"
    masked = settings.masked()
    assert masked["SLACK_BOT_TOKEN"] == "***" and masked["GITHUB_TOKEN"] == "(unset)"
    shown = repr(settings) + str(masked)
    for secret in ("xoxb-very-secret-token", "sk-secret-key-123", "hunter2pass"):
        assert secret not in shown
    stream = io.StringIO()
    setup_logging("INFO", [settings.slack_bot_token.get_secret_value()], stream=stream)
    logging.getLogger("t").info("posting with xoxb-very-secret-token", extra={"token": "xoxb-very-secret-token"})
    assert "xoxb-very-secret-token" not in stream.getvalue()
    assert "***" in stream.getvalue()


def test_log_lines_are_single_line_key_value():
    stream = io.StringIO()
    setup_logging("INFO", stream=stream)
    logging.getLogger("bot.t").info("polled\nrepo", extra={"repo": "a/b", "sha": "abc123", "note": "two words"})
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert 'repo=a/b sha=abc123 note="two words"' in line


def test_every_setting_is_documented_in_env_example():
    from pathlib import Path

    from bot.config import Settings

    documented = {line.split("=", 1)[0] for line in
                  (Path(__file__).resolve().parents[1] / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#")}
    assert {name.upper() for name in Settings.model_fields} == documented


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "postgresql//bot:S3cretPw@db/x"),
    ("DATABASE_URL", "postgresql://bot:S3cretPw@db:port/x"),
    ("DATABASE_URL", "mysql://bot:S3cretPw@db/x"),
    ("OPENAI_BASE_URL", "ftp://bot:S3cretPw@llm.example/v1"),
    ("GITHUB_API_URL", "api.github.com?token=S3cretPw"),
])
def test_a_bad_url_setting_is_never_echoed(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(variable + ": ")
    assert "S3cretPw" not in str(caught.value)


def test_url_passwords_and_query_values_are_masked_and_scrubbed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:p%40ss@db.example/radar?password=QueryPw1&sslmode=require")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://user:Llm-Pw-9@llm.example/v1?api_key=Key-123")
    settings = load_settings()
    masked = settings.masked()
    assert masked["DATABASE_URL"] == "postgresql://bot:***@db.example/radar?password=***&sslmode=***"
    assert masked["OPENAI_BASE_URL"] == "https://user:***@llm.example/v1?api_key=***"
    assert masked["GITHUB_API_URL"] == "https://api.github.com"
    secrets = settings.secret_values()
    for secret in ("p%40ss", "p@ss", "QueryPw1", "Llm-Pw-9", "Key-123"):
        assert secret in secrets
    assert "require" not in secrets
    stream = io.StringIO()
    setup_logging("INFO", secrets, stream=stream)
    logging.getLogger("t").warning("connect failed", extra={"url": settings.database_url,
                                                              "llm": settings.openai_base_url})
    for secret in ("p%40ss", "QueryPw1", "Llm-Pw-9", "Key-123"):
        assert secret not in stream.getvalue()


@pytest.mark.parametrize(("url", "shown"), [
    ("sqlite:///data/commit-radar.db", "sqlite:///data/commit-radar.db"),
    ("sqlite:///data/r.db?mode=ro", "sqlite:///data/r.db?mode=***"),
    ("postgresql://bot@db/x", "postgresql://bot@db/x"),
    ("postgresql://bot:pa/s@s@db/x", "postgresql://bot:***@db/x"),  # unencoded `/` and `@` in the password
])
def test_mask_url_keeps_the_shape_and_hides_credentials(url, shown):
    assert mask_url(url) == shown
