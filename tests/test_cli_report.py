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


def test_weekly_report_of_an_iso_week_in_a_timezone(tmp_path, fake_github):
    widgets = fake_github.add_repo("octo/widgets")
    widgets.commit("feat: monday morning", date="2026-11-22T16:30:00Z",  # Mon 00:30 in Shanghai: in W48
                   files=[file_entry("src/core/engine.py")])
    widgets.commit("fix: midweek", date="2026-11-26T03:00:00Z", files=[file_entry("src/api/routes.py")])
    widgets.commit("chore: quiet [skip radar]", date="2026-11-27T03:00:00Z", files=[file_entry("src/x.py")])
    widgets.commit("docs: too late", date="2026-11-29T16:30:00Z")  # Mon 00:30 of W49 in Shanghai
    widgets.commit("docs: too early", date="2026-11-22T15:30:00Z")  # Sun 23:30 of W47 in Shanghai
    out = tmp_path / "week.md"
    result = cli(tmp_path, fake_github.api_url, "digest", "octo/widgets", "--week", "2026-W48", "--tz",
                 "Asia/Shanghai", "--lang", "en", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Weekly update report (2026-W48: 2026-11-23 – 2026-11-29)")
    assert "monday morning" in text and "midweek" in text
    assert "too late" not in text and "too early" not in text and "quiet" not in text
    assert "2 commits this week" in text and "Skipped 1" in text and "Most changed areas" in text
    assert "wrote" in result.stderr and "(2 commits)" in result.stderr


def test_digest_needs_exactly_one_of_date_and_week_and_a_real_week(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    for args in ([], ["--date", "2026-01-08", "--week", "2026-W02"], ["--week", "2026-W54"],
                 ["--week", "2026-48"], ["--week", "1999-W01"], ["--week", "2999-W01"]):
        result = cli(tmp_path, fake_github.api_url, "digest", "octo/widgets", *args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert fake_github.seen == []
