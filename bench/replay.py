"""Benchmark: replay a real branch's history (a commit corpus, bench/corpus.py) through the real `commit-radar run`.

The corpus is served by the fake GitHub (bench/stack.py) with the branch at the corpus's base; the real
process (SQLite, a fake Slack, heuristic analyses or the fake OpenAI) follows it from one channel per
`--min` level. `--mode steps` moves the branch head one first-parent step at a time, each followed by a
push webhook (`--trigger push`) or the next scheduled poll (`--trigger poll`, POLL_INTERVAL=5: slow);
`--mode burst` moves it from the base to the last step in one push. Each move waits until the bot's
cursor is at the new head and every commit it stored is delivered (read from its database).

Prints the cards and roll-ups each channel got and the commits they name, the commits of the range that
no message names by short SHA, GitHub requests (total, counted against the limit, per new commit), LLM
calls and tokens, and how the importance the bot stored (its analyses table) agrees with labels.json:
exact, per-class recall, high<->low inversions. GITHUB_REQUESTS_PER_MINUTE is raised out of the way:
pacing is bench/pacing.py's figure, not this one's.

    .venv/bin/python bench/replay.py [--corpus DIR] [--mode steps|burst] [--steps N] [--trigger push|poll]
                                     [--llm none|fake] [--min high] [--min medium] [--max-cards N]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_CORPUS, Corpus, CorpusGitHub, load, serve
from replay_figures import Channel, Run, report
from stack import Fakes, Role, TimedGitHub, percentile, wait_for

from bot.domain import Importance, RepoRef, Subscription
from bot.store import Store, open_store

TARGET_WALL_SECONDS = 300
STEP_TIMEOUT = 120
BURST_TIMEOUT = 900
CHANNELS = {"high": "C_HIGH", "medium": "C_MEDIUM", "low": "C_LOW"}


class ReplayGitHub(CorpusGitHub, TimedGitHub):
    """The corpus-serving fake GitHub, also timing its answers as the stack's does."""


@dataclass
class Moves:
    """How the replay moved the branch: seconds from each move to its settled delivery, pushes sent."""

    seconds: list[float]
    pushes: int = 0


def main() -> int:
    args = _arguments()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        corpus = load(args.corpus)
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"cannot read the corpus at {args.corpus}: {type(exc).__name__}: {exc}") from None
    count = min(args.steps or len(corpus.steps), len(corpus.steps))
    began = time.monotonic()
    fakes = Fakes(0, github_class=ReplayGitHub)
    folder = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    database = f"sqlite:///{folder}/replay.db"
    repo = serve(fakes.github, corpus)
    channels = _seed(database, corpus, args.min or ["high"])
    bot = Role("run", folder, fakes.env(**_bot_env(args, database)))
    store: Store | None = None
    try:
        bot.start()
        started = time.monotonic()
        store = open_store(database, run_migrations=False)
        _settle(store, corpus, corpus.base, STEP_TIMEOUT, bot)  # the first poll: the cursor starts at the base
        moves = _replay(args, corpus, count, repo, store, bot)
        replayed = time.monotonic() - started
    finally:
        bot.stop()
        fakes.stop()
    assert store is not None
    run = Run(corpus=corpus, count=count, store=store, fakes=fakes, channels=channels,
              mode=_describe(args, count, moves), measured_at=_git_version())
    report(run)
    store.close()
    wall = time.monotonic() - began
    print(f"wall time {wall:.1f} s (replay {replayed:.1f} s; per move p50 {percentile(moves.seconds, 0.5):.2f} s, "
          f"p90 {percentile(moves.seconds, 0.9):.2f} s, max {max(moves.seconds):.2f} s)   "
          f"target <= {TARGET_WALL_SECONDS} s for the full corpus; the bot's log: {bot.log_path}")
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="a corpus directory (default: %(default)s)")
    parser.add_argument("--mode", choices=("steps", "burst"), default="steps")
    parser.add_argument("--steps", type=int, default=None, help="replay only the first N steps")
    parser.add_argument("--trigger", choices=("push", "poll"), default="push",
                        help="after each move, a push webhook or the next poll (POLL_INTERVAL=5)")
    parser.add_argument("--llm", choices=("none", "fake"), default="none",
                        help="none: the heuristic; fake: the stack's fake OpenAI (counted)")
    parser.add_argument("--min", action="append", choices=tuple(CHANNELS),
                        help="a channel subscribed at this level (repeat for more; default: high)")
    parser.add_argument("--max-cards", type=int, default=None, help="MAX_CARDS_PER_POLL (default: the bot's)")
    return parser.parse_args()


def _bot_env(args: argparse.Namespace, database: str) -> dict[str, str]:
    env = {"DATABASE_URL": database, "POLL_INTERVAL": "5" if args.trigger == "poll" else "300",
           # The limit is not what is measured; at the default 500 a minute the replay would wait on it.
           "GITHUB_REQUESTS_PER_MINUTE": "100000"}
    if args.llm == "none":
        # Empty means unset; a base URL alone would still select an LLM (a local server needs no key).
        env["OPENAI_API_KEY"] = env["OPENAI_BASE_URL"] = ""
    if args.max_cards:
        env["MAX_CARDS_PER_POLL"] = str(args.max_cards)
    return env


def _seed(database: str, corpus: Corpus, levels: list[str]) -> list[Channel]:
    """One Slack channel per level, following the corpus's branch from its base."""
    store = open_store(database)
    channels = []
    for level in dict.fromkeys(levels):
        sub = Subscription(platform="slack", channel=CHANNELS[level], repo=RepoRef.parse(corpus.repository),
                           branch=corpus.branch, threshold=Importance(level), language="en")
        saved, _ = store.subscriptions.save(sub, restart_cursor_at=datetime.now(UTC))
        channels.append(Channel(level=Importance(level), channel=CHANNELS[level], subscription_id=int(saved.id or 0)))
    store.close()
    return channels


def _replay(args: argparse.Namespace, corpus: Corpus, count: int, repo, store: Store, bot: Role) -> Moves:
    """Move the branch head (every step, or straight to the last one) and wait for each move to settle."""
    heads = corpus.steps[:count] if args.mode == "steps" else [corpus.steps[count - 1]]
    timeout = STEP_TIMEOUT if args.mode == "steps" else BURST_TIMEOUT
    moves = Moves(seconds=[])
    for head in heads:
        moved = time.monotonic()
        repo.reset(corpus.branch, head)
        if args.trigger == "push":
            if bot.push(corpus.repository, corpus.branch) != 202:
                raise SystemExit("the push webhook was not accepted")
            moves.pushes += 1
        _settle(store, corpus, head, timeout, bot)
        moves.seconds.append(time.monotonic() - moved)
    return moves


def _settle(store: Store, corpus: Corpus, head: str, timeout: float, bot: Role) -> None:
    """Wait until the cursor is at `head` and no stored commit of the branch waits for delivery."""
    ref = RepoRef.parse(corpus.repository)

    def settled() -> bool:
        if store.cursors.get(ref, corpus.branch).last_sha != head:
            return False
        return not store.commits.unprocessed(limit=1, pairs=[(ref, corpus.branch)])

    try:
        wait_for(settled, timeout, f"the bot to reach {head[:8]} and deliver", every=0.02)
    except TimeoutError as exc:
        cursor = store.cursors.get(ref, corpus.branch)
        raise SystemExit(f"{exc}; the cursor is at {(cursor.last_sha or 'nothing')[:8]} "
                         f"(failure: {cursor.failure_kind or 'none'} {cursor.failure_message or ''}); "
                         f"the bot's log: {bot.log_path}") from None


def _describe(args: argparse.Namespace, count: int, moves: Moves) -> str:
    pushes = f"{moves.pushes} push webhook{'s' if moves.pushes != 1 else ''}"
    how = pushes if args.trigger == "push" else "scheduled polls (POLL_INTERVAL=5)"
    what = "one move per step" if args.mode == "steps" else f"one move from the base to step {count}"
    llm = ("heuristic only (no LLM)" if args.llm == "none"
           else "the fake OpenAI (it answers importance high to every commit: the agreement below is the fake's)")
    cards = f"MAX_CARDS_PER_POLL={args.max_cards}" if args.max_cards else "MAX_CARDS_PER_POLL default"
    return f"{args.mode} mode, {what}, {how}; {llm}; {cards}"


def _git_version() -> str:
    """The checkout the `bot` package is imported from (the bot process imports the same one), and its commit."""
    import bot

    checkout = Path(bot.__file__).resolve().parent.parent
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=checkout, capture_output=True,
                                   text=True, timeout=10).stdout.strip()
    except OSError:
        described = ""
    return f"{described or 'no git commit'} ({checkout})"


if __name__ == "__main__":
    raise SystemExit(main())
