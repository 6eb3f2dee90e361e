"""bench/replay.py's figures: what the chat got, what GitHub and the LLM were asked, and how the importance
the bot stored agrees with the corpus's labels. Read from the bot's database and the fakes after the run.

Not a benchmark itself (`make bench` runs it as a script: it prints what it holds and exits 0).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import IMPORTANCES, Corpus
from stack import Fakes, delivery_key

from bot.analysis.tokens import estimate_tokens
from bot.domain import Importance
from bot.store import Store
from bot.store.schema import analyses, commits, deliveries

# A hex run of 7-40 digits standing alone: a short SHA, or a full one (in a link) that starts with it.
_HEX_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{7,40}(?![0-9a-f])")
IDEAL_REQUESTS_PER_COMMIT = 2


@dataclass(frozen=True)
class Channel:
    """One subscribed channel: its level, its Slack channel id, its subscription."""

    level: Importance
    channel: str
    subscription_id: int


@dataclass
class Run:
    """What a finished replay leaves to read."""

    corpus: Corpus
    count: int  # steps replayed
    store: Store
    fakes: Fakes
    channels: list[Channel]
    mode: str
    measured_at: str


@dataclass(frozen=True)
class Decided:
    """The importance the bot stored for one commit (its newest analysis in English) and where it came from."""

    importance: str
    source: str


def report(run: Run) -> None:
    """Print every figure of the run."""
    shas = run.corpus.shas(run.count)
    decided = decided_importance(run.store, run.corpus.repository)
    print(f"replay of {run.corpus.repository}@{run.corpus.branch} ({run.corpus.directory}): {run.count} of "
          f"{len(run.corpus.steps)} steps, {len(shas)} commits; {run.mode}; measured at {run.measured_at}")
    stored = stored_shas(run.store, run.corpus.repository)
    sources = Counter(decided[sha].source for sha in shas if sha in decided)
    lost = len(set(shas) - stored)
    print(f"commits stored {len(stored & set(shas))} of {len(shas)} (ideal all"
          + (f"; {lost} never stored, so neither analysed nor named" if lost else "") + "); analysed "
          f"{sum(sources.values())} ({', '.join(f'{k} {v}' for k, v in sorted(sources.items())) or 'none'})")
    github_figures(run.fakes, len(stored & set(shas)))
    llm_figures(run)
    named_anywhere: set[str] = set()
    for channel in run.channels:
        named_anywhere |= channel_figures(run, channel, shas, decided)
    nowhere = len(set(shas) - named_anywhere)
    print(f"commits of the range named in no chat message (by short SHA): {nowhere} of {len(shas)}")
    labels = {sha: run.corpus.labels[sha] for sha in shas if sha in run.corpus.labels}
    for line in agreement(labels, {sha: item.importance for sha, item in decided.items()}):
        print(line)


def decided_importance(store: Store, repo: str) -> dict[str, Decided]:
    """Per SHA, the importance of the newest English analysis stored for `repo`."""
    query = (analyses.select().with_only_columns(analyses.c.sha, analyses.c.importance, analyses.c.source)
             .where(analyses.c.repo == repo, analyses.c.language == "en").order_by(analyses.c.created_at))
    with store.engine.connect() as conn:
        return {row.sha: Decided(row.importance, row.source) for row in conn.execute(query)}


def stored_shas(store: Store, repo: str) -> set[str]:
    """Every commit of `repo` the bot stored."""
    with store.engine.connect() as conn:
        return {row.sha for row in conn.execute(commits.select().with_only_columns(commits.c.sha)
                                                .where(commits.c.repo == repo))}


def github_figures(fakes: Fakes, new_commits: int) -> None:
    """Requests the fake GitHub answered, by endpoint; counted ones (all but 304s) per new commit."""
    kinds: Counter[str] = Counter()
    for seen in fakes.github.seen:
        kinds[_endpoint(seen.path)] += 1
    counted = fakes.github.counted
    per_commit = counted / new_commits if new_commits else 0.0
    print(f"GitHub requests {len(fakes.github.seen)} (304s {fakes.github.not_modified}, counted against the limit "
          f"{counted}): " + ", ".join(f"{kind} {kinds[kind]}" for kind in ("listing", "compare", "detail", "pulls",
                                                                              "other")))
    print(f"    counted per new commit {per_commit:.2f}   target <= {IDEAL_REQUESTS_PER_COMMIT} plus pagination "
          f"of its files (ratio {per_commit / IDEAL_REQUESTS_PER_COMMIT:.2f}x)")


def _endpoint(path: str) -> str:
    if "/compare/" in path:
        return "compare"
    if path.endswith("/pulls"):
        return "pulls"
    if path.endswith("/commits"):
        return "listing"
    return "detail" if "/commits/" in path else "other"


def llm_figures(run: Run) -> None:
    """Calls the fake LLM received, their prompt size, and the tokens the bot recorded."""
    requests = run.fakes.llm.requests
    prompt = sum(estimate_tokens(_prompt(request)) for request in requests)
    query = analyses.select().with_only_columns(analyses.c.prompt_tokens, analyses.c.completion_tokens) \
        .where(analyses.c.repo == run.corpus.repository)
    with run.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    recorded_in, recorded_out = sum(row.prompt_tokens for row in rows), sum(row.completion_tokens for row in rows)
    mean = f", {prompt / len(requests):.0f} a call" if requests else ""
    print(f"LLM calls {len(requests)} (peak in flight {run.fakes.llm.max_in_flight}); prompt tokens sent "
          f"~{prompt} (estimated{mean}); usage recorded in the analyses: prompt {recorded_in}, "
          f"completion {recorded_out}")


def _prompt(request: dict) -> str:
    parts = [message.get("content") for message in request.get("messages", [])]
    return "\n".join(part if isinstance(part, str) else json.dumps(part) for part in parts if part)


def channel_figures(run: Run, channel: Channel, shas: list[str], decided: dict[str, Decided]) -> set[str]:
    """Print one channel's cards, roll-ups and the commits due there but named nowhere; the SHAs it named."""
    short = {sha[:7]: sha for sha in shas}
    messages = run.fakes.slack.messages.get(channel.channel, [])
    kinds: Counter[str] = Counter()
    named: set[str] = set()
    in_rollups: set[str] = set()
    carded: set[str] = set()
    for message in messages:
        key = delivery_key(message)
        kind = key.split(":", 1)[0] or "other"
        kinds[kind] += 1
        found = _named(message, short)
        named |= found
        if kind == "card":
            carded.add(key.rsplit(":", 1)[-1])
        elif kind == "rollup":
            in_rollups |= found
    skipped = _rolled_up(run.store, channel.subscription_id)
    due = {sha for sha in shas if sha in decided and Importance(decided[sha].importance).meets(channel.level)}
    print(f"channel --min {channel.level.value} ({channel.channel}): cards {kinds['card']}, roll-ups "
          f"{kinds['rollup']} covering {len(skipped)} commits, naming {len(in_rollups)} by short SHA; "
          f"other messages {sum(kinds.values()) - kinds['card'] - kinds['rollup']}")
    print(f"    due here (the bot's importance >= {channel.level.value}) {len(due)}: carded {len(due & carded)}, "
          f"named in a roll-up {len(due & in_rollups - carded)}, named nowhere {len(due - named)} (target 0)")
    by_label = Counter(run.corpus.labels.get(sha, "unlabelled") for sha in carded)
    print("    cards by label: " + ", ".join(f"{level} {by_label[level]}" for level in (*IMPORTANCES, "unlabelled")))
    return named


def _named(message: dict, short: dict[str, str]) -> set[str]:
    """The range's commits a message names by (at least) short SHA; its delivery key does not count."""
    visible = json.dumps({key: value for key, value in message.items() if key != "metadata"})
    return {short[run[:7]] for run in _HEX_RE.findall(visible) if run[:7] in short}


def _rolled_up(store: Store, subscription_id: int) -> set[str]:
    """Commits whose card the bot recorded as skipped for this subscription (named in a roll-up)."""
    query = deliveries.select().with_only_columns(deliveries.c.item).where(
        deliveries.c.subscription_id == subscription_id, deliveries.c.kind == "card",
        deliveries.c.status == "skipped")
    with store.engine.connect() as conn:
        return {row.item for row in conn.execute(query)}


def agreement(labels: dict[str, str], decided: dict[str, str]) -> list[str]:
    """Lines comparing the bot's importance with the labels: exact, per-class recall, inversions, confusion."""
    pairs = [(label, decided[sha]) for sha, label in labels.items() if sha in decided]
    if not pairs:
        return [f"agreement with labels.json: no labelled commit analysed ({len(labels)} labelled in the range)"]
    exact = sum(label == bot for label, bot in pairs)
    confusion = Counter(pairs)
    lines = [f"agreement with labels.json ({len(labels)} labelled in the range, {len(pairs)} analysed):",
             f"    exact {exact}/{len(pairs)} = {exact / len(pairs):.1%}   ideal 100%"]
    recalls = []
    for level in IMPORTANCES:
        total = sum(count for (label, _), count in confusion.items() if label == level)
        hit = confusion[(level, level)]
        recalls.append(f"{level} {hit}/{total} = {hit / total:.1%}" if total else f"{level} -")
    lines.append("    recall " + ", ".join(recalls))
    up, down = confusion[("low", "high")], confusion[("high", "low")]
    lines.append(f"    high<->low inversions {up + down} (high labelled, bot low: {down}; low labelled, bot high: "
                 f"{up})   ideal 0")
    lines.append("    confusion (label -> bot high/medium/low): " + "; ".join(
        f"{label} {'/'.join(str(confusion[(label, bot)]) for bot in IMPORTANCES)}" for label in IMPORTANCES))
    return lines


if __name__ == "__main__":
    print("bench/replay_figures.py: the figures of replay.py (nothing to measure)")
