"""A branch's first-parent history: which listed commits are its steps, and which merge brought in the rest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.model import Commit, MergedCommit


@dataclass(frozen=True)
class FirstParent:
    """Listed commits sorted into the branch's first-parent steps and the commits each merge brought in."""

    # sha -> the step (a merge on the first-parent chain) that brought it in; steps are absent.
    merged_by: dict[str, str] = field(default_factory=dict)
    # A step's merged commits, oldest first as listed.
    merged: dict[str, list[MergedCommit]] = field(default_factory=dict)


def first_parent(head: str | None, listed: Iterable[Commit]) -> FirstParent:
    """Sort `listed` (oldest first, with parents) by the first-parent chain from `head` back.

    A commit off the chain belongs to the oldest chain merge whose other parents reach it: the
    commits reachable from an older merge are reachable from every later merge's first parent. When
    `head` is not among the listed commits (a listing cut short), every commit counts as a step,
    so none is named nowhere; so does a commit no chain merge reaches within the listing.
    """
    commits = list(listed)
    by_sha: Mapping[str, Commit] = {commit.sha: commit for commit in commits}
    if head is None or head not in by_sha:
        return FirstParent()
    chain: list[str] = []
    on_chain: set[str] = set()
    current: str | None = head
    while current is not None and current in by_sha and current not in on_chain:
        chain.append(current)
        on_chain.add(current)
        parents = by_sha[current].parents
        current = parents[0] if parents else None
    merged_by: dict[str, str] = {}
    for step in reversed(chain):  # oldest first
        stack = list(by_sha[step].parents[1:])
        while stack:
            sha = stack.pop()
            if sha in on_chain or sha in merged_by or sha not in by_sha:
                continue
            merged_by[sha] = step
            stack.extend(by_sha[sha].parents)
    merged: dict[str, list[MergedCommit]] = {}
    for commit in commits:
        step_sha = merged_by.get(commit.sha)
        if step_sha is not None:
            merged.setdefault(step_sha, []).append(
                MergedCommit(sha=commit.sha, title=commit.title, author_name=commit.author_name))
    return FirstParent(merged_by=merged_by, merged=merged)
