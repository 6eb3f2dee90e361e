"""The commit-source port: what the bot needs from GitHub, named for the bot, not for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from bot.domain import Commit, RepoRef


class RepoInfo(BaseModel):
    """What /subscribe needs to know before saving: the canonical name and the branch."""

    repo: RepoRef
    default_branch: str
    branch: str
    private: bool = False


class CommitListing(BaseModel):
    """One conditional list request's answer for a (repo, branch)."""

    not_modified: bool
    shas: list[str] = []
    etag: str | None = None
    head_sha: str | None = None
    truncated: bool = False
    moved_to: RepoRef | None = None
    # The cursor SHA is unknown to GitHub (rewritten and collected): `shas` is the newest page of the branch.
    cursor_lost: bool = False
    # The listed commits as the listing describes them (parents, message, author; no files), in
    # `shas` order; a SHA whose entry said too little is missing.
    commits: list[Commit] = []


# Entries read of an owner's repositories or a repository's branches before the list counts as too long.
LISTED_MAX = 1000


class ListedRepo(BaseModel):
    """One repository as its owner's list shows it."""

    repo: RepoRef
    default_branch: str
    fork: bool = False
    archived: bool = False  # archived or disabled: it takes no pushes


class OwnerRepos(BaseModel):
    """An owner's repository list, read conditionally (one ETag per page)."""

    not_modified: bool
    owner_kind: str  # 'orgs' or 'users': which list answers for the owner
    etags: list[str] = []
    repos: list[ListedRepo] = []
    truncated: bool = False  # more were listed than were read


class BranchNames(BaseModel):
    """A repository's branch list, read conditionally (one ETag per page)."""

    not_modified: bool
    etags: list[str] = []
    branches: list[str] = []
    truncated: bool = False


class CommitSource(Protocol):
    """Reads commits from GitHub; raises the typed errors of bot.github.errors, never returns empty on failure."""

    def fetch_commit_listing(self, repo: RepoRef, branch: str, since_sha: str | None,
                             etag: str | None) -> CommitListing:
        """SHAs newer than `since_sha` on `branch`, oldest first; `not_modified` when the ETag still matches."""
        ...

    def fetch_commit(self, repo: RepoRef, sha: str, merged: bool = True) -> Commit:
        """One commit with message, author, time, stats, files with patches, and its pull request.

        A merge's files are its change against its first parent; with `merged`, a merge also names the
        commits it brought in (one more request: its first parent compared with its second).
        """
        ...

    def list_commits_between(self, repo: RepoRef, branch: str | None, since: datetime, until: datetime,
                             limit: int = 1000) -> list[str]:
        """SHAs committed in [since, until) on `branch` (default branch when None), oldest first.

        Only the branch's first-parent steps (merges and direct pushes), as far as the window shows them:
        a merged commit is named by its merge.
        """
        ...

    def resolve_sha(self, repo: RepoRef, prefix: str) -> str:
        """The full SHA for a prefix of 4-40 hex digits (NotFound when unknown)."""
        ...

    def fetch_repo_info(self, repo: RepoRef, branch: str | None = None) -> RepoInfo:
        """Check the repository (and branch, default branch when None) exists and is readable."""
        ...

    def fetch_owner_repos(self, owner: str, etags: list[str] | None = None, owner_kind: str | None = None,
                          max_items: int = LISTED_MAX) -> OwnerRepos:
        """The repositories of an organisation or user (NotFound when neither); `not_modified` when unchanged."""
        ...

    def fetch_branches(self, repo: RepoRef, etags: list[str] | None = None, max_items: int = LISTED_MAX) -> BranchNames:
        """The repository's branch names; `not_modified` when every page's ETag still matches."""
        ...

    def close(self) -> None:
        """Release connections (the process is ending)."""
        ...
