"""Benchmark: a 50-commit burst on one repository, an LLM that takes 2 s, LLM_CONCURRENCY=4.

The real `commit-radar run` process (SQLite) against fake GitHub, Slack and OpenAI servers in this
process (bench/stack.py). One subscription at `--min low`, so every commit is analysed; with
MAX_CARDS_PER_POLL=10 the poll posts 10 cards and then one roll-up naming the other 40. After the
first poll has recorded the head, `--commits` commits land and one push webhook arrives; the figure
is the time from that push to the last post (the roll-up). The ideal is every analysis in flight
`LLM_CONCURRENCY` at a time: ceil(50 / 4) x 2 s = 26 s; target <= 1.3x that.

    .venv/bin/python bench/burst.py [--commits 50] [--llm-seconds 2] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Fakes, Role, delivery_key, wait_for

from bot.domain import Importance, RepoRef, Subscription
from bot.store import open_store
from tests.fake_github import file_entry

TARGET_RATIO = 1.3
REPO = "bench/burst"
CHANNEL = "C0001"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4, help="LLM_CONCURRENCY")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fakes' request lines

    fakes = Fakes(args.llm_seconds)
    folder = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    database = f"sqlite:///{folder}/burst.db"
    repo = fakes.github.add_repo(REPO)
    store = open_store(database)
    store.subscriptions.save(Subscription(platform="slack", channel=CHANNEL, repo=RepoRef.parse(REPO),
                                          threshold=Importance.LOW, language="en"),
                             restart_cursor_at=datetime.now(UTC))
    store.close()
    bot = Role("run", folder, fakes.env(DATABASE_URL=database, POLL_INTERVAL="300",
                                        LLM_CONCURRENCY=str(args.concurrency), MAX_CARDS_PER_POLL="10"))
    try:
        bot.start()
        # The first poll records the head (no flood of history): the burst comes after it.
        wait_for(lambda: fakes.github.count(f"/repos/{REPO}/commits"), 60, "the first poll")
        time.sleep(1)
        for n in range(args.commits):
            repo.commit(f"fix: burst change {n}", files=[file_entry(f"src/burst_{n}.py")])
        pushed = time.monotonic()
        if bot.push(REPO) != 202:
            raise SystemExit("the push webhook was not accepted")
        expected_cards = min(args.commits, 10)

        def finished() -> bool:
            keys = [delivery_key(call.params) for call in fakes.slack.calls_to("chat.postMessage")]
            cards = sum(key.startswith("card:") for key in keys)
            rollups = sum(key.startswith("rollup:") for key in keys)
            return cards >= expected_cards and (rollups >= 1 or args.commits <= 10)

        wait_for(finished, 60 + 10 * args.commits * args.llm_seconds, "the cards and the roll-up", every=0.05)
        last = max(call.at for call in fakes.slack.calls_to("chat.postMessage"))
    finally:
        bot.stop()
        fakes.stop()

    elapsed = last - pushed
    ideal = math.ceil(args.commits / args.concurrency) * args.llm_seconds
    ratio = elapsed / ideal
    posts = fakes.slack.calls_to("chat.postMessage")
    print(f"burst: {args.commits} commits, LLM {args.llm_seconds:.1f} s per call, LLM_CONCURRENCY={args.concurrency}")
    print(f"LLM calls {len(fakes.llm.requests)}, peak in flight {fakes.llm.max_in_flight}; posts {len(posts)} "
          f"({sum(delivery_key(c.params).startswith('card:') for c in posts)} cards + roll-up)")
    print(f"push -> roll-up (last post): {elapsed:6.1f} s   ideal {ideal:.0f} s   ratio {ratio:.2f}x "
          f"(target <= {TARGET_RATIO}x)")
    ok = ratio <= TARGET_RATIO
    print("result: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
