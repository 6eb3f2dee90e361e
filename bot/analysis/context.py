"""The commit data shown to the LLM, built to fit a token budget.

Order: facts, message, pull request, file list with stats, then diff hunks by priority (source
over build over tests over examples over docs; lockfiles, vendored, generated, minified and
binary files skipped), each file capped, and a closing line naming what was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.analysis.files import FileKind, classify
from bot.analysis.tokens import estimate_tokens
from bot.domain import Commit, FileChange

MESSAGE_SHARE, MESSAGE_CAP = 0.20, 1500
PR_SHARE, PR_CAP = 0.15, 1000
FILE_LIST_SHARE = 0.15
CLOSING_RESERVE = 60
MIN_FILE_SLICE = 120  # below this a diff excerpt says too little to be worth its tokens
FAIR_SHARE_FILES = 6  # the per-file cap gives this many files room when all are large
CHARS_PER_TOKEN_CEILING = 8  # text is cut to budget × this many characters before it is measured
CountTokens = Callable[[str], int]  # tokens in a text: the model's own count, or the estimate


@dataclass
class ContextStats:
    """What went into the context and what was left out."""

    files_total: int = 0
    files_listed: int = 0
    files_with_diff: int = 0
    files_truncated: int = 0
    files_omitted: int = 0
    lines_omitted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitContext:
    """The commit data text, its size in tokens, and its statistics."""

    text: str
    tokens: int
    stats: ContextStats


def take(text: str, max_tokens: int, count: CountTokens = estimate_tokens) -> tuple[str, int, bool]:
    """The longest run of whole lines of `text` within `max_tokens` by `count`: (text, tokens, complete)."""
    if max_tokens <= 0:
        return "", 0, not text
    clipped = text[: max_tokens * CHARS_PER_TOKEN_CEILING]
    lines = clipped.splitlines(keepends=True)
    if len(clipped) < len(text) and lines:
        lines.pop()  # possibly cut mid-line
    kept, used = [], 0
    for line in lines:
        cost = count(line)
        if used + cost > max_tokens:
            break
        kept.append(line)
        used += cost
    result = "".join(kept)
    return result, used, result == text


def _lines(count: int) -> str:
    return f"{count:,} line" + ("" if count == 1 else "s")


def _files(count: int) -> str:
    return f"{count:,} file" + ("" if count == 1 else "s")


def _header(commit: Commit) -> str:
    author = commit.author_name + (f" (@{commit.author_login})" if commit.author_login else "")
    lines = [
        f"Repository: {commit.repo.full_name}",
        f"Commit: {commit.sha}",
        f"Author: {author}",
        f"Date: {commit.committed_at.isoformat()}",
        f"Parents: {len(commit.parents)}" + (" (merge commit)" if commit.is_merge else ""),
        f"Changed: {_files(len(commit.files))}, +{commit.additions:,} -{commit.deletions:,}",
    ]
    if commit.files_truncated:
        lines.append("Note: GitHub listed only part of this commit's files; the counts above cover those listed.")
    return "\n".join(lines) + "\n"


def _capped_block(title: str, text: str, max_tokens: int, count: CountTokens) -> str:
    body, _, complete = take(text.strip() + "\n", max_tokens, count)
    if not complete:
        body += f"[... {_lines(text.strip().count(chr(10)) + 1 - body.count(chr(10)))} of this text omitted]\n"
    return f"\n## {title}\n{body}"


def _changed_lines(patch: str) -> int:
    return sum(1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _file_line(change: FileChange, skip: str | None) -> str:
    moved = f" (from {change.previous_filename})" if change.previous_filename else ""
    note = f" [{skip}: diff not shown]" if skip else ""
    return f"{change.status} {change.filename}{moved} +{change.additions} -{change.deletions}{note}\n"


def build_context(commit: Commit, budget: int, count: CountTokens = estimate_tokens) -> CommitContext:
    """Commit data within `budget` tokens measured by `count` (the caller verifies the whole prompt)."""
    stats = ContextStats(files_total=len(commit.files))
    parts = [_header(commit)]
    parts.append(_capped_block("Message", commit.message or "(empty)", min(MESSAGE_CAP, int(budget * MESSAGE_SHARE)),
                               count))
    pr = commit.pull_request
    if pr is not None:
        parts.append(_capped_block(f"Pull request #{pr.number}: {pr.title}", pr.body or "(no description)",
                                   min(PR_CAP, int(budget * PR_SHARE)), count))

    if commit.merged_commits:
        # A merge is judged as its pull request: name the commits it brought in (its files are their sum).
        listed = "".join(f"- {merged.short_sha} {merged.title}\n" for merged in commit.merged_commits)
        more = commit.merged_count - len(commit.merged_commits)
        if more > 0:
            listed += f"- ... and {more} more\n"
        parts.append(_capped_block(f"Commits merged ({commit.merged_count}); the diff below is their combined change",
                                   listed, min(PR_CAP, int(budget * PR_SHARE)), count))

    kinds = {change.filename: classify(change) for change in commit.files}
    ordered = sorted(commit.files, key=lambda c: _priority(kinds[c.filename], c))
    for change in ordered:
        reason = kinds[change.filename].skip
        if reason:
            stats.skipped[reason] = stats.skipped.get(reason, 0) + 1
    parts.append(_file_listing(ordered, kinds, max(40, int(budget * FILE_LIST_SHARE)), stats, count))

    used = sum(count(part) for part in parts)
    candidates = [change for change in ordered if not kinds[change.filename].skip]
    diffs, shown_changes = _diffs(candidates, kinds, budget - used - CLOSING_RESERVE, stats, count)
    if stats.files_with_diff:
        parts.append(diffs)

    stats.files_omitted = stats.files_total - stats.files_with_diff
    stats.lines_omitted = max(0, sum(change.changes for change in commit.files) - shown_changes)
    parts.append("\n" + closing_line(stats, commit.files_truncated) + "\n")
    text = "".join(parts)
    return CommitContext(text=text, tokens=count(text), stats=stats)


def _priority(kind: FileKind, change: FileChange) -> tuple[int, bool, int]:
    return kind.rank, kind.skip is not None, -change.changes


def _file_listing(ordered: list[FileChange], kinds: dict[str, FileKind], list_budget: int,
                  stats: ContextStats, count: CountTokens) -> str:
    listing, list_used = ["\n## Files (status path +added -deleted)\n"], 0
    for change in ordered:
        line = _file_line(change, kinds[change.filename].skip)
        cost = count(line)
        if list_used + cost > list_budget:
            break
        listing.append(line)
        list_used += cost
        stats.files_listed += 1
    if stats.files_listed < len(ordered):
        listing.append(f"[... {_files(len(ordered) - stats.files_listed)} more not listed]\n")
    return "".join(listing)


def _diffs(candidates: list[FileChange], kinds: dict[str, FileKind], diff_budget: int,
           stats: ContextStats, count: CountTokens) -> tuple[str, int]:
    """The diff section within `diff_budget` and how many changed lines it shows."""
    diffs, remaining = ["\n## Diff\n"], diff_budget - count("\n## Diff\n")
    shown_changes = 0
    left_in_rank: dict[int, int] = {}
    for change in candidates:
        left_in_rank[kinds[change.filename].rank] = left_in_rank.get(kinds[change.filename].rank, 0) + 1
    for index, change in enumerate(candidates):
        rank = kinds[change.filename].rank
        peers = left_in_rank[rank]
        left_in_rank[rank] -= 1
        lower = len(candidates) - index - peers
        # A file gets an equal share of what is left among its priority class, with one share
        # held back for all lower classes together: source first, but tests and docs not starved.
        cap = max(MIN_FILE_SLICE, remaining // min(peers + (1 if lower else 0), FAIR_SHARE_FILES))
        heading = f"\n### {change.filename}\n"
        room = min(cap, remaining - count(heading) - 12)
        if room < MIN_FILE_SLICE:
            break  # what is left would go to lower-priority files only
        body, _, complete = take((change.patch or "").rstrip("\n") + "\n", room, count)
        if not body:
            continue
        shown = _changed_lines(body)
        shown_changes += shown
        block = heading + body
        if not complete:
            stats.files_truncated += 1
            block += f"[... {_lines(max(0, change.changes - shown))} of this file's changes omitted]\n"
        diffs.append(block)
        remaining -= count(block)
        stats.files_with_diff += 1
    return "".join(diffs), shown_changes


def closing_line(stats: ContextStats, listing_truncated: bool = False) -> str:
    """The line naming what the context leaves out."""
    if not stats.files_omitted and not stats.lines_omitted and not listing_truncated:
        return "Omitted: nothing; every changed line is shown above."
    pieces = []
    if stats.files_omitted:
        pieces.append(f"{_files(stats.files_omitted)} without a diff shown")
    if stats.lines_omitted:
        pieces.append(f"{stats.lines_omitted:,} changed lines")
    if stats.skipped:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(stats.skipped.items()))
        pieces.append(f"skipped by type: {reasons}")
    if listing_truncated:
        pieces.append("and any files GitHub did not list")
    return "Omitted: " + "; ".join(pieces) + "."
