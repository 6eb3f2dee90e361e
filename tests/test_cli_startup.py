"""Start-up failures are one line and an exit code; half-configured platforms are warned about; `run`'s start-up rules."""

from __future__ import annotations

import logging
import os

import pytest

from bot.bootstrap import platform_warnings
from bot.config import load_settings
from bot.logs import KeyValueFormatter
from tests.test_cli import cli

BROKEN_DATABASES = {
    "postgres-refused": ("postgresql://nobody@127.0.0.1:1/x", "127.0.0.1:1", "connection refused"),
    "sqlite-uncreatable": ("sqlite:////proc/nope/x.db", "/proc/nope", "no such file or directory"),
}


@pytest.mark.parametrize("command", [["subscriptions", "list"], ["analyze", "octo/widgets@abc1234"],
                                     ["digest", "octo/widgets", "--date", "2026-01-08"], ["worker"]])
@pytest.mark.parametrize("case", BROKEN_DATABASES)
def test_an_unusable_database_is_one_line_exit_1(tmp_path, command, case):
    url, where, cause = BROKEN_DATABASES[case]
    result = cli(tmp_path, *command, env={"DATABASE_URL": url, "GITHUB_API_URL": "http://127.0.0.1:1"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("commit-radar: database: cannot ")
    assert where in last and cause in last.lower() and "DATABASE_URL" in last
    # Nothing but warnings comes before the one line.
    assert all(" WARNING " in line or "level=WARNING" in line for line in result.stderr.strip().splitlines()[:-1])


def test_a_database_password_never_appears_in_the_failure(tmp_path):
    result = cli(tmp_path, "subscriptions", "list",
                 env={"DATABASE_URL": "postgresql://radar:hunter2pw@127.0.0.1:1/x"})
    assert result.returncode == 1 and "hunter2pw" not in result.stderr


def test_a_missing_prompts_dir_is_one_line_exit_1(tmp_path):
    result = cli(tmp_path, "analyze", "octo/widgets@abc1234",
                 env={"PROMPTS_DIR": str(tmp_path / "no-such-prompts"), "OPENAI_API_KEY": "sk-test",
                      "OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "GITHUB_API_URL": "http://127.0.0.1:1"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("commit-radar: prompts: ")
    assert "PROMPTS_DIR" in result.stderr


@pytest.mark.parametrize("env, named", [
    ({"SLACK_SIGNING_SECRET": "s"}, ["Slack", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]),
    ({"SLACK_APP_TOKEN": "xapp-1"}, ["Slack", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]),
    ({"FEISHU_APP_ID": "cli_x"}, ["Feishu", "FEISHU_APP_ID", "FEISHU_APP_SECRET"]),
    ({"FEISHU_APP_SECRET": "s"}, ["Feishu", "FEISHU_APP_ID"]),
])
def test_half_configured_platforms_are_warned_about(monkeypatch, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    warnings = platform_warnings(load_settings(None))
    assert len(warnings) == 1 and all(word in warnings[0] for word in named)


def test_a_complete_or_absent_platform_gives_no_warning(monkeypatch):
    assert platform_warnings(load_settings(None)) == []
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert platform_warnings(load_settings(None)) == []


def run_until_serving(monkeypatch, tmp_path, **env: str):
    """`commit-radar run` in-process up to its serve loop (nothing is served); the application it built and
    how serve_forever was asked to run it."""
    from bot.entrypoints.cli import build_parser
    from bot.entrypoints.cli.process import run

    served = []
    monkeypatch.setattr("bot.entrypoints.process.serve_forever", lambda app, **how: served.append((app, how)))
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "HOST")):
            monkeypatch.delenv(key)
    for key, value in {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.db", **env}.items():
        monkeypatch.setenv(key, value)
    assert run(build_parser().parse_args(["run"]), load_settings(None)) == 0
    [(app, how)] = served
    return app, how


def test_run_warns_at_start_about_a_half_configured_platform(tmp_path, monkeypatch, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.entrypoints.cli"):
        run_until_serving(monkeypatch, tmp_path, SLACK_SIGNING_SECRET="s")
    assert "Slack is off: SLACK_SIGNING_SECRET set but SLACK_BOT_TOKEN is not" in caplog.messages


def test_console_only_mode_listens_on_loopback_unless_host_is_set(tmp_path, monkeypatch):
    app, how = run_until_serving(monkeypatch, tmp_path)
    assert how["console"] and app.settings.host == "127.0.0.1"
    app, how = run_until_serving(monkeypatch, tmp_path, HOST="0.0.0.0")
    assert how["console"] and app.settings.host == "0.0.0.0"
    app, how = run_until_serving(monkeypatch, tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert not how["console"] and app.settings.host == "0.0.0.0"  # a chat platform must be reachable


def test_a_copy_of_env_example_starts_with_every_value_unset(tmp_path):
    import shutil

    from tests.test_cli import ROOT

    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = cli(tmp_path, "subscriptions", "list")
    assert result.returncode == 0, result.stderr
    assert "no subscriptions" in result.stdout
    settings = load_settings(tmp_path / ".env")
    assert settings.openai_base_url is None and settings.github_token is None
    assert settings.github_api_url == "https://api.github.com"  # an empty line means the default


def test_healthz_says_when_the_sqlite_file_is_deleted_or_read_only(tmp_path, monkeypatch):
    import json
    import os

    from werkzeug.test import Client

    from bot.store import open_store
    from bot.wsgi import health_app

    path = tmp_path / "data" / "bot.db"
    store = open_store(f"sqlite:///{path}")
    client = Client(health_app({"database": store.ping}))
    try:
        assert client.get("/healthz").status_code == 200
        os.rename(path, tmp_path / "moved.db")
        answer = client.get("/healthz")
        assert answer.status_code == 503
        assert "was deleted" in json.loads(answer.data)["checks"]["database"]
        os.rename(tmp_path / "moved.db", path)
        assert client.get("/healthz").status_code == 200
        # Root writes anything, so a read-only folder is simulated the way the check sees it.
        monkeypatch.setattr(os, "access", lambda target, mode: not str(target).startswith(str(tmp_path)))
        answer = client.get("/healthz")
        assert answer.status_code == 503 and "read-only" in json.loads(answer.data)["checks"]["database"]
    finally:
        store.close()


def test_a_read_only_sqlite_folder_stops_start_up_with_one_line(tmp_path, monkeypatch):
    import os

    from bot.store import StoreUnavailable, open_store

    path = tmp_path / "bot.db"
    open_store(f"sqlite:///{path}").close()
    # Root writes anything, so a read-only folder is simulated the way the check sees it.
    monkeypatch.setattr(os, "access", lambda target, mode: not str(target).startswith(str(tmp_path)))
    with pytest.raises(StoreUnavailable, match="read-only"):
        open_store(f"sqlite:///{path}")


def test_the_configuration_is_not_dumped_at_info(tmp_path, monkeypatch, caplog):
    with caplog.at_level(logging.DEBUG, logger="bot.entrypoints.cli"):
        run_until_serving(monkeypatch, tmp_path)
    dumped = [record for record in caplog.records if record.getMessage() == "config"]
    assert dumped and all(record.levelno == logging.DEBUG for record in dumped)
    assert any("key=POLL_INTERVAL value=300" in KeyValueFormatter().format(record) for record in dumped)
