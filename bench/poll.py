"""Benchmark: one idle poll cycle over 1,000 watched repositories on a fake GitHub with 50 ms latency.

Runs the fake GitHub (tests/fake_github.py, served by waitress with keep-alive) in a child process so the
thread count measured here is the bot's own. The bot side is the production code path: poll_all
over GitHubSource (PyGithub) and a SQLite store. A first cycle initialises the cursors (and their
ETags); the second, measured cycle is the idle one. Prints its wall time, the requests the fake
received, how many count against the rate limit (anything but 304), and the peak thread count.

    .venv/bin/python bench/poll.py [--repos 1000] [--latency 0.05] [--concurrency N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.domain import RepoRef
from bot.github.client import GitHubClient
from bot.github.retry import GitHubRetry
from bot.github.source import GitHubSource
from bot.service.poller import poll_all
from bot.store import open_store

TARGET_SECONDS = 5.0


def serve_fake(connection, repos: int, latency: float) -> None:
    """Child process: a fake GitHub with `repos` repositories, answering commands over a pipe."""
    from tests.fake_github import FakeGitHub

    fake = FakeGitHub.serve(latency=latency)
    for index in range(repos):
        fake.add_repo(f"bench-org/repo-{index:04}")
    connection.send(fake.api_url)
    while True:
        command = connection.recv()
        if command == "reset":
            fake.reset_counts()
            connection.send(True)
        elif command == "stats":
            connection.send({"requests": len(fake.seen), "not_modified": fake.not_modified,
                             "counted": fake.counted})
        else:
            fake.stop()
            connection.send(True)
            return


class ThreadPeak:
    """Samples threading.active_count() in the background; `peak` is the highest seen."""

    def __init__(self, interval: float = 0.002) -> None:
        self.peak = threading.active_count()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, threading.active_count())
            time.sleep(self._interval)

    def __enter__(self) -> ThreadPeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every fake GitHub answer")
    parser.add_argument("--concurrency", type=int, default=defaults.poll_concurrency,
                        help=f"polls in flight (default: POLL_CONCURRENCY default, {defaults.poll_concurrency})")
    args = parser.parse_args()

    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=serve_fake, args=(child_end, args.repos, args.latency), daemon=True)
    child.start()
    api_url = parent_end.recv()

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        source = GitHubSource(GitHubClient(api_url, None, 10, GitHubRetry()))
        pairs = [(RepoRef.parse(f"bench-org/repo-{index:04}"), "main") for index in range(args.repos)]
        clock = lambda: datetime.now(UTC)  # noqa: E731

        started = time.perf_counter()
        first = poll_all(source, store, pairs, args.concurrency, clock)
        setup_seconds = time.perf_counter() - started
        initialized = sum(outcome.status == "initialized" for outcome in first)

        parent_end.send("reset")
        parent_end.recv()
        before = source.stats.snapshot()
        with ThreadPeak() as threads:
            started = time.perf_counter()
            cpu_started = time.process_time()
            idle = poll_all(source, store, pairs, args.concurrency, clock)
            idle_seconds = time.perf_counter() - started
            idle_cpu = time.process_time() - cpu_started
        after = source.stats.snapshot()
        parent_end.send("stats")
        server = parent_end.recv()
        source.close()
        store.close()

    parent_end.send("stop")
    parent_end.recv()
    child.join(5)

    statuses = {status: sum(o.status == status for o in idle) for status in {o.status for o in idle}}
    print(f"repositories:                 {args.repos}")
    print(f"latency per request:          {args.latency * 1000:.0f} ms")
    print(f"concurrency:                  {args.concurrency}")
    print(f"first cycle (cursors set):    {setup_seconds:.2f} s, {initialized} initialized")
    print(f"idle cycle wall time:         {idle_seconds:.2f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(f"idle cycle CPU per repository: {1000 * idle_cpu / max(len(pairs), 1):.2f} ms (target <= 1 ms)")
    print(f"idle cycle outcomes:          {statuses}")
    print(f"idle cycle requests (server): {server['requests']}")
    print(f"  counted against rate limit: {server['counted']} (non-304; target 0)")
    print(f"  client-side requests/304s:  {after['requests'] - before['requests']}"
          f"/{after['not_modified'] - before['not_modified']}")
    print(f"peak threads (bot process):   {threads.peak}")
    ok = idle_seconds <= TARGET_SECONDS and server["counted"] == 0 and statuses == {"not_modified": args.repos}
    print("result:                       " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
