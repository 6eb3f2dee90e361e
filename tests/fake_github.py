"""A stateful fake GitHub REST API on 127.0.0.1 (pytest-httpserver), serving the real API's JSON shapes.

Build repositories, branches, commits, merges, force-pushes and pull requests; script failures
(rate limits, 5xx, anything); count requests and 304s. Every URL in the answers is absolute on
the fake's own host and port, as PyGithub requires.

In a test module:  `from tests.fake_github import fake_github, fake_github_server  # noqa: F401`
then take the `fake_github` fixture; or, outside pytest, `FakeGitHub.serve(latency=0.05)` (waitress).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EPOCH = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


class FakeClock:
    """Epoch-seconds clock whose `sleep` only advances time (and records the wait)."""

    def __init__(self, start: float = 1_714_550_400.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += seconds

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.t, timezone.utc)


@dataclass
class FakeCommit:
    sha: str
    message: str
    author_name: str
    author_login: str | None
    date: str
    parents: list[str]
    files: list[dict]
    seq: int


@dataclass
class Seen:
    """One request the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass
class Failure:
    pattern: re.Pattern
    status: int
    headers: dict[str, str]
    body: dict | str
    times: int


@dataclass
class FakeRepo:
    """One repository: commit objects, branch heads, pull requests per commit."""

    fake: "FakeGitHub"
    full_name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    empty: bool = False
    objects: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    def commit(self, message: str = "Change something", branch: str | None = None, files: list[dict] | None = None,
               author: str = "Ada Lovelace", login: str | None = "ada", date: str | None = None,
               parents: list[str] | None = None, pull: dict | None = None) -> str:
        """Add a commit on top of `branch` (created if new) and return its SHA."""
        branch = branch or self.default_branch
        self.empty = False
        seq = self.fake.next_seq()
        sha = hashlib.sha1(f"{self.full_name}:{seq}:{message}".encode()).hexdigest()
        if parents is None:
            parents = [self.branches[branch]] if branch in self.branches else []
        if files is None:
            files = [file_entry(f"src/module_{seq}.py", patch=f"@@ -1 +1 @@\n-old {seq}\n+new {seq}")]
        when = date or (EPOCH + timedelta(minutes=seq)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.objects[sha] = FakeCommit(sha, message, author, login, when, list(parents), files, seq)
        self.branches[branch] = sha
        if pull:
            self.add_pull(sha, **pull)
        return sha

    def commits(self, count: int, branch: str | None = None, prefix: str = "Commit") -> list[str]:
        """Add `count` commits on `branch`; their SHAs oldest first."""
        return [self.commit(f"{prefix} {index}", branch=branch) for index in range(count)]

    def merge(self, source: str, into: str | None = None, message: str | None = None, pull: dict | None = None) -> str:
        """A merge commit of branch `source` into `into`."""
        into = into or self.default_branch
        parents = [self.branches[into], self.branches[source]]
        return self.commit(message or f"Merge branch '{source}'", branch=into, parents=parents, pull=pull, files=[])

    def reset(self, branch: str, sha: str) -> None:
        """Point `branch` at `sha` (a force-push)."""
        self.branches[branch] = sha

    def forget(self, sha: str) -> None:
        """Drop a commit object, as GitHub does after a force-push once it is collected."""
        self.objects.pop(sha, None)

    def add_pull(self, sha: str, number: int, title: str = "A pull request", body: str = "", merged: bool = True) -> dict:
        """Associate a pull request with commit `sha`."""
        api, web = self.fake.api_url, self.fake.web_url
        pull = {"url": f"{api}/repos/{self.full_name}/pulls/{number}", "id": 1000 + number, "node_id": f"PR_{number}",
                "html_url": f"{web}/{self.full_name}/pull/{number}", "number": number,
                "state": "closed" if merged else "open", "locked": False, "title": title, "body": body,
                "user": user_json(self.fake, "ada"), "created_at": "2024-05-01T07:00:00Z",
                "updated_at": "2024-05-01T09:00:00Z", "closed_at": "2024-05-01T09:00:00Z" if merged else None,
                "merged_at": "2024-05-01T09:00:00Z" if merged else None, "merge_commit_sha": sha if merged else None,
                "base": {"ref": self.default_branch, "sha": sha}, "head": {"ref": f"feature-{number}", "sha": sha}}
        self.pulls.setdefault(sha, []).append(pull)
        return pull

    def reachable(self, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.objects:
                continue
            seen.add(current)
            stack.extend(self.objects[current].parents)
        return seen

    def history(self, head: str) -> list[FakeCommit]:
        """Commits reachable from `head`, newest first by committer date (as `git log` lists them)."""
        commits = [self.objects[sha] for sha in self.reachable(head)]
        return sorted(commits, key=lambda c: (datetime.fromisoformat(c.date.replace("Z", "+00:00")), c.seq),
                      reverse=True)

    def resolve(self, ref: str) -> str | None:
        if ref in self.branches:
            return self.branches[ref]
        matches = [sha for sha in self.objects if sha.startswith(ref.lower())] if len(ref) >= 4 else []
        return matches[0] if len(matches) == 1 else None


def file_entry(filename: str, status: str = "modified", additions: int = 1, deletions: int = 1,
               patch: str | None = "@@ -1 +1 @@\n-a\n+b", previous_filename: str | None = None) -> dict:
    """A commit's file entry as GitHub lists it (URLs are filled in when served)."""
    entry = {"filename": filename, "status": status, "additions": additions, "deletions": deletions,
             "changes": additions + deletions}
    if patch is not None:
        entry["patch"] = patch
    if previous_filename:
        entry["previous_filename"] = previous_filename
    return entry


def user_json(fake: "FakeGitHub", login: str) -> dict:
    return {"login": login, "id": zlib.crc32(login.encode()) % 10_000_000, "node_id": f"U_{login}", "type": "User",
            "site_admin": False, "url": f"{fake.api_url}/users/{login}", "html_url": f"{fake.web_url}/{login}",
            "avatar_url": f"{fake.web_url}/avatars/{login}"}


class FakeGitHub:
    """The fake API; `api_url` is what GITHUB_API_URL should be set to."""

    def __init__(self, server: HTTPServer | None, prefix: str = "", token: str | None = None, latency: float = 0.0,
                 now: Callable[[], float] = time.time, port: int | None = None) -> None:
        self.server = server
        self.port = server.port if server is not None else port
        self._stop: Callable[[], None] | None = None
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.latency = latency
        self.now = now
        self.repos: dict[str, FakeRepo] = {}
        self.moved: dict[str, FakeRepo] = {}
        self.failures: list[Failure] = []
        self.seen: list[Seen] = []
        self.rate_limit = 5000
        self.rate_remaining = 5000
        self._seq = 0
        self._lock = threading.Lock()
        if server is not None:
            server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    @classmethod
    def serve(cls, threads: int = 64, **kwargs) -> "FakeGitHub":
        """Serve on 127.0.0.1 with waitress (keep-alive, `threads` workers), e.g. for benchmarks; `stop()` ends it.

        The werkzeug server under pytest-httpserver closes every connection, which would make a
        benchmark measure connection set-up instead of the bot.
        """
        from waitress.server import create_server

        fake = cls(None, **kwargs)
        server = create_server(Request.application(fake._handle), host="127.0.0.1", port=0, threads=threads,
                               connection_limit=threads * 4, channel_timeout=60, ident="fake-github")
        fake.port = server.effective_port
        thread = threading.Thread(target=server.run, name="fake-github", daemon=True)
        thread.start()

        def stop() -> None:
            server.close()
            server.task_dispatcher.shutdown(timeout=5)
            thread.join(5)

        fake._stop = stop
        return fake

    def stop(self) -> None:
        """Stop a server started by `serve()`."""
        if self._stop is not None:
            self._stop()

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.web_url + self.prefix

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    # --- building ---

    def add_repo(self, full_name: str, default_branch: str = "main", private: bool = False,
                 empty: bool = False) -> FakeRepo:
        """A new repository; unless `empty`, it starts with one commit on the default branch."""
        repo = FakeRepo(self, full_name, id=len(self.repos) + len(self.moved) + 1, default_branch=default_branch,
                        private=private, empty=empty)
        self.repos[full_name.lower()] = repo
        if not empty:
            repo.commit("Initial commit", files=[file_entry("README.md", status="added", deletions=0)])
        return repo

    def rename(self, old: str, new: str) -> FakeRepo:
        """Rename or transfer a repository; the old name answers 301 from then on."""
        repo = self.repos.pop(old.lower())
        repo.full_name = new
        self.repos[new.lower()] = repo
        self.moved[old.lower()] = repo
        return repo

    def fail(self, path_regex: str, status: int, body: dict | str | None = None, headers: dict | None = None,
             times: int = 1) -> None:
        """Answer the next `times` requests whose path matches with this status instead."""
        body = body if body is not None else {"message": f"Scripted {status}"}
        self.failures.append(Failure(re.compile(path_regex), status, dict(headers or {}), body, times))

    def rate_limited(self, path_regex: str = ".*", reset_in: float = 30, status: int = 403, times: int = 1) -> None:
        """A primary rate-limit answer: remaining 0, reset `reset_in` seconds from `now()`."""
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(self.now() + reset_in))}
        message = {"message": "API rate limit exceeded for 127.0.0.1.",
                   "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}
        self.fail(path_regex, status, message, headers, times)

    # --- counting ---

    def count(self, path: str | None = None, status: int | None = None) -> int:
        """Requests whose path contains `path` and whose answer had `status` (None: any)."""
        return sum(1 for seen in self.seen if (path is None or path in seen.path)
                   and (status is None or seen.status == status))

    @property
    def not_modified(self) -> int:
        return self.count(status=304)

    @property
    def counted(self) -> int:
        """Requests that count against the rate limit (all but 304)."""
        return len(self.seen) - self.not_modified

    def reset_counts(self) -> None:
        self.seen.clear()

    # --- serving ---

    def _handle(self, request: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        path = request.path
        query = {key: value for key, value in request.args.items()}
        response = self._route(request, path, query)
        with self._lock:
            if response.status_code != 304:
                self.rate_remaining = max(0, self.rate_remaining - 1)
            for name, value in (("X-RateLimit-Limit", self.rate_limit), ("X-RateLimit-Remaining", self.rate_remaining),
                                ("X-RateLimit-Reset", int(self.now()) + 3600), ("X-RateLimit-Resource", "core")):
                response.headers.setdefault(name, str(value))
            self.seen.append(Seen(request.method, path, query, dict(request.headers), response.status_code))
        return response

    def _route(self, request: Request, path: str, query: dict[str, str]) -> Response:
        if self.token and request.headers.get("Authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
            return self._json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401)
        for failure in list(self.failures):
            if failure.times > 0 and failure.pattern.search(path):
                failure.times -= 1
                return self._json(failure.body, failure.status, failure.headers)
        if not path.startswith(self.prefix + "/"):
            return self._not_found()
        rest = path[len(self.prefix):]
        match = re.match(r"^/repositories/(\d+)(/.*)?$", rest)
        if match:
            repo = next((r for r in self.repos.values() if r.id == int(match.group(1))), None)
            return self._repo_route(request, repo, match.group(2) or "", query) if repo else self._not_found()
        match = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", rest)
        if not match:
            return self._not_found()
        name, tail = match.group(1).lower(), match.group(2) or ""
        if name in self.moved and name not in self.repos:
            repo = self.moved[name]
            location = f"{self.api_url}/repositories/{repo.id}{tail}"
            if request.query_string:
                location += "?" + request.query_string.decode()
            return self._json({"message": "Moved Permanently", "url": location,
                               "documentation_url": "https://docs.github.com/rest"}, 301, {"Location": location})
        repo = self.repos.get(name)
        return self._repo_route(request, repo, tail, query) if repo else self._not_found()

    def _repo_route(self, request: Request, repo: FakeRepo, tail: str, query: dict[str, str]) -> Response:
        if tail in ("", "/"):
            return self._json(self._repo_json(repo), request=request)
        match = re.match(r"^/branches/(.+)$", tail)
        if match:
            branch = urllib.parse.unquote(match.group(1))
            if branch not in repo.branches:
                return self._json({"message": "Branch not found"}, 404)
            head = repo.branches[branch]
            return self._json({"name": branch, "protected": False,
                               "commit": self._entry(repo, repo.objects[head])}, request=request)
        if repo.empty and tail.startswith(("/commits", "/compare")):
            return self._json({"message": "Git Repository is empty."}, 409)
        if tail == "/commits":
            return self._listing(request, repo, query)
        match = re.match(r"^/commits/([^/]+)/pulls$", tail)
        if match:
            sha = repo.resolve(match.group(1))
            return self._json(repo.pulls.get(sha, []) if sha else [], request=request)
        match = re.match(r"^/commits/(.+)$", tail)
        if match:
            return self._detail(request, repo, urllib.parse.unquote(match.group(1)), query)
        match = re.match(r"^/compare/([^.]+)\.\.\.(.+)$", tail)
        if match:
            return self._compare(request, repo, match.group(1), match.group(2), query)
        return self._not_found()

    def _listing(self, request: Request, repo: FakeRepo, query: dict[str, str]) -> Response:
        ref = query.get("sha", repo.default_branch)
        head = repo.resolve(ref)
        if head is None:
            return self._json({"message": f"No commit found for SHA: {ref}"}, 404)
        items, link = self._page(request, repo.history(head), query, default_per_page=30, max_per_page=100)
        return self._json([self._entry(repo, commit) for commit in items], request=request, link=link)

    def _detail(self, request: Request, repo: FakeRepo, ref: str, query: dict[str, str]) -> Response:
        sha = repo.resolve(ref)
        if sha is None:
            return self._json({"message": f"No commit found for SHA: {ref}"}, 422)
        if request.headers.get("Accept", "").startswith("application/vnd.github.sha"):
            return self._respond(sha.encode(), "text/plain; charset=utf-8", request)
        commit = repo.objects[sha]
        files, link = self._page(request, commit.files, query, default_per_page=300, max_per_page=300)
        data = self._entry(repo, commit)
        additions = sum(item["additions"] for item in commit.files)
        deletions = sum(item["deletions"] for item in commit.files)
        data["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        data["files"] = [self._file_json(repo, commit, item) for item in files]
        return self._json(data, request=request, link=link)

    def _compare(self, request: Request, repo: FakeRepo, base_ref: str, head_ref: str, query: dict[str, str]) -> Response:
        base, head = repo.resolve(base_ref), repo.resolve(head_ref)
        if base is None or head is None:
            return self._json({"message": "Not Found"}, 404)
        from_head, from_base = repo.reachable(head), repo.reachable(base)
        ahead = sorted((repo.objects[sha] for sha in from_head - from_base), key=lambda c: c.seq)
        behind = from_base - from_head
        status = "identical" if base == head else "ahead" if not behind else "behind" if not ahead else "diverged"
        common = [c for c in repo.history(head) if c.sha in from_base]
        page, link = self._page(request, ahead, query, default_per_page=250, max_per_page=100)
        data = {"url": f"{self.api_url}/repos/{repo.full_name}/compare/{base_ref}...{head_ref}",
                "html_url": f"{self.web_url}/{repo.full_name}/compare/{base_ref}...{head_ref}",
                "base_commit": self._entry(repo, repo.objects[base]),
                "merge_base_commit": self._entry(repo, common[0]) if common else None,
                "status": status, "ahead_by": len(ahead), "behind_by": len(behind), "total_commits": len(ahead),
                "commits": [self._entry(repo, commit) for commit in page], "files": []}
        return self._json(data, request=request, link=link)

    def _page(self, request: Request, items: list, query: dict[str, str], default_per_page: int,
              max_per_page: int) -> tuple[list, str | None]:
        per_page = min(int(query.get("per_page", default_per_page)), max_per_page)
        page = max(1, int(query.get("page", 1)))
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        if last == 1:
            return chunk, None
        base = f"{self.web_url}{request.path}"
        rels = ([("prev", page - 1), ("first", 1)] if page > 1 else []) + \
            ([("next", page + 1), ("last", last)] if page < last else [])
        links = [f'<{base}?{urllib.parse.urlencode({**query, "per_page": per_page, "page": number})}>; rel="{rel}"'
                 for rel, number in rels]
        return chunk, ", ".join(links) or None

    # --- JSON shapes ---

    def _repo_json(self, repo: FakeRepo) -> dict:
        api, web = self.api_url, self.web_url
        owner, name = repo.full_name.split("/")
        return {"id": repo.id, "node_id": f"R_{repo.id}", "name": name, "full_name": repo.full_name,
                "private": repo.private, "owner": user_json(self, owner), "html_url": f"{web}/{repo.full_name}",
                "description": None, "fork": False, "url": f"{api}/repos/{repo.full_name}",
                "commits_url": f"{api}/repos/{repo.full_name}/commits{{/sha}}", "default_branch": repo.default_branch,
                "visibility": "private" if repo.private else "public", "archived": False, "disabled": False,
                "pushed_at": "2024-05-01T09:00:00Z", "created_at": "2020-01-01T00:00:00Z"}

    def _entry(self, repo: FakeRepo, commit: FakeCommit) -> dict:
        api, web, full = self.api_url, self.web_url, repo.full_name
        person = {"name": commit.author_name, "email": f"{commit.author_login or 'someone'}@example.com",
                  "date": commit.date}
        account = user_json(self, commit.author_login) if commit.author_login else None
        return {"sha": commit.sha, "node_id": f"C_{commit.sha[:10]}",
                "commit": {"author": person, "committer": dict(person), "message": commit.message,
                           "tree": {"sha": hashlib.sha1(commit.sha.encode()).hexdigest(),
                                    "url": f"{api}/repos/{full}/git/trees/{commit.sha}"},
                           "url": f"{api}/repos/{full}/git/commits/{commit.sha}", "comment_count": 0,
                           "verification": {"verified": False, "reason": "unsigned", "signature": None,
                                            "payload": None}},
                "url": f"{api}/repos/{full}/commits/{commit.sha}", "html_url": f"{web}/{full}/commit/{commit.sha}",
                "comments_url": f"{api}/repos/{full}/commits/{commit.sha}/comments",
                "author": account, "committer": account,
                "parents": [{"sha": parent, "url": f"{api}/repos/{full}/commits/{parent}",
                             "html_url": f"{web}/{full}/commit/{parent}"} for parent in commit.parents]}

    def _file_json(self, repo: FakeRepo, commit: FakeCommit, item: dict) -> dict:
        path = urllib.parse.quote(item["filename"])
        return {"sha": hashlib.sha1(item["filename"].encode()).hexdigest(), **item,
                "blob_url": f"{self.web_url}/{repo.full_name}/blob/{commit.sha}/{path}",
                "raw_url": f"{self.web_url}/{repo.full_name}/raw/{commit.sha}/{path}",
                "contents_url": f"{self.api_url}/repos/{repo.full_name}/contents/{path}?ref={commit.sha}"}

    def _json(self, data, status: int = 200, headers: dict | None = None, request: Request | None = None,
              link: str | None = None) -> Response:
        body = json.dumps(data).encode() if not isinstance(data, str) else data.encode()
        if request is not None and status == 200:
            return self._respond(body, "application/json; charset=utf-8", request, link)
        response = Response(body, status=status, content_type="application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def _respond(self, body: bytes, content_type: str, request: Request, link: str | None = None) -> Response:
        etag = 'W/"' + hashlib.sha256(body + (request.headers.get("Authorization") or "").encode()).hexdigest()[:32] + '"'
        if request.headers.get("If-None-Match") == etag:
            response = Response(status=304)
        else:
            response = Response(body, status=200, content_type=content_type)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
        response.headers["Vary"] = "Accept, Authorization, Cookie"
        if link and response.status_code == 200:
            response.headers["Link"] = link
        return response

    def _not_found(self) -> Response:
        return self._json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, 404)


@pytest.fixture(scope="session")
def fake_github_server():
    """One threaded HTTP server on 127.0.0.1 for the whole session (stopping one takes up to 0.5 s)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def fake_github(fake_github_server):
    """A fresh, empty fake GitHub; fails the test if its handler raised."""
    fake_github_server.clear()
    fake = FakeGitHub(fake_github_server)
    yield fake
    errors = list(fake_github_server.handler_errors)
    fake_github_server.clear()
    assert not errors, f"fake GitHub handler failed: {errors!r}"
