"""The bot's vocabulary: repositories, commits, analyses, subscriptions."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.filters import Budget, author_ignored, skip_marked, touches_paths

# REPO_RE, SHA_RE and check_sha are re-exported: callers import them from here and from bot.domain.
from bot.domain.values import REPO_RE, SHA_RE, Every, Language, Weekday, check_sha, split_repo_name  # noqa: F401


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RepoRef(_Frozen):
    """A GitHub repository named `owner/name`."""

    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> RepoRef:
        """Parse `owner/name` (a trailing `.git` or github URL prefix is not accepted)."""
        owner, name = split_repo_name(text)
        return cls(owner=owner, name=name)

    @classmethod
    def parse_or_none(cls, text: str) -> RepoRef | None:
        """`parse`, with None instead of an error (for names picked out of URLs)."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def full_name(self) -> str:
        """`owner/name`."""
        return f"{self.owner}/{self.name}"

    def __str__(self) -> str:
        return self.full_name


class Importance(StrEnum):
    """How much a commit matters; ordering: high > medium > low."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """3 for high, 2 for medium, 1 for low."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]

    def meets(self, threshold: Importance) -> bool:
        """True when this importance is at or above `threshold`."""
        return self.rank >= threshold.rank

    @property
    def emoji(self) -> str:
        """🔴 / 🟡 / 🟢."""
        return {"high": "🔴", "medium": "🟡", "low": "🟢"}[self.value]


class ChangeType(StrEnum):
    """What kind of change a commit is."""

    FEATURE = "feature"
    FIX = "fix"
    SECURITY = "security"
    PERFORMANCE = "performance"
    REFACTOR = "refactor"
    REVERT = "revert"
    DEPENDENCY = "dependency"
    BUILD = "build"
    CI = "ci"
    DOCS = "docs"
    TEST = "test"
    STYLE = "style"
    CHORE = "chore"
    OTHER = "other"


class Severity(StrEnum):
    """Severity of one risk."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FileChange(_Frozen):
    """One file touched by a commit."""

    filename: str
    status: str = "modified"
    additions: int = 0
    deletions: int = 0
    patch: str | None = None
    previous_filename: str | None = None

    @property
    def changes(self) -> int:
        """Added plus deleted lines."""
        return self.additions + self.deletions


class PullRequest(_Frozen):
    """The pull request that introduced a commit."""

    number: int
    title: str
    body: str = ""
    url: str


class MergedCommit(_Frozen):
    """One commit a merge brought into its branch: enough to name it on the merge's card."""

    sha: str
    title: str
    author_name: str = ""

    @property
    def short_sha(self) -> str:
        """First seven hex digits."""
        return self.sha[:7]


# How many of a merge's commits are kept by name (a maintenance-branch merge may bring in hundreds).
MERGED_KEPT = 100


class Commit(_Frozen):
    """A commit with the facts GitHub gives about it."""

    repo: RepoRef
    sha: str
    message: str
    author_name: str
    author_login: str | None = None
    committed_at: datetime
    url: str
    parents: tuple[str, ...] = ()
    additions: int = 0
    deletions: int = 0
    files: tuple[FileChange, ...] = ()
    files_truncated: bool = False
    pull_request: PullRequest | None = None
    # False for a commit stored from a listing only (message, author, date, parents; no files or
    # stats): it is named on its merge's card and never analysed on its own.
    detailed: bool = True
    # A merge: the commits it brought in (reachable from its other parents, not its first), oldest
    # first, at most MERGED_KEPT of them; `merged_count` counts them all.
    merged_commits: tuple[MergedCommit, ...] = ()
    merged_count: int = 0
    # As read for one branch: the merge on that branch's first-parent history that brought this commit
    # in; None for a step of the first-parent history itself (a merge or a direct push).
    merged_by: str | None = None

    @field_validator("committed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("committed_at must carry a timezone offset")
        return value

    @property
    def title(self) -> str:
        """First line of the message."""
        return self.message.strip().splitlines()[0] if self.message.strip() else ""

    @property
    def short_sha(self) -> str:
        """First seven hex digits."""
        return self.sha[:7]

    @property
    def is_merge(self) -> bool:
        """True when the commit has more than one parent."""
        return len(self.parents) > 1

    @property
    def unit_title(self) -> str:
        """What the change is called: a merge's pull-request title when known, else the commit's title."""
        if self.is_merge:
            if self.pull_request and self.pull_request.title.strip():
                return self.pull_request.title.strip().splitlines()[0]
            # GitHub's merge button writes "Merge pull request #N from owner/branch", a blank line, the PR title.
            lines = [line.strip() for line in self.message.strip().splitlines()[1:] if line.strip()]
            if self.title.startswith("Merge pull request") and lines:
                return lines[0]
        return self.title

    def with_merged(self, merged: list[MergedCommit], count: int | None = None) -> Commit:
        """This merge with the commits it brought in (kept up to MERGED_KEPT; `count`: all of them, when more)."""
        return self.model_copy(update={"merged_commits": tuple(merged[:MERGED_KEPT]),
                                       "merged_count": max(len(merged), count or 0)})


# --- the analysis: what the LLM fills (strict-friendly: every field required, no extras) ---


class ImpactItem(_Frozen):
    """One component or file the change touches, with a note."""

    component: str
    note: str


class Insights(_Frozen):
    """Technical insights; "unknown" or "" when the commit gives nothing to say."""

    architecture: str
    performance: str
    security: str
    maintainability: str


class Risk(_Frozen):
    """One risk and its severity."""

    description: str
    severity: Severity


# What made an analysis: the LLM, or the rules when there is no LLM or it failed.
AnalysisSource = Literal["llm", "heuristic"]


class AnalysisContent(_Frozen):
    """The analysis proper: the schema the LLM must fill."""

    change_type: ChangeType
    importance: Importance
    summary: str
    impact: list[ImpactItem]
    insights: Insights
    risks: list[Risk]
    recommendations: list[str]
    breaking_change: bool


class Analysis(AnalysisContent):
    """An analysis plus its provenance: which commit, made by what, for which language."""

    repo: RepoRef
    sha: str
    language: Language
    source: AnalysisSource
    model: str
    prompt_version: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    note: str = ""
    created_at: datetime

    @property
    def provenance(self) -> str:
        """`heuristic` or the model name."""
        return "heuristic" if self.source == "heuristic" else self.model


# --- subscriptions ---

PlatformName = Literal["slack", "feishu", "feishu_webhook", "console"]
PatternKind = Literal["owner", "branches"]


class Subscription(BaseModel):
    """One channel following one branch of one repository."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    platform: PlatformName
    channel: str = Field(min_length=1, max_length=512)
    repo: RepoRef
    branch: str = Field("main", min_length=1, max_length=255)
    threshold: Importance = Importance.HIGH
    digest_time: time = time(9, 0)
    timezone: str = "UTC"
    language: Language = "zh"
    paths: list[str] = Field(default_factory=list)
    ignore_authors: list[str] = Field(default_factory=list)
    include_merges: bool = True
    # False (the default): the branch's first-parent history, one card per merged pull request or
    # direct push; True: every commit, the merged ones too.
    all_commits: bool = False
    empty_digest: Literal["note", "skip"] = "note"
    # "week": one digest a week, on `digest_on` at `digest_time`, of the last full ISO week (Monday to Sunday).
    digest_every: Every = "day"
    digest_on: Weekday = "mon"
    webhook_secret: str | None = None
    paused: bool = False
    paused_reason: str | None = None
    created_at: datetime | None = None
    # A pattern's template (never polled): 'owner' follows every repository of `repo.owner` (repo `owner/*`,
    # branch `*`: each one's default branch); 'branches' every branch of `repo` matching the glob `branch`.
    template: PatternKind | None = None
    # A concrete subscription a template expanded into: the template's id (options follow the template).
    pattern_id: int | None = None
    include_forks: bool = False  # an owner template: forks too (archived repositories never)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone: {value!r}") from None
        return value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        if any(ch.isspace() for ch in value) or ".." in value or value.startswith(("-", "/")):
            raise ValueError(f"not a valid branch name: {value!r}")
        return value

    @property
    def pattern(self) -> str:
        """What a template follows, as typed: `owner/*` or `owner/repo@glob`; else `owner/repo@branch`."""
        return str(self.repo) if self.template == "owner" else f"{self.repo}@{self.branch}"

    @property
    def tz(self) -> ZoneInfo:
        """The subscription's timezone."""
        return ZoneInfo(self.timezone)

    @property
    def key(self) -> int:
        """The stored id; raises for a subscription not saved yet (delivery keys need the id)."""
        if self.id is None:
            raise ValueError("the subscription has not been saved, so it has no id")
        return self.id

    @property
    def every_commit(self) -> bool:
        """Whether this follows every commit rather than first-parent units.

        `--no-merges` asks for the commits without their merges, so it implies every commit: otherwise a
        merged pull request would be named nowhere.
        """
        return self.all_commits or not self.include_merges

    def wants(self, commit: Commit, branch: str | None = None, budget: Budget | None = None, *,
              skipped_too: bool = False) -> bool:
        """True when `commit`, seen on `branch` (None: any), passes every filter here but the threshold.

        A commit whose message carries the skip marker is not wanted unless `skipped_too` (digests count those).
        """
        if not skipped_too and skip_marked(commit.message):
            return False
        if branch is not None and branch != self.branch:
            return False
        if not commit.detailed:
            return False  # known from a listing only: named on its merge's card, never a card of its own
        if commit.merged_by is not None and not self.every_commit:
            return False
        if commit.is_merge and not self.include_merges:
            return False
        if author_ignored(self.ignore_authors, commit):
            return False
        return not self.paths or touches_paths(self.paths, commit, budget if budget is not None else Budget(),
                                               self.id)
