"""Soak benchmark: 1,000 subscriptions over 300 repos, many compressed poll cycles, a trickle of commits.

The bot is the real `commit-radar worker` process (scheduler only: polling, analysis, delivery),
configured by environment to talk to a fake GitHub and a fake Slack served from this process. Each
poll cycle stands for one POLL_INTERVAL of real time; with the default 30 cycles at a real interval
of 60 s that is 30 minutes compressed into a few minutes (POLL_INTERVAL=5 here). Between cycles a
few repositories get new commits. Analysis is the heuristic (no LLM configured), so the figures are
the bot's own. Prints the worker's resident memory at start and end, cards delivered vs expected,
duplicates, losses, and GitHub requests that counted against the rate limit.

    .venv/bin/python bench/soak.py [--subscriptions 1000] [--repos 300] [--cycles 30] [--per-cycle 5]
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain import Importance, RepoRef, Subscription  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.fake_github import FakeGitHub, file_entry  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

TARGET_RSS_MB = 250.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cycles_done(log: Path) -> int:
    return log.read_text(errors="replace").count("poll cycle done")


def wait_cycles(log: Path, count: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while cycles_done(log) < count:
        if process.poll() is not None:
            raise SystemExit(f"worker exited: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for poll cycle {count}")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--repos", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--per-cycle", type=int, default=5, help="new commits per cycle (on random repos)")
    args = parser.parse_args()
    rng = random.Random(7)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake Slack's request lines

    github = FakeGitHub.serve(threads=32)
    slack = FakeSlack.serve(token="xoxb-soak")
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    database = f"sqlite:///{workdir}/soak.db"
    store = open_store(database)
    names = [f"org{n % 17}/repo{n}" for n in range(args.repos)]
    fakes = {name: github.add_repo(name) for name in names}
    subs_of: dict[str, list[str]] = collections.defaultdict(list)
    for index in range(args.subscriptions):
        name = names[index % args.repos]
        channel = f"C{index:05d}"
        store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=RepoRef.parse(name),
                                              threshold=Importance.LOW, language="en"))
        subs_of[name].append(channel)
    store.close()

    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "POLL_"))}
    env.update({"DATABASE_URL": database, "GITHUB_API_URL": github.api_url, "SLACK_BOT_TOKEN": "xoxb-soak",
                "SLACK_SIGNING_SECRET": "soak", "SLACK_API_URL": slack.api_url, "POLL_INTERVAL": "5",
                "LOG_LEVEL": "INFO", "MAX_CARDS_PER_POLL": "10"})
    log = workdir / "worker.log"
    process = subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=workdir, env=env,
                               stdin=subprocess.DEVNULL, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    expected: set[tuple[str, str]] = set()
    try:
        wait_cycles(log, 1, process)  # the first cycle records every head: no flood of history
        github.reset_counts()
        rss_start = rss_mb(process.pid)
        started = time.monotonic()
        for cycle in range(1, args.cycles + 1):
            for name in rng.sample(names, args.per_cycle):
                sha = fakes[name].commit(f"fix: soak change {cycle}", files=[file_entry(f"src/soak_{cycle}.py")])
                expected.update((channel, sha) for channel in subs_of[name])
            wait_cycles(log, cycle + 1, process)
        wait_cycles(log, args.cycles + 2, process)  # one idle cycle to drain anything in flight
        elapsed = time.monotonic() - started
        rss_end = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    posted = collections.Counter()
    for message in slack.posts():
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        sha = key.rsplit(":", 1)[-1]
        if key.startswith("card:"):
            posted[(message["channel"], sha)] += 1
    delivered = set(posted)
    duplicates = sum(count - 1 for count in posted.values())
    lost = len(expected - delivered)
    counted = github.counted
    print(f"subscriptions {args.subscriptions} over {args.repos} repos, {args.cycles} cycles in {elapsed:.1f} s")
    print(f"resident memory: start {rss_start:.1f} MB, end {rss_end:.1f} MB "
          f"(target < {TARGET_RSS_MB:.0f} MB and flat)")
    print(f"cards delivered {len(delivered)} / expected {len(expected)}; duplicates {duplicates}; lost {lost}")
    print(f"GitHub requests {len(github.seen)}, counted against the rate limit {counted} "
          f"({args.cycles * args.per_cycle} new commits: listing + detail + pulls each), 304s {github.not_modified}")
    slack.stop()
    github.stop()
    ok = rss_end < TARGET_RSS_MB and duplicates == 0 and lost == 0
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
