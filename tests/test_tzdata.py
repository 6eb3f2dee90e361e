"""TIMEZONE and --tz work on images without system tz data (slim, distroless): tzdata is a dependency."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tzdata_is_a_runtime_dependency():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(dependency.split(">")[0].split("=")[0].strip().lower() == "tzdata" for dependency in dependencies)


def test_asia_shanghai_loads_with_no_system_zoneinfo(tmp_path):
    no_system_data = tmp_path / "zoneinfo"
    no_system_data.mkdir()
    code = ("import zoneinfo, datetime; from bot.config import Settings; "
            "settings = Settings(_env_file=None); "
            "offset = datetime.datetime(2026, 1, 8, tzinfo=zoneinfo.ZoneInfo(settings.timezone)).utcoffset(); "
            "print(zoneinfo.TZPATH, settings.timezone, offset)")
    env = {key: value for key, value in os.environ.items() if key.upper() not in ("TZ", "TIMEZONE")}
    # PYTHONTZPATH replaces /usr/share/zoneinfo & co: only the tzdata package can answer.
    env.update({"PYTHONTZPATH": str(no_system_data), "TIMEZONE": "Asia/Shanghai"})
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [f"('{no_system_data}',)", "Asia/Shanghai", "8:00:00"]
