"""Start-up cost: which libraries a command imports (modules, not times: times belong to bench/startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pydantic", "pydantic_settings", "sqlalchemy", "openai", "slack_sdk", "slack_bolt", "github", "lark_oapi",
         "requests", "httpx")
_REPORT = f"""
import json, sys
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))
"""


def _heavy_after(code: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[str]:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_"))}
    clean.update(env or {})
    result = subprocess.run([sys.executable, "-c", code + _REPORT], cwd=tmp_path, env=clean,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# These two need bot.entrypoints.cli.main to import bot.config after parsing (bot/cli/__init__.py imports it at module level).
def test_building_the_parser_imports_no_service_library(tmp_path):
    code = "from bot.entrypoints.cli.parser import build_parser\nbuild_parser()"
    assert _heavy_after(code, tmp_path) == []


def test_help_imports_no_service_library(tmp_path):
    code = ("import contextlib, io\nfrom bot.entrypoints.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert _heavy_after(code, tmp_path) == []


def test_the_validators_keep_their_import_paths():
    from bot.config import check_timezone, parse_hhmm
    from bot.domain import REPO_RE, SHA_RE, RepoRef, check_sha
    from bot.domain.model import check_sha as model_check_sha

    assert parse_hhmm("9:05").minute == 5 and check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    assert check_sha("ABCDEF1") == model_check_sha("abcdef1") == "abcdef1"
    assert RepoRef.parse("octo/hello").full_name == "octo/hello" and REPO_RE.match("a/b") and SHA_RE.match("abcd")


_BUILD = """
import io
from bot.bootstrap import build
from bot.config import load_settings
bot = build(load_settings(None, database_url="sqlite:///{db}"), console_out=io.StringIO())
bot.close()
"""


def test_building_the_bot_without_an_llm_does_not_import_openai(tmp_path):
    assert "openai" not in _heavy_after(_BUILD.format(db=tmp_path / "a.db"), tmp_path)


def test_building_the_bot_with_an_llm_imports_openai(tmp_path):
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    assert "openai" in _heavy_after(_BUILD.format(db=tmp_path / "a.db"), tmp_path, env)
