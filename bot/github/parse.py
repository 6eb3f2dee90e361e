"""GitHub REST JSON (commits, files, pull requests, Link headers) turned into domain models."""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime

from bot.domain import Commit, FileChange, PullRequest, RepoRef

_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_REPO_IN_URL_RE = re.compile(r"/repos/([^/]+)/([^/]+)/")


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


def file_change(data: dict) -> FileChange:
    """One entry of a commit's `files`."""
    return FileChange(filename=data["filename"], status=data.get("status") or "modified",
                      additions=int(data.get("additions") or 0), deletions=int(data.get("deletions") or 0),
                      patch=data.get("patch"), previous_filename=data.get("previous_filename"))


def pull_request(data: dict) -> PullRequest:
    """One entry of `commits/{sha}/pulls`."""
    return PullRequest(number=int(data["number"]), title=data.get("title") or "", body=data.get("body") or "",
                       url=data.get("html_url") or data.get("url") or "")


def choose_pull(pulls: list[dict], sha: str) -> dict | None:
    """The pull request that introduced `sha`: the one merged as it, else any merged one, else the first."""
    if not pulls:
        return None
    for pull in pulls:
        if pull.get("merge_commit_sha") == sha:
            return pull
    merged = [pull for pull in pulls if pull.get("merged_at")]
    return min(merged, key=lambda pull: pull["number"]) if merged else pulls[0]


def commit(repo: RepoRef, data: dict, files: list[dict], files_truncated: bool, pull: dict | None) -> Commit:
    """A full commit from `GET /repos/{repo}/commits/{sha}` plus its gathered file pages and pull request."""
    detail = data["commit"]
    author = detail.get("author") or {}
    committer = detail.get("committer") or {}
    account = data.get("author") or {}
    stats = data.get("stats") or {}
    changes = tuple(file_change(item) for item in files)
    return Commit(
        repo=repo,
        sha=data["sha"].lower(),
        message=detail.get("message") or "",
        author_name=author.get("name") or account.get("login") or "unknown",
        author_login=account.get("login"),
        committed_at=parse_time(committer.get("date") or author["date"]),
        url=data.get("html_url") or "",
        parents=tuple(parent["sha"] for parent in data.get("parents") or ()),
        additions=int(stats.get("additions", sum(change.additions for change in changes))),
        deletions=int(stats.get("deletions", sum(change.deletions for change in changes))),
        files=changes,
        files_truncated=files_truncated,
        pull_request=pull_request(pull) if pull else None,
    )
