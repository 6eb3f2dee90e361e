"""Benchmark: push webhook -> card, with POLL_INTERVAL=300 (so only the push can explain a quick card).

Two shapes of the real processes against fake GitHub, Slack and OpenAI servers (bench/stack.py):
`commit-radar run` on SQLite (one process), and `commit-radar serve` + `commit-radar worker` on
PostgreSQL (a fresh schema of TEST_DATABASE_URL or DATABASE_URL; skipped with a message when
neither answers). One subscription at `--min low`; after the first poll has recorded the head,
`--pushes` times: one commit lands, a signed push webhook goes to the web process, and the time
until the fake Slack accepts that commit's card is taken. The LLM answers after `--llm-seconds`.
Prints p50 and p90 per shape beside the target: p50 <= 1 s + the LLM's time.

    .venv/bin/python bench/push_latency.py [--pushes 10] [--llm-seconds 0.2]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Fakes, Role, fresh_schema, percentile, postgres_base, postgres_usable, wait_for

from bot.domain import Importance, RepoRef, Subscription
from bot.store import open_store
from tests.fake_github import file_entry

REPO = "bench/pushes"
TARGET_OVER_LLM = 1.0


def seed(database: str) -> None:
    """One Slack subscription to REPO that wants every commit."""
    store = open_store(database)
    store.subscriptions.save(Subscription(platform="slack", channel="C0001", repo=RepoRef.parse(REPO),
                                          threshold=Importance.LOW, language="en"),
                             restart_cursor_at=datetime.now(UTC))
    store.close()


def measure(fakes: Fakes, web: Role, pushes: int) -> list[float]:
    """Seconds from each push webhook to its card."""
    repo = fakes.github.repos[REPO]
    wait_for(lambda: fakes.github.count(f"/repos/{REPO}/commits"), 60, "the first poll")
    time.sleep(1)  # the first poll's job finishes; the next push is not queued behind it
    latencies = []
    for n in range(pushes):
        sha = repo.commit(f"fix: pushed change {n}", files=[file_entry(f"src/push_{n}.py")])
        pushed = time.monotonic()
        if web.push(REPO) != 202:
            raise SystemExit("the push webhook was not accepted")
        posted = wait_for(lambda sha=sha: fakes.card_posted_at(sha), 60, f"the card of push {n}", every=0.005)
        latencies.append(float(posted) - pushed)  # type: ignore[arg-type]
        time.sleep(0.3)
    return latencies


def run_sqlite(fakes: Fakes, args: argparse.Namespace) -> list[float]:
    """`commit-radar run` on SQLite."""
    folder = Path(tempfile.mkdtemp(prefix="bench-push-run-"))
    database = f"sqlite:///{folder}/push.db"
    seed(database)
    bot = Role("run", folder, fakes.env(DATABASE_URL=database, POLL_INTERVAL="300"))
    try:
        bot.start()
        return measure(fakes, bot, args.pushes)
    finally:
        bot.stop()


def run_postgres(fakes: Fakes, args: argparse.Namespace, base: str) -> list[float]:
    """`commit-radar serve` + `commit-radar worker` on a fresh PostgreSQL schema."""
    folder = Path(tempfile.mkdtemp(prefix="bench-push-pg-"))
    with fresh_schema(base) as database:
        seed(database)
        env = fakes.env(DATABASE_URL=database, POLL_INTERVAL="300")
        worker, web = Role("worker", folder, env), Role("serve", folder, env)
        try:
            worker.start()  # first: it installs the job queue's schema
            web.start()
            for role in (worker, web):
                if role.unhealthy:
                    print(f"  note: {role.unhealthy}")
            return measure(fakes, web, args.pushes)
        finally:
            web.stop()
            worker.stop()


def report(shape: str, latencies: list[float], llm_seconds: float) -> bool:
    """Print one shape's figures; True when p50 meets the target."""
    p50, p90 = percentile(latencies, 0.5), percentile(latencies, 0.9)
    target = TARGET_OVER_LLM + llm_seconds
    print(f"{shape:<28} p50 {p50:5.2f} s  p90 {p90:5.2f} s  max {max(latencies):5.2f} s   "
          f"target p50 <= {target:.1f} s (ratio {p50 / target:.2f}x)")
    return p50 <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10)
    parser.add_argument("--llm-seconds", type=float, default=0.2)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    print(f"push -> card, POLL_INTERVAL=300, {args.pushes} pushes, LLM {args.llm_seconds:.1f} s per call")
    ok = True
    fakes = Fakes(args.llm_seconds)
    try:
        fakes.github.add_repo(REPO)
        ok = report("run (SQLite):", run_sqlite(fakes, args), args.llm_seconds) and ok
        base = postgres_base()
        problem = postgres_usable(base) if base else "TEST_DATABASE_URL / DATABASE_URL not set"
        if problem:
            print(f"serve + worker (PostgreSQL): skipped ({problem})")
        else:
            fakes.github.reset_counts()
            ok = report("serve + worker (PostgreSQL):", run_postgres(fakes, args, str(base)), args.llm_seconds) and ok
    finally:
        fakes.stop()
    print("result: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
