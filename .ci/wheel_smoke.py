"""Drive an installed wheel from an empty directory: `analyze` and `run` against fake GitHub and LLM servers.

Usage: .venv/bin/python .ci/wheel_smoke.py VENV   (VENV: a virtualenv with only the wheel installed)

The fakes (tests/fake_github.py, tests/fake_openai.py) run here, in the dev venv, on 127.0.0.1;
the wheel's `commit-radar` runs as a subprocess with nothing of the checkout on its path, so an
analysis that comes back from the LLM proves the packaged prompts were found.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.e2e_stack import free_port, wait_until as wait_for  # noqa: E402
from tests.fake_github import FakeGitHub, file_entry  # noqa: E402
from tests.fake_openai import VALID_CONTENT, FakeOpenAI, valid  # noqa: E402

SUMMARY = VALID_CONTENT["summary"]
# Variables of the developer's shell that would point the bot elsewhere or bring the checkout back in.
FOREIGN = ("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "POLL_", "PROMPTS_", "PYTHON",
           "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def healthy(url: str) -> bool:
    """/healthz answers 200 with status ok."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200 and json.loads(answer.read())["status"] == "ok"
    except OSError:
        return False


def check_layout(python: Path, cwd: Path, env: dict[str, str]) -> None:
    """The wheel's `bot` and its prompts are imported from the venv, not the checkout."""
    code = "import bot; from bot.analysis.prompts import prompts_root; print(bot.__file__); print(prompts_root())"
    where = subprocess.run([str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    module, prompts = (Path(line) for line in where.stdout.split())
    venv = python.parent.parent
    assert module.is_relative_to(venv) and prompts == module.parent / "prompts", where.stdout
    print(f"ok   bot and its prompts load from {prompts.parent}")


def check_analyze(cli: Path, cwd: Path, env: dict[str, str], llm: FakeOpenAI, sha: str) -> None:
    """`analyze` answers with the LLM's analysis, asked with the shipped English system prompt."""
    result = subprocess.run([str(cli), "analyze", f"octo/widgets@{sha[:12]}", "--lang", "en"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SUMMARY in result.stdout, f"not the LLM's analysis:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    first_line = (CHECKOUT / "prompts" / "v1" / "system.en.md").read_text(encoding="utf-8").splitlines()[0]
    assert llm.requests and llm.requests[-1]["messages"][0]["content"].startswith(first_line)
    print(f"ok   analyze: the LLM's analysis ({len(llm.requests)} LLM request) with the packaged prompt")


def check_run(cli: Path, cwd: Path, env: dict[str, str], github: FakeGitHub, llm: FakeOpenAI) -> None:
    """`run` serves /healthz, posts a new commit's LLM card to the console, and stops cleanly on SIGTERM."""
    added = subprocess.run([str(cli), "subscriptions", "add", "octo/widgets", "--min", "low", "--lang", "en"],
                           cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr[-3000:]
    port = free_port()
    out_path, err_path = cwd / "run.out", cwd / "run.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen([str(cli), "run"], cwd=cwd, env={**env, "PORT": str(port)},
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    try:
        def alive_and_healthy() -> bool:
            assert process.poll() is None, f"run exited with {process.returncode}: {err_path.read_text()[-3000:]}"
            return healthy(f"http://127.0.0.1:{port}/healthz")

        wait_for(alive_and_healthy, 60, "/healthz 200")
        print("ok   run: /healthz 200")
        # The first poll records the branch head; a commit after it is new and gets a card.
        wait_for(lambda: any(seen.path == "/repos/octo/widgets/commits" for seen in github.seen), 60, "the first poll")
        before = len(llm.requests)
        github.repos["octo/widgets"].commit("fix: reject topology changes", files=[file_entry("src/webhook.go")])
        wait_for(lambda: SUMMARY in out_path.read_text(), 60, "the new commit's card on the console")
        assert len(llm.requests) > before
        print("ok   run: a new commit's card, analysed by the LLM, on the console")
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert code == 0, f"run exited with {code} on SIGTERM: {err_path.read_text()[-3000:]}"
    print("ok   run: SIGTERM, exit 0")


def main(venv: Path) -> int:
    """Start the fakes, run the checks, stop everything."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per fake LLM request
    github = FakeGitHub.serve(threads=8)
    llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    llm_server.start()
    llm = FakeOpenAI(llm_server, otherwise=valid())
    sha = github.add_repo("octo/widgets").commit("fix: prevent services adding/removal",
                                                 files=[file_entry("deploy/operator/webhook.go")])
    try:
        with tempfile.TemporaryDirectory(prefix="commit-radar-smoke-") as scratch:
            cwd = Path(scratch)
            env = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN)}
            env.update({"GITHUB_API_URL": github.api_url, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-smoke",
                        "LLM_MODEL": "fake-model", "DATABASE_URL": f"sqlite:///{cwd}/smoke.db", "HOST": "127.0.0.1",
                        "POLL_INTERVAL": "5", "LANGUAGE": "en", "LOG_LEVEL": "INFO"})
            started = time.monotonic()
            check_layout(venv / "bin" / "python", cwd, env)
            check_analyze(venv / "bin" / "commit-radar", cwd, env, llm, sha)
            check_run(venv / "bin" / "commit-radar", cwd, env, github, llm)
            print(f"smoke checks passed in {time.monotonic() - started:.0f} s")
    finally:
        github.stop()
        llm_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
