"""`commit-radar ask owner/repo@sha QUESTION…` in a real process against the fake GitHub and the fake OpenAI server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.fake_github import fake_github, fake_github_server, file_entry  # noqa: F401
from tests.fake_openai import (  # noqa: F401
    ASK_SYSTEM_MARK,
    FakeOpenAI,
    _threaded_server,
    answering,
    prompt_text,
    threaded_httpserver,
)

PATCH = "@@ -10,3 +10,4 @@ def connect(url):\n-    timeout = 30\n+    timeout = 5\n"


def cli(tmp_path, api_url, *args, **env_extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "ASK_"))}
    env.update(GITHUB_API_URL=api_url, LANGUAGE="en", **env_extra)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_ask_prints_the_answer_and_remembers_the_turn(tmp_path, fake_github, threaded_httpserver):
    llm = FakeOpenAI(threaded_httpserver, otherwise=answering())
    sha = fake_github.add_repo("octo/widgets").commit("fix: shorter timeout",
                                                     files=[file_entry("src/client.py", patch=PATCH)])
    env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-test", "LLM_MODEL": "fake-model"}
    first = cli(tmp_path, fake_github.api_url, "ask", f"octo/widgets@{sha[:8]}", "what's", "the", "new", "timeout?",
                **env)
    assert first.returncode == 0, first.stderr
    assert "It changes src/client.py." in first.stdout and "Based on: src/client.py" in first.stdout
    second = cli(tmp_path, fake_github.api_url, "ask", f"octo/widgets@{sha[:8]}", "and retries?", **env)
    assert second.returncode == 0, second.stderr
    asked = [request for request in llm.requests if ASK_SYSTEM_MARK in prompt_text(request, "system")]
    assert len(asked) == 2 and "+    timeout = 5" in prompt_text(asked[0])
    assert "Q: what's the new timeout?\nA: It changes src/client.py." in prompt_text(asked[1])


def test_ask_without_an_llm_says_questions_need_one_and_exits_1(tmp_path, fake_github):
    sha = fake_github.add_repo("octo/widgets").commit("fix: shorter timeout")
    result = cli(tmp_path, fake_github.api_url, "ask", f"octo/widgets@{sha[:8]}", "why?")
    assert result.returncode == 1 and result.stdout == ""
    assert "Questions about commits need an LLM" in result.stderr
