"""The heuristic against the hand labels of real history (the click corpus): the targets of issue 15.

The corpus sits beside the project checkout (../shared/corpus/click) or where COMMIT_RADAR_CORPUS
points; a clone elsewhere without it skips these tests and says why. bench/heuristic.py prints the
same evaluation with the list of disagreements.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.heuristic import (
    CORPUS_ENV,
    TARGET_AGREEMENT,
    TARGET_HIGH_RECALL,
    TARGET_INVERSIONS,
    corpus_dir,
    evaluate,
    halves,
    load,
)

BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "click"


@pytest.fixture(scope="module")
def labelled():
    directory = corpus_dir(os.environ.get(CORPUS_ENV) or str(BESIDE_CHECKOUT))
    if directory is None:
        pytest.skip(f"the click corpus is not here: set {CORPUS_ENV} or put it at {BESIDE_CHECKOUT}")
    return load(directory)


def test_the_corpus_loads_every_label_as_a_domain_commit(labelled):
    assert len(labelled) >= 100
    assert {case.label for case in labelled} == {"high", "medium", "low"}
    merges = [case.commit for case in labelled if case.commit.is_merge]
    assert merges and all(len(commit.parents) == 2 for commit in merges)
    assert sum(1 for case in labelled if case.commit.files) >= len(labelled) - 2


def test_agreement_with_the_labels_meets_the_targets(labelled):
    report = evaluate(labelled)
    assert report.agreement >= TARGET_AGREEMENT, report.disagreements
    assert report.recall("high") >= TARGET_HIGH_RECALL, report.disagreements
    assert report.inversions <= TARGET_INVERSIONS, report.disagreements


@pytest.mark.parametrize("half", ["even index", "odd index"])
def test_each_half_of_the_labels_meets_the_targets_too(labelled, half):
    report = evaluate(halves(labelled)[half])
    assert report.meets_targets, (report.agreement, report.recall("high"), report.inversions)


def test_the_evaluation_counts_what_it_is_given(labelled):
    # A rater that calls everything medium agrees only on the medium labels and inverts nothing.
    from bot.domain import Importance

    report = evaluate(labelled, rate=lambda commit: Importance.MEDIUM)
    mediums = sum(1 for case in labelled if case.label == "medium")
    assert report.agreement == pytest.approx(mediums / len(labelled))
    assert report.recall("high") == 0 and report.inversions == 0 and not report.meets_targets
    flipped = evaluate(labelled, rate=lambda commit: Importance.LOW)
    assert flipped.inversions == sum(1 for case in labelled if case.label == "high")
