"""Benchmark: Slack slash-command acknowledgement and answer times while the LLM is slow.

Starts the real `commit-radar serve` process (waitress, HTTP_THREADS=16, SQLite) configured by
environment to talk to a fake Slack Web API and a fake OpenAI-compatible server that takes
`--llm-seconds` (2 s) per analysis. The store holds one subscribed repository with N stored
commits. N signed `/commit <sha>` requests are sent at once, twice:

- first burst: `/commit help` (answered in the acknowledgement itself) right after start, shown
  for reference: a fresh process's first burst is slower;
- cold: no analysis is cached, so every answer waits for the LLM (LLM_CONCURRENCY at a time);
- cached: the same commits again, answered from stored analyses (must make 0 LLM calls).

Prints, per round, the acknowledgement latency (p50, p99, max; Slack's deadline is 3 s, the
target p99 < 100 ms) and the time until the answer reached the command's `response_url`
(target for cached answers: < 300 ms), and the LLM calls made.

    .venv/bin/python bench/slack_ack.py [--commands 50] [--llm-seconds 2]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402

from bot.domain import Commit, RepoRef, Subscription  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.e2e_stack import free_port, terminate  # noqa: E402
from tests.fake_openai import FakeOpenAI, slow, valid  # noqa: E402
from tests.fake_slack import FakeSlack, command_body, signed_headers  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test-token"
REPO = "octo/widgets"
CHANNEL = "C0001"




def seed(database_url: str, count: int) -> list[str]:
    """One Slack subscription and `count` stored commits; returns their SHAs."""
    store = open_store(database_url)
    store.subscriptions.save(Subscription(platform="slack", channel=CHANNEL, repo=RepoRef.parse(REPO)))
    shas = []
    start = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    for n in range(count):
        sha = f"{n + 1:07x}" + f"{n:033x}"[-33:]
        commit = Commit(repo=RepoRef.parse(REPO), sha=sha, message=f"fix: widget edge case {n}\n\nDetails {n}.",
                        author_name="Ada", committed_at=start + timedelta(minutes=n),
                        url=f"https://github.com/{REPO}/commit/{sha}", parents=("a" * 40,), additions=3, deletions=1)
        store.commits.save(commit, branch="main", processed=True)
        shas.append(sha)
    store.close()
    return shas


def start_bot(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen([str(ROOT / ".venv/bin/commit-radar"), "--env-file", "/nonexistent/.env", "serve"],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"commit-radar serve exited {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # waiting for a child process to listen; not a test
    process.kill()
    raise SystemExit("commit-radar serve did not become healthy in 30 s")


def raw_post(port: int, body: str, headers: dict[str, str]) -> tuple[int, float]:
    """POST over a plain socket (a lean client, so the figures are the server's); returns status and seconds."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    payload = body.encode()
    request = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
               f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), time.monotonic() - started


def one_round(port: int, slack: FakeSlack, shas: list[str], text: str = "{sha}") -> tuple[list[float], list[float]]:
    """Send every /commit at once; return ack latencies and answer times (seconds, none for help)."""
    sent: dict[str, float] = {}
    before = len(slack.calls_to("response_url"))
    prepared = []
    for sha in shas:
        response_url = slack.response_url()
        body = command_body("/commit", text.format(sha=sha[:10]), response_url, channel=CHANNEL)
        prepared.append((urlsplit(response_url).path, body, signed_headers(SECRET, body)))
    start = threading.Barrier(len(prepared))

    def send(item: tuple[str, str, dict]) -> float:
        path, body, headers = item
        start.wait()
        sent[path] = time.monotonic()
        status, latency = raw_post(port, body, headers)
        if status != 200:
            raise SystemExit(f"ack failed: HTTP {status}")
        return latency

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        acks = list(pool.map(send, prepared))
    if text == "help":  # answered in the acknowledgement itself
        return acks, []
    calls = slack.wait_for("response_url", before + len(shas), timeout=300)[before:]
    answers = [call.at - sent[call.params["_path"]] for call in calls]
    bad = [call.params for call in calls if call.params.get("response_type") != "in_channel"]
    if bad:
        raise SystemExit(f"{len(bad)} commands were not answered with a card: {bad[0].get('text', '')[:300]}")
    return acks, answers


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p99 of 50 values is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(name: str, acks: list[float], answers: list[float], llm_calls: int) -> None:
    ms = 1000
    line = (f"{name:<8} ack p50 {statistics.median(acks) * ms:6.1f} ms  p99 {percentile(acks, .99) * ms:6.1f} ms  "
            f"max {max(acks) * ms:6.1f} ms")
    if answers:
        line += (f" | answer p50 {statistics.median(answers) * ms:6.0f} ms  p99 {percentile(answers, .99) * ms:6.0f} ms"
                 f"  max {max(answers) * ms:6.0f} ms | LLM calls {llm_calls}")
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    slack = FakeSlack.serve(token=TOKEN)
    llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    llm_server.start()
    llm = FakeOpenAI(llm_server, otherwise=slow(args.llm_seconds, valid()))
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.db"
        shas = seed(database_url, args.commands + 1)
        warm, shas = shas[0], shas[1:]
        port = free_port()
        env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
        env.update({
            "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
            "OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": llm.base_url, "LLM_MODEL": "fake-model",
            # Commits are stored: GitHub is never asked; a closed port makes sure of it.
            "GITHUB_API_URL": "http://127.0.0.1:9",
        })
        process = start_bot(env, port)
        try:
            print(f"{args.commands} concurrent signed /commit requests to commit-radar serve "
                  f"(LLM {args.llm_seconds:g} s per analysis, LLM_CONCURRENCY default)")
            # A process that has served before: first-use imports, connections and auth.test are done,
            # and it has seen a burst (the first burst after start is slower; shown, not counted).
            one_round(port, slack, [warm])
            warm_calls = len(llm.requests)
            acks, _ = one_round(port, slack, shas, text="help")
            report("1st burst", acks, [], 0)
            acks, answers = one_round(port, slack, shas)
            cold_calls = len(llm.requests) - warm_calls
            report("cold", acks, answers, cold_calls)
            acks, answers = one_round(port, slack, shas)
            report("cached", acks, answers, len(llm.requests) - cold_calls - warm_calls)
            acks, answers = one_round(port, slack, shas[:1])
            report("single", acks, answers, len(llm.requests) - cold_calls - warm_calls)
            print(f"auth.test calls: {len(slack.calls_to('auth.test'))} (Bolt, on the first (warm-up) dispatch)")
        finally:
            terminate(process)
    slack.stop()
    llm_server.stop()


if __name__ == "__main__":
    main()
