"""GitHub REST JSON (commits, files, pull requests, Link headers) checked and turned into domain models.

Every answer body is read through `read`, against the shape the bot needs (`Shape`): an empty
body, text that is not JSON, a list where an object belongs, a missing `sha` or a number where
text belongs is one UnexpectedResponse naming the host, the path and what was wrong — the same
typed failure as any other, so the poller counts it and the watcher reports it, instead of a
KeyError in the middle of a poll. Fields the bot does not read are not checked.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator

from bot.causes import clip_middle, one_line, redact
from bot.domain import Commit, FileChange, PullRequest, RepoRef
from bot.domain.model import MergedCommit
from bot.github.errors import UnexpectedResponse, unexpected_text

_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_REPO_IN_URL_RE = re.compile(r"/repos/([^/]+)/([^/]+)/")
_FULL_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
# How much of an unexpected body is quoted: enough to recognise a proxy's page, not a dump.
EXCERPT = 80

T = TypeVar("T")


class _Answer(BaseModel):
    # GitHub adds fields over time: only what the bot reads is checked.
    model_config = ConfigDict(extra="ignore", frozen=True)


def _sha(value: str) -> str:
    sha = value.lower()
    if not _FULL_SHA_RE.match(sha):
        raise ValueError("not a 40-digit hex SHA")
    return sha


class ParentEntry(_Answer):
    """A parent as listed in a commit."""

    sha: str

    _check_sha = field_validator("sha")(_sha)


class _Person(_Answer):
    name: str | None = None
    date: str | None = None


class _GitCommit(_Answer):
    message: str | None = None
    author: _Person | None = None
    committer: _Person | None = None


class _Account(_Answer):
    login: str | None = None


class CommitEntry(_Answer):
    """One commit as `GET /repos/{repo}/commits` and the compare API list it (message and author included)."""

    sha: str
    url: str | None = None
    parents: list[ParentEntry] | None = None
    commit: _GitCommit | None = None
    author: _Account | None = None
    html_url: str | None = None

    _check_sha = field_validator("sha")(_sha)

    @property
    def is_merge(self) -> bool:
        """More than one parent."""
        return len(self.parents or ()) > 1


class _Stats(_Answer):
    additions: int | None = None
    deletions: int | None = None


class FileEntry(_Answer):
    """One entry of a commit's `files`."""

    filename: str
    status: str | None = None
    additions: int | None = None
    deletions: int | None = None
    patch: str | None = None
    previous_filename: str | None = None


class CommitDetail(CommitEntry):
    """`GET /repos/{repo}/commits/{sha}` (also each further page of its files)."""

    commit: _GitCommit
    stats: _Stats | None = None
    files: list[FileEntry]


class FilesPage(_Answer):
    """A further page of a commit's files."""

    files: list[FileEntry]


class PullEntry(_Answer):
    """One entry of `GET /repos/{repo}/commits/{sha}/pulls`."""

    number: int
    title: str | None = None
    body: str | None = None
    html_url: str | None = None
    url: str | None = None
    merge_commit_sha: str | None = None
    merged_at: str | None = None


class RepoEntry(_Answer):
    """`GET /repos/{repo}`."""

    full_name: str
    default_branch: str | None = None
    private: bool | None = None

    @field_validator("full_name")
    @classmethod
    def _repo_name(cls, value: str) -> str:
        if RepoRef.parse_or_none(value) is None:
            raise ValueError("not an owner/name")
        return value


class BranchEntry(_Answer):
    """`GET /repos/{repo}/branches/{branch}` (also each entry of the branch list)."""

    name: str


class ListedRepoEntry(RepoEntry):
    """One entry of `GET /orgs/{org}/repos` or `GET /users/{user}/repos`."""

    fork: bool | None = None
    archived: bool | None = None
    disabled: bool | None = None


class Comparison(_Answer):
    """`GET /repos/{repo}/compare/{base}...{head}` (also each further page)."""

    status: str | None = None
    total_commits: int | None = None
    commits: list[CommitEntry] | None = None


class _Budget(_Answer):
    limit: int | None = None
    remaining: int | None = None


class _Resources(_Answer):
    core: _Budget


class RateLimit(_Answer):
    """`GET /rate_limit` (doctor)."""

    resources: _Resources


class User(_Answer):
    """`GET /user` (doctor)."""

    login: str


@dataclass(frozen=True)
class Shape(Generic[T]):
    """What an answer must look like: its name for people, whether it is a list, and its validator."""

    name: str
    is_list: bool
    adapter: TypeAdapter[T]


LISTING: Shape[list[CommitEntry]] = Shape("a list of commits", True, TypeAdapter(list[CommitEntry]))
DETAIL: Shape[CommitDetail] = Shape("a commit", False, TypeAdapter(CommitDetail))
FILES: Shape[FilesPage] = Shape("a commit's files", False, TypeAdapter(FilesPage))
PULLS: Shape[list[PullEntry]] = Shape("a list of pull requests", True, TypeAdapter(list[PullEntry]))
REPO: Shape[RepoEntry] = Shape("a repository", False, TypeAdapter(RepoEntry))
BRANCH: Shape[BranchEntry] = Shape("a branch", False, TypeAdapter(BranchEntry))
REPO_LIST: Shape[list[ListedRepoEntry]] = Shape("a list of repositories", True, TypeAdapter(list[ListedRepoEntry]))
BRANCH_LIST: Shape[list[BranchEntry]] = Shape("a list of branches", True, TypeAdapter(list[BranchEntry]))
COMPARISON: Shape[Comparison] = Shape("a comparison of two commits", False, TypeAdapter(Comparison))
RATE_LIMIT: Shape[RateLimit] = Shape("the rate limit", False, TypeAdapter(RateLimit))
USER: Shape[User] = Shape("a user", False, TypeAdapter(User))


@dataclass(frozen=True)
class Origin:
    """Where an answer came from, for the error text: host as configured, request path, target, secrets."""

    host: str
    path: str
    what: str = ""
    status: int = 200
    secrets: tuple[str, ...] = ()

    def unexpected(self, problem: str) -> UnexpectedResponse:
        """The failure for an answer that is not what the bot reads."""
        return UnexpectedResponse(unexpected_text(self.host, self.path, problem, self.status), self.status,
                                  target=self.what)

    def excerpt(self, text: str) -> str:
        """A short quote of an upstream text: one line, secrets hidden, cut in its middle."""
        return repr(clip_middle(redact(one_line(text), self.secrets), EXCERPT))


def request_path(url: str) -> str:
    """The path part of a request URL (a Link URL is absolute), without its query."""
    return urllib.parse.urlsplit(url).path or url


def read(body: str, shape: Shape[T], origin: Origin) -> T:
    """The body parsed and checked against `shape`; UnexpectedResponse when it is anything else."""
    if not body.strip():
        return _fail(origin, f"an empty body where {shape.name} belongs")
    try:
        data = json.loads(body)
    except ValueError:
        return _fail(origin, f"text that is not JSON ({origin.excerpt(body)}) where {shape.name} belongs")
    if shape.is_list != isinstance(data, list):
        return _fail(origin, f"{_kind(data)} ({origin.excerpt(body)}) where {shape.name} belongs")
    try:
        return shape.adapter.validate_python(data)
    except ValidationError as exc:
        return _fail(origin, f"JSON that is not {shape.name} ({_first_problem(exc)})")


def _fail(origin: Origin, problem: str) -> Any:
    raise origin.unexpected(problem)


_KINDS = {dict: "a JSON object", list: "a JSON list", str: "a JSON string", bool: "a JSON boolean",
          int: "a JSON number", float: "a JSON number", type(None): "JSON null"}


def _kind(data: object) -> str:
    return _KINDS.get(type(data), "JSON")


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
    message = first["msg"].removeprefix("Value error, ")
    text = f"{where or 'the body'}: {message[:1].lower() + message[1:]}"
    more = len(errors) - 1
    return text + (f", and {more} more problem{'' if more == 1 else 's'}" if more else "")


def link_next(header: str | None) -> str | None:
    """The rel="next" URL of a Link header, if any."""
    for url, rels in _LINK_RE.findall(header or ""):
        if "next" in rels.split():
            return url
    return None


def repo_in_url(url: str | None) -> RepoRef | None:
    """The `owner/name` in an API URL like `…/repos/owner/name/commits/sha`."""
    match = _REPO_IN_URL_RE.search(urllib.parse.urlsplit(url or "").path + "/")
    if not match:
        return None
    return RepoRef.parse_or_none(f"{match.group(1)}/{match.group(2)}")


def same_repo(left: RepoRef, right: RepoRef) -> bool:
    """GitHub names are case-insensitive."""
    return left.full_name.lower() == right.full_name.lower()


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp, keeping the offset GitHub gave (`Z` becomes UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return moment


def file_change(entry: FileEntry) -> FileChange:
    """One entry of a commit's `files`."""
    return FileChange(filename=entry.filename, status=entry.status or "modified", additions=entry.additions or 0,
                      deletions=entry.deletions or 0, patch=entry.patch, previous_filename=entry.previous_filename)


def pull_request(entry: PullEntry) -> PullRequest:
    """One entry of `commits/{sha}/pulls`."""
    return PullRequest(number=entry.number, title=entry.title or "", body=entry.body or "",
                       url=entry.html_url or entry.url or "")


def choose_pull(pulls: Sequence[PullEntry], sha: str) -> PullEntry | None:
    """The pull request that introduced `sha`: the one merged as it, else any merged one, else the first."""
    if not pulls:
        return None
    for pull in pulls:
        if pull.merge_commit_sha == sha:
            return pull
    merged = [pull for pull in pulls if pull.merged_at]
    return min(merged, key=lambda pull: pull.number) if merged else pulls[0]


def listed(repo: RepoRef, entry: CommitEntry) -> Commit | None:
    """A commit as a listing describes it (no files, not `detailed`); None when the entry says too little."""
    git = entry.commit
    if git is None:
        return None
    author, committer, account = git.author or _Person(), git.committer or _Person(), entry.author or _Account()
    stamp = committer.date or author.date
    try:
        return Commit(repo=repo, sha=entry.sha, message=git.message or "",
                      author_name=author.name or account.login or "unknown", author_login=account.login,
                      committed_at=parse_time(stamp or ""), url=entry.html_url or "",
                      parents=tuple(parent.sha for parent in entry.parents or ()), detailed=False)
    except (ValueError, ValidationError):  # the detail request, if one is made, reports what is wrong
        return None


def merged_commits(entries: Sequence[CommitEntry]) -> list[MergedCommit]:
    """The commits of a comparison, named (a merge's: its first parent compared with its other parent)."""
    named = []
    for entry in entries:
        git = entry.commit or _GitCommit()
        message = (git.message or "").strip()
        author = git.author or _Person()
        named.append(MergedCommit(sha=entry.sha, title=message.splitlines()[0] if message else "",
                                  author_name=author.name or (entry.author or _Account()).login or ""))
    return named


def commit(repo: RepoRef, data: CommitDetail, files: Sequence[FileEntry], files_truncated: bool,
           pull: PullEntry | None, origin: Origin) -> Commit:
    """A full commit from its checked detail plus its gathered file pages and pull request."""
    author = data.commit.author or _Person()
    committer = data.commit.committer or _Person()
    account = data.author or _Account()
    stats = data.stats or _Stats()
    stamp = committer.date or author.date
    if not stamp:
        raise origin.unexpected("a commit without a date (commit.committer.date and commit.author.date missing)")
    try:
        changes = tuple(file_change(item) for item in files)
        return Commit(
            repo=repo,
            sha=data.sha,
            message=data.commit.message or "",
            author_name=author.name or account.login or "unknown",
            author_login=account.login,
            committed_at=parse_time(stamp),
            url=data.html_url or "",
            parents=tuple(parent.sha for parent in data.parents or ()),
            additions=stats.additions if stats.additions is not None else sum(c.additions for c in changes),
            deletions=stats.deletions if stats.deletions is not None else sum(c.deletions for c in changes),
            files=changes,
            files_truncated=files_truncated,
            pull_request=pull_request(pull) if pull else None,
        )
    except (ValueError, ValidationError) as exc:  # a value the domain refuses (a date, a negative count…)
        problem = _first_problem(exc) if isinstance(exc, ValidationError) else one_line(str(exc))
        raise origin.unexpected(f"a commit the bot cannot read: {clip_middle(problem, 160)}") from None
