"""Benchmark: 5,000 watched repositories on PostgreSQL with 1, 2 and 4 `commit-radar worker` processes.

The real processes against fake GitHub, Slack and OpenAI servers in this process (bench/stack.py),
on a fresh schema of TEST_DATABASE_URL or DATABASE_URL (skipped with a message when none answers).
Compressed so it runs in a few minutes: GITHUB_REQUESTS_PER_MINUTE=`--limit` (1,200; the default
is 500) and POLL_INTERVAL=`--interval` (60 s), so the 5,000 branches do not fit and the interval
stretches; each phase starts with every branch due at once (the worst case: a deploy after an
outage, or 5,000 new subscriptions). A set-up worker with an unlimited budget first polls every
repository once, so the measured polls are idle ones (the fake answers 304).

Per number of workers, two parts:
- idle (`--phase` s at the limit): GitHub requests per minute, the maximum over every 1-minute
  window (must never exceed the limit), the polls made, and the workers' CPU time per poll;
- burst (limit lifted, the idle branches not due): `--burst-repos` repositories get
  `--burst-commits` commits each and a push webhook (to one `commit-radar serve`); analyses per
  second from the first push to the last card, with an LLM of `--llm-seconds` and LLM_CONCURRENCY=4,
  beside the single-worker figure (ideal: proportional to the workers).

    .venv/bin/python bench/pacing.py [--repos 5000] [--limit 1200] [--interval 60] [--phase 65]
"""

from __future__ import annotations

import argparse
import bisect
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from stack import Fakes, Role, cpu_seconds, fresh_schema, postgres_base, postgres_usable, wait_for

from bot.domain import Importance, RepoRef, Subscription
from bot.service.pacing import POLL_SHARE
from bot.store import open_store
from tests.fake_github import file_entry

# Budget of the set-up and burst parts: high enough not to matter, low enough that the set-up tick does not
# queue thousands of polls at once (a procrastinate fetch slows with thousands of jobs waiting).
UNLIMITED = "12000"
LLM_CONCURRENCY = 4


@dataclass
class Phase:
    """What one number of workers did."""

    workers: int
    max_per_minute: int
    polls: int
    counted: int
    cpu_ms_per_poll: float
    cores: float
    analyses: int
    analyses_per_second: float
    peak_llm: int


def idle_name(index: int) -> str:
    return f"idle/repo-{index:05d}"


def burst_name(workers: int, index: int) -> str:
    return f"burst{workers}/repo-{index:02d}"


def seed(database: str, names: list[str]) -> None:
    """One Slack subscription per repository, each in its own channel, wanting every commit."""
    store = open_store(database)
    now = datetime.now(UTC)
    for index, name in enumerate(names):
        store.subscriptions.save(Subscription(platform="slack", channel=f"C{index:05d}", repo=RepoRef.parse(name),
                                              threshold=Importance.LOW, language="en"), restart_cursor_at=now)
    store.close()


def max_per_minute(times: list[float]) -> int:
    """The most requests in any 60 s window (each window starting at a request)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, start + 60) - index for index, start in enumerate(times)), default=0)


def set_idle_due(engine: Engine, seconds_from_now: int) -> None:
    """Make every idle branch due `seconds_from_now` (0: at once)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE repo_cursors SET next_poll_at = now() + make_interval(secs => :s), "
                          "poll_requested_at = NULL WHERE repo LIKE 'idle/%'"), {"s": seconds_from_now})
        # Polls the previous part left waiting (the set-up's unlimited budget hands out thousands) would
        # be run by the next part's workers and counted there.
        conn.execute(text("DELETE FROM procrastinate_jobs WHERE status = 'todo' "
                          "AND task_name IN ('poll', 'poll_batch')"))


def start_workers(count: int, folder: Path, env: dict[str, str]) -> list[Role]:
    """`count` workers, started one after another (each ready when its HTTP server answers)."""
    workers: list[Role] = []
    try:
        for _ in range(count):
            workers.append(Role("worker", folder, env))
            workers[-1].start(ok_within=1)  # /healthz is not what is measured here
    except BaseException:
        stop_all(workers)
        raise
    return workers


def stop_all(roles: list[Role]) -> None:
    for role in roles:
        role.stop()


def idle_phase(fakes: Fakes, count: int, folder: Path, env: dict[str, str], seconds: float) -> tuple[list[float], int,
                                                                                                     int, float, float]:
    """Run `count` workers for `seconds`: request times, polls (304s), other requests, CPU seconds, wall seconds."""
    first = len(fakes.github.answered)
    workers = start_workers(count, folder, env)
    try:
        started = time.monotonic()
        cpu = [cpu_seconds(worker.pid) for worker in workers]
        time.sleep(seconds)
        used = sum(cpu_seconds(worker.pid) - before for worker, before in zip(workers, cpu, strict=True))
        wall = time.monotonic() - started
    finally:
        stop_all(workers)
    answered = fakes.github.answered[first:]
    polls = sum(status == 304 for _, status in answered)
    return [at for at, _ in answered], polls, len(answered) - polls, used, wall


def burst_phase(fakes: Fakes, count: int, folder: Path, env: dict[str, str], web: Role,
                args: argparse.Namespace) -> tuple[int, float, int]:
    """Commits on the burst repositories and a push each: analyses, analyses per second, peak LLM calls in flight."""
    workers = start_workers(count, folder, env)
    fakes.llm.max_in_flight = 0
    try:
        shas = []
        for index in range(args.burst_repos):
            repo = fakes.github.repos[burst_name(count, index)]
            shas += [repo.commit(f"fix: burst {n}", files=[file_entry(f"src/b{n}.py")])
                     for n in range(args.burst_commits)]
        started = time.monotonic()
        for index in range(args.burst_repos):
            if web.push(burst_name(count, index)) != 202:
                raise SystemExit("a push webhook was not accepted")
        wait_for(lambda: all(fakes.card_posted_at(sha) for sha in shas), 600, "the burst's cards", every=0.2)
        last = max(float(fakes.card_posted_at(sha) or 0) for sha in shas)
    finally:
        stop_all(workers)
    return len(shas), len(shas) / (last - started), fakes.llm.max_in_flight


def measure(fakes: Fakes, database: str, folder: Path, args: argparse.Namespace) -> list[Phase]:
    """Set up, then one idle and one burst part per number of workers."""
    counts = [int(part) for part in args.workers.split(",")]
    names = [idle_name(index) for index in range(args.repos)]
    names += [burst_name(count, index) for count in counts for index in range(args.burst_repos)]
    for name in names:
        fakes.github.add_repo(name)
    started = time.monotonic()
    seed(database, names)
    print(f"set-up: {len(names)} subscriptions stored in {time.monotonic() - started:.0f} s", flush=True)
    engine = create_engine(make_url(database).set(drivername="postgresql+psycopg"))
    base = {"DATABASE_URL": database, "POLL_INTERVAL": str(args.interval), "LLM_CONCURRENCY": str(LLM_CONCURRENCY)}
    limited = fakes.env(**base, GITHUB_REQUESTS_PER_MINUTE=str(args.limit))
    unlimited = fakes.env(**base, GITHUB_REQUESTS_PER_MINUTE=UNLIMITED)
    started = time.monotonic()
    setup = start_workers(1, folder, unlimited)
    web = Role("serve", folder, unlimited)
    try:
        def initialised() -> bool:
            with engine.connect() as conn:
                done = conn.execute(text("SELECT count(*) FROM repo_cursors WHERE etag IS NOT NULL")).scalar()
            return int(done or 0) >= len(names)

        wait_for(initialised, 900, "every repository's first poll", every=1)
        print(f"set-up: first poll of every repository in {time.monotonic() - started:.0f} s", flush=True)
        stop_all(setup)
        web.start(ok_within=1)
        phases = []
        for count in counts:
            set_idle_due(engine, 0)
            times, polls, counted, cpu, wall = idle_phase(fakes, count, folder, limited, args.phase)
            set_idle_due(engine, 3600)
            analyses, rate, peak = burst_phase(fakes, count, folder, unlimited, web, args)
            phases.append(Phase(count, max_per_minute(times), polls, counted, 1000 * cpu / max(polls, 1),
                                cpu / wall, analyses, rate, peak))
            print(f"  {count} worker(s): {phases[-1]}", flush=True)  # kept even if a later part fails
        return phases
    finally:
        stop_all(setup)
        web.stop()
        engine.dispose()


def report(phases: list[Phase], args: argparse.Namespace) -> bool:
    """Print the table; True when no window went over the limit."""
    per_tick = max(1, int(args.limit * POLL_SHARE * 5 / 60))
    print(f"{args.repos} idle repositories (304s), GITHUB_REQUESTS_PER_MINUTE={args.limit} "
          f"(polls' share {int(per_tick * 12)}/min), POLL_INTERVAL={args.interval} s "
          f"(stretched to {args.repos * 5 / per_tick:.0f} s), {args.phase:.0f} s per idle part")
    print(f"burst: {args.burst_repos} repos x {args.burst_commits} commits, LLM {args.llm_seconds:.1f} s, "
          f"LLM_CONCURRENCY={LLM_CONCURRENCY} per worker")
    print("workers  max req/min (limit)  polls  other req  CPU ms/poll  cores   analyses/s  vs 1 worker (ideal)  "
          "peak LLM")
    single = phases[0].analyses_per_second / phases[0].workers
    ok = True
    for phase in phases:
        over = phase.max_per_minute > args.limit
        ok = ok and not over
        print(f"{phase.workers:>7}  {phase.max_per_minute:>6} ({args.limit}){' OVER' if over else '     '}  "
              f"{phase.polls:>5}  {phase.counted:>9}  {phase.cpu_ms_per_poll:>11.2f}  {phase.cores:>5.2f}  "
              f"{phase.analyses_per_second:>11.2f}  {phase.analyses_per_second / single:>8.2f}x ({phase.workers}x)"
              f"{phase.peak_llm:>10}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=1200, help="GITHUB_REQUESTS_PER_MINUTE")
    parser.add_argument("--interval", type=int, default=60, help="POLL_INTERVAL")
    parser.add_argument("--phase", type=float, default=65, help="seconds of each idle part (>= 60)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--burst-repos", type=int, default=16)
    parser.add_argument("--burst-commits", type=int, default=5)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    base = postgres_base()
    problem = postgres_usable(base) if base else "TEST_DATABASE_URL / DATABASE_URL not set"
    if problem:
        print(f"pacing: skipped, it needs PostgreSQL ({problem})")
        return 0
    fakes = Fakes(args.llm_seconds)
    folder = Path(tempfile.mkdtemp(prefix="bench-pacing-"))
    try:
        with fresh_schema(str(base)) as database:
            phases = measure(fakes, database, folder, args)
    finally:
        fakes.stop()
    ok = report(phases, args)
    print("result: " + ("PASS" if ok else "FAIL") + " (requests per minute never above the limit)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
