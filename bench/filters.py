"""Benchmark: path filters on a 3,000-file commit with long paths, ordinary and hostile patterns.

Prints, for each subscription, what `wants()` answers, the automaton steps it took (the figure the
tests bound) and its CPU time, beside the floor (a subscription without path filters). The hostile
case is the finding's: 50 stored patterns of 200 characters (`**?**?…Z`, from before the limits),
each pair of pattern and path costing ~2.4 ms with the earlier position-set matcher. That matcher,
read from git history when available, is timed on a sample of pairs as the naive peer.

    .venv/bin/python bench/filters.py [--files 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain import Commit, FileChange, RepoRef, Subscription  # noqa: E402
from bot.domain.filters import STEPS_PER_COMMIT, Budget  # noqa: E402

# The commit that replaced the position-set matcher; its parent holds the naive peer.
BOUNDED_MATCHER_COMMIT = "d3b0c3d"
HOSTILE = [("**?" * n + "a" + "**?" * 65)[:199] + "Z" for n in range(50)]
CASES = {
    "no path filter (floor)": [],
    "src/**, docs/*.md, **/migrations/* (no file matches)": ["lib/**", "docs/*.md", "**/migrations/*"],
    "src/** (first file matches)": ["src/**"],
    "20 ordinary patterns (no file matches)": [f"pkg{n}/**/*.go" for n in range(20)],
    "stored hostile: 50 x 200 characters": HOSTILE,
}


def long_paths(count: int) -> list[str]:
    """Paths of about 250 characters holding every literal the hostile patterns look for."""
    return [f"src/{'a' * 30}Za/" + "/".join(f"dir{d:02d}{'b' * 20}" for d in range(8)) + f"/f{n}.py"
            for n in range(count)]


def timed(sub: Subscription, commit: Commit, limit: int, repeat: int) -> tuple[bool, int, float]:
    runs = []
    for _ in range(repeat):
        budget = Budget(limit=limit)
        started = time.process_time()
        answer = sub.wants(commit, "main", budget=budget)
        runs.append(time.process_time() - started)
    return answer, budget.used, statistics.median(runs)


def earlier_matcher() -> types.ModuleType | None:
    """The position-set matcher as it was before the bounded one, or None without git history."""
    try:
        source = subprocess.run(["git", "show", f"{BOUNDED_MATCHER_COMMIT}^:bot/service/filters.py"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    module = types.ModuleType("earlier_filters")
    exec(compile(source, "earlier_filters.py", "exec"), module.__dict__)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)  # the over-limit and over-budget warnings, once per case
    repo = RepoRef.parse("octo/widgets")
    paths = long_paths(args.files)
    commit = Commit(repo=repo, sha="a" * 40, message="chore: touch everything", author_name="Ada",
                    committed_at="2026-01-08T10:00:00Z", url="https://github.com/octo/widgets/commit/" + "a" * 40,
                    parents=("b" * 40,), files=tuple(FileChange(filename=path) for path in paths))
    print(f"{args.files} files, paths of {min(map(len, paths))}-{max(map(len, paths))} characters; "
          f"budget {STEPS_PER_COMMIT:,} steps per commit and subscription; median of {args.repeat} (CPU time)")
    print(f"{'subscription':55} {'wants':>5} {'steps':>11} {'time':>10}")
    for name, patterns in CASES.items():
        sub = Subscription(id=1, platform="slack", channel="C1", repo=repo, paths=patterns)
        answer, steps, seconds = timed(sub, commit, STEPS_PER_COMMIT, args.repeat)
        print(f"{name:55} {answer!s:>5} {steps:>11,} {seconds * 1000:>8.1f} ms")
    sub = Subscription(id=1, platform="slack", channel="C1", repo=repo, paths=HOSTILE)
    answer, steps, seconds = timed(sub, commit, 10**12, 1)
    print(f"{'stored hostile, no budget (every pair matched)':55} {answer!s:>5} {steps:>11,} {seconds * 1000:>8.1f} ms")
    earlier = earlier_matcher()
    if earlier is None:
        print("naive peer (earlier position-set matcher): skipped, no git history")
        return 0
    sample = paths[:10]
    started = time.process_time()
    for path in sample:
        earlier.path_matches(HOSTILE[0], path)
    per_pair = (time.process_time() - started) / len(sample)
    pairs = len(HOSTILE) * len(paths)
    print(f"naive peer (earlier position-set matcher): {per_pair * 1000:.2f} ms per pair, so "
          f"{per_pair * pairs:,.0f} s for the hostile subscription's {pairs:,} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
