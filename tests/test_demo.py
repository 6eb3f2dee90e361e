"""`make demo`: the real bot against a local fake GitHub, the terminal as its chat, no network.

This is also the suite's test of the console in a real process: cards printed as pushes arrive, and a
typed /quit ending `commit-radar run` with exit code 0 (in-process: tests/test_console.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]


def test_the_offline_demo_posts_a_card_for_every_push_and_quits_cleanly(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SLACK_", "FEISHU_", "OPENAI_", "GITHUB_"))}
    env["DEMO_PUSH_EVERY"] = "0.3"
    process = subprocess.Popen([sys.executable, str(ROOT / "demo" / "offline.py")], cwd=tmp_path, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        for line in process.stdout:
            seen.append(line)
            if sum(line.startswith(("🔴", "🟡", "🟢")) for line in seen) == 4:
                break
        process.stdin.write("/quit\n")
        process.stdin.flush()
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    out = "".join(seen) + rest
    assert process.returncode == 0, out
    for title in ("Fix off-by-one in pagination", "docs: explain the retry settings",
                  "Remove the deprecated --legacy-output flag", "Validate webhook signatures"):
        assert sum(title in line and line.startswith(("🔴", "🟡", "🟢")) for line in out.splitlines()) == 1, title
    assert "Traceback" not in out
