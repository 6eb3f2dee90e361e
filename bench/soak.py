"""Soak benchmark: 1,000 subscriptions over 300 repos, many compressed poll intervals, a trickle of commits.

The bot is the real `commit-radar worker` process (its jobs: paced polls, analysis, delivery),
configured by environment to talk to fake GitHub, Slack and OpenAI servers in this process
(bench/stack.py). POLL_INTERVAL=5 stands for the real interval; each cycle a few repositories get
new commits and the cycle ends once every channel following them has its card. `--llm-model`
names the model the fake OpenAI serves: an OpenAI name (the default, gpt-4o-mini) loads the exact
tokenizer's vocabulary, the part of memory that depends on the model; `--llm-model none` runs the
heuristic only. Prints the worker's resident memory at start and end, cards delivered vs expected,
duplicates, losses, and GitHub requests that counted against the rate limit.

    .venv/bin/python bench/soak.py [--subscriptions 1000] [--repos 300] [--cycles 30] [--per-cycle 5]
                                   [--llm-model gpt-4o-mini|none]
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stack import Fakes, Role, delivery_key, wait_for  # noqa: E402

from bot.domain import Importance, RepoRef, Subscription  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.fake_github import file_entry  # noqa: E402

TARGET_RSS_MB = 250.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--repos", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--per-cycle", type=int, default=5, help="new commits per cycle (on random repos)")
    args = parser.parse_args()
    parser.add_argument("--llm-model", default="gpt-4o-mini", help="the model the fake OpenAI serves, or none")
    args = parser.parse_args()
    rng = random.Random(7)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake servers' request lines

    fakes = Fakes(llm_seconds=0)
    github, slack = fakes.github, fakes.slack
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    database = f"sqlite:///{workdir}/soak.db"
    store = open_store(database)
    now = datetime.now(UTC)
    names = [f"org{n % 17}/repo{n}" for n in range(args.repos)]
    repos = {name: github.add_repo(name) for name in names}
    subs_of: dict[str, list[str]] = collections.defaultdict(list)
    for index in range(args.subscriptions):
        name = names[index % args.repos]
        channel = f"C{index:05d}"
        store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=RepoRef.parse(name),
                                              threshold=Importance.LOW, language="en"), restart_cursor_at=now)
        subs_of[name].append(channel)
    store.close()

    llm = {"LLM_MODEL": args.llm_model} if args.llm_model != "none" else {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    # The request budget is not what is measured here (bench/pacing.py measures it): every branch is polled
    # each POLL_INTERVAL.
    worker = Role("worker", workdir, fakes.env(DATABASE_URL=database, POLL_INTERVAL="5", LOG_LEVEL="INFO",
                                               MAX_CARDS_PER_POLL="10", GITHUB_REQUESTS_PER_MINUTE="100000",
                                               **llm))
    expected: set[tuple[str, str]] = set()

    def cards() -> collections.Counter[tuple[str, str]]:
        posted: collections.Counter[tuple[str, str]] = collections.Counter()
        for call in slack.calls_to("chat.postMessage"):
            key = delivery_key(call.params)
            if key.startswith("card:"):
                posted[(str(call.params.get("channel")), key.rsplit(":", 1)[-1])] += 1
        return posted

    try:
        worker.start()
        # The first polls record every head (no flood of history): every repository asked once.
        wait_for(lambda: len({seen.path for seen in github.seen if seen.path.endswith("/commits")}) >= args.repos, 120,
                 "every repository's first poll", every=0.2)
        time.sleep(6)
        github.reset_counts()
        rss_start = rss_mb(worker.pid)
        started = time.monotonic()
        for cycle in range(1, args.cycles + 1):
            for name in rng.sample(names, args.per_cycle):
                sha = repos[name].commit(f"fix: soak change {cycle}", files=[file_entry(f"src/soak_{cycle}.py")])
                expected.update((channel, sha) for channel in subs_of[name])
            wait_for(lambda: expected <= set(cards()), 120, f"cycle {cycle}'s cards", every=0.2)
        time.sleep(6)  # one more interval: anything posted twice would arrive now
        elapsed = time.monotonic() - started
        rss_end = rss_mb(worker.pid)
    finally:
        worker.stop()
    posted = cards()
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
    print(f"LLM model {args.llm_model}: {len(fakes.llm.requests)} LLM calls")
    fakes.stop()
    ok = rss_end < TARGET_RSS_MB and duplicates == 0 and lost == 0
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
