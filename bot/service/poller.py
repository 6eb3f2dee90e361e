"""Polls watched branches: new commits are stored before the cursor moves, so a crash never loses one.

Failure policy: a typed GitHub error (bot.github.errors) is recorded on the cursor with
`record_failure` and returned in the PollOutcome, never raised, so one broken repository cannot
stop the others; the returned cursor says whether the failure was already reported. Anything
else (a bug, the database gone) is logged and returned as a failed outcome for that branch, so
the rest of the cycle still runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from bot.causes import clip_middle
from bot.clock import Clock
from bot.domain import Commit, RepoRef
from bot.domain.history import first_parent
from bot.github.errors import GitHubError, Moved
from bot.github.port import CommitListing, CommitSource
from bot.store import Cursor, Store

log = logging.getLogger(__name__)
# Commit details fetched at once for one branch's burst (each poll job has its own).
DETAIL_CONCURRENCY = 4


class PollStatus(StrEnum):
    """What one poll of one branch found (also the `polls` metric's label)."""

    NOT_MODIFIED = "not_modified"
    INITIALIZED = "initialized"  # a newly watched branch: the cursor starts at its head
    UPDATED = "updated"
    MOVED = "moved"  # the repository was renamed or transferred
    FAILED = "failed"


# Told of each new commit that will be analysed, as soon as it is stored (on the polling thread).
Stored = Callable[[Commit, str], None]

_pair_locks: dict[tuple[str, str], threading.Lock] = {}
_pair_locks_guard = threading.Lock()


@dataclass
class _Cycle:
    """What the polls of one poll_all share: the idle branches to touch at the end, and the stored-commit hook."""

    on_stored: Stored | None = None
    idle: list[tuple[RepoRef, str]] = field(default_factory=list)


@dataclass
class PollOutcome:
    """What one poll of one (repo, branch) did."""

    repo: RepoRef
    branch: str
    status: PollStatus
    new_shas: list[str] = field(default_factory=list)
    truncated: bool = False
    moved_to: RepoRef | None = None
    error: BaseException | None = None
    cursor: Cursor | None = None  # after record_failure: failure_count and failure_reported

    @property
    def ok(self) -> bool:
        """False when the poll failed."""
        return self.status != PollStatus.FAILED


def poll_all(source: CommitSource, store: Store, pairs: Iterable[tuple[RepoRef, str]], concurrency: int,
             clock: Clock, on_outcome: Callable[[PollOutcome], None] | None = None,
             on_stored: Stored | None = None) -> list[PollOutcome]:
    """Poll every (repo, branch) with at most `concurrency` in flight; outcomes in the order given.

    `on_outcome` is called from the polling thread as soon as each poll ends, so the caller can
    deliver one repository's commits without waiting for the slowest repository of the cycle;
    `on_stored` as soon as each new commit that will be analysed is stored (its analysis can start
    while the rest of a burst is still being fetched).
    """
    pairs = list(pairs)
    if not pairs:
        return []
    # One query for every cursor and one transaction for every 304, rather than two per idle branch:
    # on an idle cycle the database, not GitHub, would otherwise be the bottleneck. A cursor read here
    # may be overtaken by a webhook-triggered poll; the stale one only re-lists commits already stored.
    cursors = store.cursors.get_many(pairs)
    cycle = _Cycle(on_stored=on_stored)

    def guarded(pair: tuple[RepoRef, str]) -> PollOutcome:
        repo, branch = pair
        try:
            with _lock_for(repo, branch):
                outcome = _poll(source, store, repo, branch, clock, follow_move=True,
                                cursor=cursors[(repo.full_name, branch)], cycle=cycle)
        except Exception as exc:  # one pair's unexpected failure must not end the cycle for the others
            log.exception("poll crashed", extra={"repo": str(repo), "branch": branch})
            outcome = PollOutcome(repo, branch, PollStatus.FAILED, error=exc)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    workers = max(1, min(concurrency, len(pairs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
        outcomes = list(pool.map(guarded, pairs))
    store.cursors.touch_many(cycle.idle, clock())
    return outcomes


def _poll(source: CommitSource, store: Store, repo: RepoRef, branch: str, clock: Clock, follow_move: bool,
          cursor: Cursor | None = None, cycle: _Cycle | None = None) -> PollOutcome:
    cursor = cursor if cursor is not None else store.cursors.get(repo, branch)
    try:
        listing = source.fetch_commit_listing(repo, branch, cursor.last_sha,
                                              cursor.etag if cursor.last_sha else None)
    except Moved as moved:
        return _moved(source, store, repo, branch, cursor, moved, clock, follow_move)
    except GitHubError as exc:
        return _failed(store, repo, branch, exc)
    if listing.not_modified:
        if cycle is None:
            store.cursors.touch(repo, branch, clock())
        else:
            cycle.idle.append((repo, branch))
        return PollOutcome(repo, branch, PollStatus.NOT_MODIFIED)
    if cursor.last_sha is None:
        # A new subscription starts at the current head: no flood of history.
        store.cursors.advance(repo, branch, listing.head_sha, listing.etag, clock())
        log.info("cursor initialized", extra={"repo": str(repo), "branch": branch, "head": listing.head_sha})
        return PollOutcome(repo, branch, PollStatus.INITIALIZED)
    saved, error = _store_fresh(source, store, repo, branch, _fresh_shas(store, repo, branch, listing), listing,
                                cycle.on_stored if cycle is not None else None)
    if error is not None:
        # The cursor stays put: the next poll lists these again and skips the ones stored already.
        outcome = _failed(store, repo, branch, error)
        outcome.new_shas = saved
        return outcome
    store.cursors.advance(repo, branch, listing.head_sha, listing.etag, clock())
    if saved or listing.truncated:
        log.info("new commits stored", extra={"repo": str(repo), "branch": branch, "count": len(saved),
                                               "truncated": listing.truncated})
    return PollOutcome(repo, branch, PollStatus.UPDATED, new_shas=saved, truncated=listing.truncated)


def _fresh_shas(store: Store, repo: RepoRef, branch: str, listing: CommitListing) -> list[str]:
    """The listed commits this branch has not had yet, oldest first."""
    # After a force-push the listing may name commits seen on this branch earlier; never returned twice.
    known = store.commits.known(repo, listing.shas, branch=branch)
    if listing.cursor_lost and known:
        # A plain page of history: what precedes the newest stored commit was seen (or predates us).
        last_known = max(index for index, sha in enumerate(listing.shas) if sha in known)
        return [sha for sha in listing.shas[last_known + 1:] if sha not in known]
    return [sha for sha in listing.shas if sha not in known]


def _store_fresh(source: CommitSource, store: Store, repo: RepoRef, branch: str, fresh: list[str],
                 listing: CommitListing, on_stored: Stored | None = None) -> tuple[list[str], GitHubError | None]:
    """Store `fresh` on `branch` in order, stopping at the first GitHub error: the SHAs new to it, and that error.

    A commit a first-parent merge brought in is stored as the listing describes it (no request) unless
    a subscription on the branch follows every commit; the merge names it.
    """
    saved: list[str] = []
    history = first_parent(listing.head_sha, listing.commits)
    listed = {commit.sha: commit for commit in listing.commits}
    every_commit = bool(history.merged_by) and any(
        sub.every_commit for sub in store.subscriptions.list(repo=repo, branch=branch) if not sub.paused)
    summary = {sha: listed[sha] for sha in fresh
               if sha in history.merged_by and sha in listed and not every_commit}
    # Commits stored already (looked up with /commit, or seen on another watched branch) need no
    # request: they only join this branch, where they are news for this branch's channels.
    stored = store.commits.known(repo, fresh, detailed=True)
    missing = [sha for sha in fresh if sha not in stored and sha not in summary]
    pool = ThreadPoolExecutor(max_workers=max(1, min(DETAIL_CONCURRENCY, len(missing))),
                              thread_name_prefix="commit-detail")
    # Fetched in parallel, stored one by one in the listing's order (the cards go out in that order).
    # A merge's commits come from the listing, so the detail skips the request that would name them.
    details = {sha: pool.submit(source.fetch_commit, repo, sha, merged=False) for sha in missing}
    try:
        for sha in fresh:
            merged_by = history.merged_by.get(sha)
            if sha in stored:
                if store.commits.add_to_branch(repo, sha, branch, merged_by=merged_by):
                    saved.append(sha)
                continue
            if sha in summary:
                commit = summary[sha]
            else:
                try:
                    commit = details[sha].result()
                except GitHubError as exc:
                    return saved, exc
            if sha in history.merged:
                commit = commit.with_merged(history.merged[sha])
            if store.commits.save(commit, branch, merged_by=merged_by):
                saved.append(commit.sha)
                if on_stored is not None and sha not in summary and (merged_by is None or every_commit):
                    on_stored(commit, branch)
    finally:
        # After a failure the later commits are not stored (the next poll lists them again): stop asking.
        pool.shutdown(wait=True, cancel_futures=True)
    return saved, None


def _moved(source: CommitSource, store: Store, repo: RepoRef, branch: str, cursor: Cursor, moved: Moved,
           clock: Clock, follow_move: bool) -> PollOutcome:
    new = moved.new_repo
    renamed = store.subscriptions.rename_repo(repo, new)
    store.commits.rename_repo(repo, new)
    if store.cursors.get(new, branch).last_sha is None and cursor.last_sha is not None:
        # Carry the position over (without the ETag, which belonged to the old URL) so nothing is skipped.
        store.cursors.advance(new, branch, cursor.last_sha, None, clock())
    log.warning("repository moved", extra={"repo": str(repo), "moved_to": str(new), "branch": branch,
                                           "subscriptions": renamed})
    if follow_move:
        with _lock_for(new, branch):
            outcome = _poll(source, store, new, branch, clock, follow_move=False)
        outcome.moved_to = new
        return outcome
    return PollOutcome(repo, branch, PollStatus.MOVED, moved_to=new, error=moved)


def _failed(store: Store, repo: RepoRef, branch: str, exc: GitHubError) -> PollOutcome:
    # The cursor and the log line already name the repo and branch: the text names only what they do not.
    problem = clip_middle(exc.text_for(f"{repo}@{branch}"), 500)
    cursor = store.cursors.record_failure(repo, branch, exc.kind, problem)
    log.warning("poll failed", extra={"repo": str(repo), "branch": branch, "kind": exc.kind,
                                      "failures": cursor.failure_count, "error": problem})
    return PollOutcome(repo, branch, PollStatus.FAILED, error=exc, cursor=cursor)


def _lock_for(repo: RepoRef, branch: str) -> threading.Lock:
    # A webhook-triggered poll and the scheduled cycle may ask for the same branch at once; one at a time.
    key = (repo.full_name.lower(), branch)
    with _pair_locks_guard:
        return _pair_locks.setdefault(key, threading.Lock())
