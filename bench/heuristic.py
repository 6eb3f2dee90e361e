"""Benchmark: the heuristic's importance against the hand labels of the click corpus.

Loads ../shared/corpus/click (or COMMIT_RADAR_CORPUS), turns each labelled commit into a domain
Commit through bot/github/parse.py as a GitHub answer would be, judges it, and prints exact
agreement, per-class recall and precision, the confusion matrix, high<->low inversions and every
disagreement, beside the targets of issue 15; then the same figures on each half of the labels
(even and odd index) so that a rule fitted to a few commits shows as a gap between the halves.

    .venv/bin/python bench/heuristic.py [--corpus DIR] [--quiet]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.analysis.heuristic import judge  # noqa: E402
from bot.domain import Commit, Importance, RepoRef  # noqa: E402
from bot.github import parse  # noqa: E402

LEVELS = ("high", "medium", "low")
TARGET_AGREEMENT = 0.75
TARGET_HIGH_RECALL = 0.80
TARGET_INVERSIONS = 0
CORPUS_ENV = "COMMIT_RADAR_CORPUS"


def corpus_dir(explicit: str | None = None) -> Path | None:
    """The click corpus: an explicit path, else $COMMIT_RADAR_CORPUS, else ../shared/corpus/click; None if absent."""
    candidates = [explicit, os.environ.get(CORPUS_ENV) or None, str(ROOT.parent / "shared" / "corpus" / "click")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "labels.json").is_file():
            return Path(candidate)
    return None


def to_commit(repo: RepoRef, data: dict) -> Commit:
    """One corpus line (GitHub's REST commit shape, flattened) as the poller would build it from GitHub's answer."""
    detail = parse.CommitDetail.model_validate({
        "sha": data["sha"], "parents": [{"sha": sha} for sha in data["parents"]],
        "commit": {"message": data["message"], "author": data["author"], "committer": data["committer"]},
        "html_url": f"https://github.com/{repo.full_name}/commit/{data['sha']}", "files": data["files"],
    })
    origin = parse.Origin(host="corpus", path=f"/repos/{repo.full_name}/commits/{data['sha']}")
    return parse.commit(repo, detail, detail.files, False, None, origin)


@dataclass(frozen=True)
class Labelled:
    """A commit and the level a maintainer gave it."""

    commit: Commit
    label: str


def load(directory: Path) -> list[Labelled]:
    """The labelled commits of a corpus directory, in the labels' order."""
    branch = json.loads((directory / "branch.json").read_text(encoding="utf-8"))
    repo = RepoRef.parse(branch["repository"])
    labels = json.loads((directory / "labels.json").read_text(encoding="utf-8"))
    wanted = {entry["sha"] for entry in labels}
    found: dict[str, Commit] = {}
    with gzip.open(directory / "commits.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            data = json.loads(line)
            if data["sha"] in wanted:
                found[data["sha"]] = to_commit(repo, data)
    return [Labelled(found[entry["sha"]], entry["importance"]) for entry in labels]


@dataclass
class Report:
    """Agreement figures of one run over labelled commits."""

    confusion: Counter = field(default_factory=Counter)  # (label, got) -> count
    disagreements: list[tuple[str, str, str, str]] = field(default_factory=list)  # sha, label, got, title

    @property
    def total(self) -> int:
        """Labelled commits judged."""
        return sum(self.confusion.values())

    @property
    def agreement(self) -> float:
        """Share of commits rated exactly as labelled."""
        return sum(self.confusion[(level, level)] for level in LEVELS) / max(1, self.total)

    def recall(self, level: str) -> float:
        """Share of commits labelled `level` that were rated `level`."""
        labelled = sum(self.confusion[(level, got)] for got in LEVELS)
        return self.confusion[(level, level)] / max(1, labelled)

    def precision(self, level: str) -> float:
        """Share of commits rated `level` that were labelled `level`."""
        rated = sum(self.confusion[(label, level)] for label in LEVELS)
        return self.confusion[(level, level)] / max(1, rated)

    @property
    def inversions(self) -> int:
        """Commits labelled high and rated low, or labelled low and rated high."""
        return self.confusion[("high", "low")] + self.confusion[("low", "high")]

    @property
    def meets_targets(self) -> bool:
        """True when all three targets of issue 15 are met."""
        return (self.agreement >= TARGET_AGREEMENT and self.recall("high") >= TARGET_HIGH_RECALL
                and self.inversions <= TARGET_INVERSIONS)


def evaluate(cases: Iterable[Labelled], rate: Callable[[Commit], Importance] = lambda c: judge(c).importance) -> Report:
    """Rate every case and count the outcomes."""
    report = Report()
    for case in cases:
        got = rate(case.commit).value
        report.confusion[(case.label, got)] += 1
        if got != case.label:
            report.disagreements.append((case.commit.sha[:8], case.label, got, case.commit.title[:90]))
    return report


def halves(cases: list[Labelled]) -> dict[str, list[Labelled]]:
    """The labels split by index parity: a rule fitted to one half shows as a gap on the other."""
    return {"even index": cases[0::2], "odd index": cases[1::2]}


def summary_lines(report: Report) -> list[str]:
    """The headline figures beside their targets."""
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    return [
        f"exact agreement     {report.agreement:6.1%}   target >= {TARGET_AGREEMENT:.0%}   "
        f"{mark(report.agreement >= TARGET_AGREEMENT)}",
        f"high rated high     {report.recall('high'):6.1%}   target >= {TARGET_HIGH_RECALL:.0%}   "
        f"{mark(report.recall('high') >= TARGET_HIGH_RECALL)}",
        f"high<->low          {report.inversions:6d}    target  = {TARGET_INVERSIONS}     "
        f"{mark(report.inversions <= TARGET_INVERSIONS)}",
    ]


def detail_lines(report: Report) -> list[str]:
    """Per-class recall and precision and the confusion matrix (rows: label, columns: rating)."""
    lines = ["class    labelled  recall  precision"]
    for level in LEVELS:
        labelled = sum(report.confusion[(level, got)] for got in LEVELS)
        lines.append(f"{level:<8} {labelled:8d}  {report.recall(level):6.1%}  {report.precision(level):9.1%}")
    lines.append("label \\ rated   " + "".join(f"{level:>8}" for level in LEVELS))
    for label in LEVELS:
        lines.append(f"{label:<15} " + "".join(f"{report.confusion[(label, got)]:8d}" for got in LEVELS))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when the corpus is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help=f"corpus directory (default: ${CORPUS_ENV}, else ../shared/corpus/click)")
    parser.add_argument("--quiet", action="store_true", help="leave out the list of disagreements")
    args = parser.parse_args(argv)
    directory = corpus_dir(args.corpus)
    if directory is None:
        print(f"no corpus found (looked at --corpus, ${CORPUS_ENV}, {ROOT.parent / 'shared/corpus/click'})")
        return 1
    cases = load(directory)
    report = evaluate(cases)
    print(f"heuristic importance vs hand labels: {directory} ({report.total} labelled commits)")
    print("\n".join(summary_lines(report)))
    print("\n".join(detail_lines(report)))
    for name, part in halves(cases).items():
        held = evaluate(part)
        print(f"-- {name} ({held.total}): agreement {held.agreement:.1%}, high rated high {held.recall('high'):.1%}, "
              f"high<->low {held.inversions}")
    if not args.quiet:
        print(f"-- disagreements ({len(report.disagreements)}): sha, label, rated, title")
        for sha, label, got, title in report.disagreements:
            print(f"{sha}  {label:<6} {got:<6} {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
