"""`commit-radar digest` and `analyze` against a fake GitHub, with the heuristic analyser (no LLM set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.fake_github import fake_github, fake_github_server, file_entry  # noqa: F401


def cli(tmp_path, api_url, *args):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_"))}
    env["GITHUB_API_URL"] = api_url
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_digest_report_for_two_repos_in_a_timezone(tmp_path, fake_github):
    widgets = fake_github.add_repo("octo/widgets")
    widgets.commit("feat: add | pipes\nand more", date="2024-05-02T01:30:00Z",
                   files=[file_entry("src/app.py")], pull={"number": 7, "title": "Add pipes"})
    widgets.commit("docs: typo", date="2024-05-02T15:59:00Z", files=[file_entry("docs/readme.md")])
    widgets.commit("fix: too late for the day", date="2024-05-02T16:30:00Z")  # 00:30 next day in Shanghai
    gadgets = fake_github.add_repo("octo/gadgets")
    gadgets.commit("fix(security): patch CVE in parser", date="2024-05-02T03:00:00Z",
                   files=[file_entry("src/parser.c")])
    out = tmp_path / "report.md"
    result = cli(tmp_path, fake_github.api_url, "digest", "octo/widgets", "octo/gadgets", "--date", "2024-05-02",
                 "--tz", "Asia/Shanghai", "--lang", "en", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "octo/widgets" in text and "octo/gadgets" in text
    assert "add \\| pipes" in text and "docs: typo" in text
    assert "too late for the day" not in text
    assert "UTC+08:00" in text
    assert "Default branch · timezone: Asia/Shanghai (UTC+08:00)" in text and "Branch: ·" not in text  # no --branch
    assert "wrote" in result.stderr and "\r" not in result.stderr  # no progress bar outside a terminal
    # A second run reads the stored commits: only the day's listings hit GitHub again.
    before = len(fake_github.seen)
    assert cli(tmp_path, fake_github.api_url, "digest", "octo/widgets", "--date", "2024-05-02",
               "--tz", "Asia/Shanghai").returncode == 0
    assert [seen.path for seen in fake_github.seen[before:]] == ["/repos/octo/widgets/commits"]


def test_analyze_prints_markdown_or_json(tmp_path, fake_github):
    repo = fake_github.add_repo("octo/widgets")
    sha = repo.commit("feat!: drop the v1 API\n\nBREAKING CHANGE: v1 endpoints are gone",
                      files=[file_entry("src/api/v1.py", status="removed", additions=0, deletions=120)])
    markdown = cli(tmp_path, fake_github.api_url, "analyze", f"octo/widgets@{sha[:8]}", "--lang", "en")
    assert markdown.returncode == 0, markdown.stderr
    assert "drop the v1 API" in markdown.stdout and "heuristic" in markdown.stdout.lower()
    as_json = cli(tmp_path, fake_github.api_url, "analyze", f"octo/widgets@{sha}", "--format", "json")
    data = json.loads(as_json.stdout)
    assert data["sha"] == sha and data["source"] == "heuristic" and data["breaking_change"] is True


def test_analyze_bad_target_and_unknown_commit(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    bad = cli(tmp_path, fake_github.api_url, "analyze", "octo/widgets")
    assert bad.returncode == 2 and "owner/repo@sha" in bad.stderr
    missing = cli(tmp_path, fake_github.api_url, "analyze", "octo/widgets@abcdef1")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
