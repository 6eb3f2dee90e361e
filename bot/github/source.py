"""The PyGithub adapter of the CommitSource port: conditional listings, commit detail, SHA lookup."""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.domain import Commit, RepoRef, check_sha
from bot.domain.history import first_parent
from bot.github import parse
from bot.github.client import GitHubClient
from bot.github.errors import EmptyRepository, GitHubError, Moved, NotFound, error_for
from bot.github.parse import CommitEntry, Shape
from bot.github.port import LISTED_MAX, BranchNames, CommitListing, ListedRepo, OwnerRepos, RepoInfo
from bot.github.ratelimit import RequestBudget
from bot.github.retry import GitHubLimits, GitHubResponse, GitHubRetry, GitHubStats

log = logging.getLogger(__name__)

FULL_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
FILES_PER_PAGE = 300  # GitHub's maximum; it lists at most 3,000 files (10 pages) of one commit


@dataclass
class _Comparison:
    status: str
    entries: list[CommitEntry]
    truncated: bool


@dataclass
class _ListRead:
    not_modified: bool
    etags: list[str]
    items: list = field(default_factory=list)
    truncated: bool = False


class GitHubSource:
    """CommitSource over GitHub's REST API (github.com or Enterprise Server), via PyGithub.

    Listing strategy: one conditional request for the branch's newest commits (304 when idle);
    when new, follow Link pages newest-first until the cursor SHA. If the cursor is not reached
    (force-push, or a burst beyond `max_pages`), or merge commits are among the new ones (their
    merged-in commits may be dated before the cursor and so listed after it), ask the compare API
    for exactly `cursor..head`. A moved repository raises Moved. Every answer is checked against
    the shape read from it (bot.github.parse): anything else is UnexpectedResponse.
    """

    def __init__(self, client: GitHubClient, max_pages: int = 10, per_page: int = 100) -> None:
        self.client = client
        self.max_pages = max_pages
        self.per_page = per_page

    @classmethod
    def from_settings(cls, settings: Settings, policy: GitHubRetry | None = None,
                      workers: Callable[[], int] | None = None,
                      counted: Callable[[], bool] | None = None) -> GitHubSource:
        """Build from GITHUB_API_URL, GITHUB_TOKEN, GITHUB_TIMEOUT, GITHUB_MAX_WAIT and GITHUB_REQUESTS_PER_MINUTE.

        `workers` counts the live worker processes sharing GITHUB_REQUESTS_PER_MINUTE (default: this one);
        `counted` says whether a request comes from one of them.
        """
        token = settings.github_token.get_secret_value() if settings.github_token else None
        max_wait = float(settings.github_max_wait)
        policy = policy or GitHubRetry(GitHubLimits(max_wait=max_wait))
        budget = RequestBudget(settings.github_requests_per_minute, workers=workers, max_wait=max_wait,
                               counted=counted)
        return cls(GitHubClient(settings.github_api_url, token, settings.github_timeout, policy, budget=budget))

    @property
    def stats(self) -> GitHubStats:
        """Requests made, 304s, retries, rate-limit remaining."""
        return self.client.stats

    def close(self) -> None:
        """Close pooled connections."""
        self.client.close()

    # --- the port ---

    def fetch_commit_listing(self, repo: RepoRef, branch: str, since_sha: str | None,
                             etag: str | None) -> CommitListing:
        """SHAs newer than `since_sha` on `branch`, oldest first; `not_modified` when the ETag still matches."""
        what = f"{repo}@{branch}"
        headers = {"If-None-Match": etag} if etag and since_sha else {}
        url = f"/repos/{repo}/commits"
        reply = self._get(url, what, {"sha": branch, "per_page": self.per_page}, headers)
        if reply.status == 304:
            return CommitListing(not_modified=True, etag=etag, head_sha=since_sha)
        page = self._read(reply, url, what, parse.LISTING)
        if not page:
            raise EmptyRepository("the branch lists no commits", target=what)
        self._check_not_moved(repo, page[0])
        head = page[0].sha
        new_etag = reply.headers.get("etag")
        if since_sha is None or head == since_sha.lower():
            return CommitListing(not_modified=False, etag=new_etag, head_sha=head)
        walked, found, capped = self._walk(page, reply, since_sha.lower(), what)
        newest_first = walked
        if found and not any(item.is_merge for item in walked):
            return self._listing(repo, newest_first[::-1], etag=new_etag, head_sha=head)
        comparison = self._compare(repo, since_sha.lower(), head, what)
        if comparison is None:
            # The cursor SHA is gone from GitHub (rewritten and collected): offer the newest page; the
            # poller keeps only what is newer than the newest commit it stored, so none is repeated.
            log.warning("cursor commit unknown to GitHub; taking the newest page",
                        extra={"repo": str(repo), "branch": branch, "cursor": since_sha})
            return self._listing(repo, newest_first[: self.per_page][::-1], etag=new_etag, head_sha=head,
                                 truncated=len(newest_first) > self.per_page, cursor_lost=True)
        if comparison.status in ("behind", "identical"):
            return CommitListing(not_modified=False, etag=new_etag, head_sha=head)
        if comparison.truncated and comparison.status == "ahead" and capped:
            # A burst larger than the cap: keep the newest commits rather than the oldest.
            entries, truncated = newest_first[::-1], True
        else:
            entries, truncated = comparison.entries, comparison.truncated
        if truncated:
            log.warning("burst cut at the page cap", extra={"repo": str(repo), "branch": branch,
                                                            "kept": len(entries), "cap_pages": self.max_pages})
        return self._listing(repo, entries, etag=new_etag, head_sha=head, truncated=truncated)

    def fetch_commit(self, repo: RepoRef, sha: str, merged: bool = True) -> Commit:
        """One commit with message, author, time, stats, files with patches, and its pull request.

        A merge's files are its change against its first parent (as GitHub serves them); with `merged`,
        a merge also names the commits it brought in (one more request: its parents compared).
        """
        what = f"{repo}@{sha[:12]}"
        url = f"/repos/{repo}/commits/{check_sha(sha)}"
        reply = self._get(url, what, {"per_page": FILES_PER_PAGE})
        data = self._read(reply, url, what, parse.DETAIL)
        files = list(data.files)
        next_url, pages = parse.link_next(reply.headers.get("link")), 1
        while next_url and pages < self.max_pages:
            more = self._get(next_url, what)
            files.extend(self._read(more, next_url, what, parse.FILES).files)
            next_url, pages = parse.link_next(more.headers.get("link")), pages + 1
        pulls_url = f"/repos/{repo}/commits/{data.sha}/pulls"
        pulls = self._read(self._get(pulls_url, f"{what} pulls"), pulls_url, f"{what} pulls", parse.PULLS)
        commit = parse.commit(repo, data, files, next_url is not None, parse.choose_pull(pulls, data.sha),
                              self._origin(url, what, reply.status))
        return self._with_merged(commit) if merged and commit.is_merge else commit

    def list_commits_between(self, repo: RepoRef, branch: str | None, since: datetime, until: datetime,
                             limit: int = 1000) -> list[str]:
        """SHAs committed in [since, until) on `branch` (default branch when None), oldest first.

        Only the branch's first-parent steps (merges and direct pushes): a merged commit is named by its
        merge. The listing runs from the branch head down to `since`, so a commit made in the window but
        merged after it is recognised as merged; when that is more than `limit` commits, the window alone
        is listed and its newest commit taken as the head of the history.
        """
        what = f"{repo}@{branch or 'default'} {since:%Y-%m-%d}"
        params: dict = {"since": _iso(since), "per_page": self.per_page}
        if branch:
            params["sha"] = branch
        items, cut = self._list(repo, params, what, limit)
        if cut:
            # GitHub's `until` is inclusive; stop one second short so [since, until) holds.
            items, _ = self._list(repo, {**params, "until": _iso(until - timedelta(seconds=1))}, what, limit)
        listed = {entry.sha: parse.listed(repo, entry) for entry in items}
        history = first_parent(items[0].sha if items else None,
                               [commit for commit in reversed(listed.values()) if commit is not None])

        def in_window(sha: str) -> bool:
            commit = listed[sha]
            return commit is None or since <= commit.committed_at < until

        return [entry.sha for entry in items[:limit]
                if entry.sha not in history.merged_by and in_window(entry.sha)][::-1]

    def resolve_sha(self, repo: RepoRef, prefix: str) -> str:
        """The full SHA for a prefix of 4-40 hex digits (NotFound when unknown)."""
        prefix = check_sha(prefix)
        url, what = f"/repos/{repo}/commits/{prefix}", f"{repo}@{prefix}"
        reply = self._get(url, what, headers={"Accept": "application/vnd.github.sha"})
        sha = reply.body.strip().lower()
        if not FULL_SHA_RE.match(sha):
            origin = self._origin(url, what, reply.status)
            said = f"({origin.excerpt(reply.body)})" if reply.body.strip() else "(an empty body)"
            raise origin.unexpected(f"something that is not a commit SHA {said}")
        return sha

    def fetch_repo_info(self, repo: RepoRef, branch: str | None = None) -> RepoInfo:
        """The repository's current name, default branch and visibility; NotFound for a missing branch.

        A renamed repository is answered under its new name (GitHub redirects) rather than raising Moved,
        so /subscribe stores the current name.
        """
        url = f"/repos/{repo}"
        data = self._read(self._get(url, str(repo)), url, str(repo), parse.REPO)
        canonical = RepoRef.parse(data.full_name)
        default = data.default_branch or "main"
        chosen = branch or default
        if branch and branch != default:
            branch_url = f"/repos/{canonical}/branches/{urllib.parse.quote(branch, safe='/')}"
            what = f"{canonical}@{branch}"
            self._read(self._get(branch_url, what), branch_url, what, parse.BRANCH)
        return RepoInfo(repo=canonical, default_branch=default, branch=chosen, private=bool(data.private))

    def fetch_owner_repos(self, owner: str, etags: list[str] | None = None, owner_kind: str | None = None,
                          max_items: int = LISTED_MAX) -> OwnerRepos:
        """The repositories of an organisation or user, by name (NotFound when GitHub knows neither).

        An unknown `owner_kind` asks the organisation's list first (it includes private repositories the
        token may read), then the user's. With `etags` (and a known kind) each page is asked conditionally:
        all 304, nothing changed. Reading stops once more than `max_items` are listed (`truncated`).
        """
        kinds = [owner_kind] if owner_kind else ["orgs", "users"]
        for kind in kinds:
            url, what = f"/{kind}/{urllib.parse.quote(owner, safe='')}/repos", f"{owner}/*"
            try:
                read = self._read_list(url, what, {"per_page": self.per_page, "sort": "full_name"},
                                       etags if owner_kind else None, parse.REPO_LIST, max_items)
            except NotFound:
                if kind == kinds[-1]:
                    raise
                continue
            repos = [ListedRepo(repo=RepoRef.parse(entry.full_name), default_branch=entry.default_branch or "main",
                                fork=bool(entry.fork), archived=bool(entry.archived or entry.disabled))
                     for entry in read.items]
            return OwnerRepos(not_modified=read.not_modified, owner_kind=kind, etags=read.etags, repos=repos,
                              truncated=read.truncated)
        raise NotFound(f"no organisation or user {owner!r}", 404, target=f"{owner}/*")  # pragma: no cover

    def fetch_branches(self, repo: RepoRef, etags: list[str] | None = None, max_items: int = LISTED_MAX) -> BranchNames:
        """The repository's branch names; with `etags`, each page asked conditionally (all 304: unchanged)."""
        read = self._read_list(f"/repos/{repo}/branches", f"{repo} branches", {"per_page": self.per_page},
                               etags, parse.BRANCH_LIST, max_items)
        return BranchNames(not_modified=read.not_modified, etags=read.etags,
                           branches=[entry.name for entry in read.items], truncated=read.truncated)

    # --- helpers ---

    def _read_list(self, url: str, what: str, params: dict, etags: list[str] | None, shape: Shape,
                   max_items: int) -> _ListRead:
        """A paged list: each page asked on its stored ETag (all 304: not modified); when one changed, the
        list is read from page one (the first page's answer reused), following Link, until past `max_items`."""
        first = None
        for index, etag in enumerate(etags or ()):
            page_params = {**params, "page": index + 1} if index else params
            reply = self._get(url, what, page_params, {"If-None-Match": etag})
            if reply.status != 304:
                first = reply if index == 0 else None
                break
        else:
            if etags:
                return _ListRead(not_modified=True, etags=list(etags))
        reply = first or self._get(url, what, params)
        items = list(self._read(reply, url, what, shape))
        found_etags = [reply.headers.get("etag") or ""]
        next_url = parse.link_next(reply.headers.get("link"))
        while next_url and len(items) <= max_items:
            reply = self._get(next_url, what)
            items.extend(self._read(reply, next_url, what, shape))
            found_etags.append(reply.headers.get("etag") or "")
            next_url = parse.link_next(reply.headers.get("link"))
        truncated = next_url is not None or len(items) > max_items
        # A page without an ETag cannot be asked conditionally: then the whole list is read each time.
        return _ListRead(not_modified=False, etags=found_etags if all(found_etags) else [], items=items[:max_items],
                         truncated=truncated)

    def _listing(self, repo: RepoRef, entries: list[CommitEntry], **fields) -> CommitListing:
        """A listing of `entries` (oldest first), with the commits they describe."""
        described = [parse.listed(repo, entry) for entry in entries]
        return CommitListing(not_modified=False, shas=[entry.sha for entry in entries],
                             commits=[commit for commit in described if commit is not None], **fields)

    def _list(self, repo: RepoRef, params: dict, what: str, limit: int) -> tuple[list[CommitEntry], bool]:
        """Listing entries newest first, up to `limit`, and whether more were left unread."""
        url = f"/repos/{repo}/commits"
        reply = self._get(url, what, params)
        items = list(self._read(reply, url, what, parse.LISTING))
        next_url = parse.link_next(reply.headers.get("link"))
        while next_url and len(items) < limit:
            reply = self._get(next_url, what)
            items.extend(self._read(reply, next_url, what, parse.LISTING))
            next_url = parse.link_next(reply.headers.get("link"))
        if items:
            self._check_not_moved(repo, items[0])
        return items[:limit], next_url is not None or len(items) > limit

    def _with_merged(self, merge: Commit) -> Commit:
        """The merge naming the commits it brought in: its first parent compared with its second."""
        base, head = merge.parents[0], merge.parents[1]
        url, what = f"/repos/{merge.repo}/compare/{base}...{head}", f"{merge.repo}@{merge.sha[:12]} merged"
        try:
            reply = self._get(url, what, {"per_page": self.per_page})
            data = self._read(reply, url, what, parse.COMPARISON)
        except GitHubError as exc:  # the merge itself is known: its card goes without the names
            log.warning("merged commits unavailable", extra={"repo": str(merge.repo), "sha": merge.sha,
                                                             "error": exc.kind})
            return merge
        named = parse.merged_commits(data.commits or ())
        return merge.with_merged(named, count=max(len(named), data.total_commits or 0))

    def _get(self, url: str, what: str, params: dict | None = None, headers: dict | None = None) -> GitHubResponse:
        reply = self.client.get(url, params, headers, what)
        # 304 only answers our If-None-Match; any other non-200 (4xx, or a redirect PyGithub did not follow)
        # is an error, never an empty result.
        if reply.status != 200 and not (reply.status == 304 and headers and "If-None-Match" in headers):
            raise error_for(reply.status, reply.headers, reply.body, what, self.client.endpoint)
        return reply

    def _read(self, reply: GitHubResponse, url: str, what: str, shape: Shape):
        """The answer's body checked against `shape` (UnexpectedResponse otherwise)."""
        return parse.read(reply.body, shape, self._origin(url, what, reply.status))

    def _origin(self, url: str, what: str, status: int) -> parse.Origin:
        endpoint = self.client.endpoint
        return parse.Origin(endpoint.host, parse.request_path(url), what, status, endpoint.secrets)

    def _walk(self, page: list[CommitEntry], reply: GitHubResponse, since_sha: str,
              what: str) -> tuple[list[CommitEntry], bool, bool]:
        """Listing entries newer than the cursor (newest first), whether it was reached, whether capped."""
        walked: list[CommitEntry] = []
        pages, next_url = 1, parse.link_next(reply.headers.get("link"))
        while True:
            for item in page:
                if item.sha == since_sha:
                    return walked, True, False
                walked.append(item)
            if next_url is None:
                return walked, False, False
            if pages >= self.max_pages:
                return walked, False, True
            reply = self._get(next_url, what)
            page = self._read(reply, next_url, what, parse.LISTING)
            pages, next_url = pages + 1, parse.link_next(reply.headers.get("link"))

    def _compare(self, repo: RepoRef, base: str, head: str, what: str) -> _Comparison | None:
        """`base..head` in chronological order via the compare API; None when GitHub no longer knows `base`."""
        url, what = f"/repos/{repo}/compare/{base}...{head}", f"{what} compare"
        try:
            reply = self._get(url, what, {"per_page": self.per_page})
        except GitHubError as exc:
            if exc.status in (404, 422):
                return None
            raise
        data = self._read(reply, url, what, parse.COMPARISON)
        entries = list(data.commits or ())
        pages, next_url = 1, parse.link_next(reply.headers.get("link"))
        while next_url and pages < self.max_pages:
            more = self._get(next_url, what)
            entries.extend(self._read(more, next_url, what, parse.COMPARISON).commits or ())
            pages, next_url = pages + 1, parse.link_next(more.headers.get("link"))
        return _Comparison(status=data.status or "diverged", entries=entries, truncated=next_url is not None)

    @staticmethod
    def _check_not_moved(repo: RepoRef, entry: CommitEntry) -> None:
        # GitHub answers a renamed repository with a 301 that PyGithub follows (dropping the query),
        # so the only trace is the canonical name in the returned commit URLs.
        current = parse.repo_in_url(entry.url)
        if current is not None and not parse.same_repo(current, repo):
            raise Moved(f"moved to {current}", new_repo=current, target=str(repo))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
