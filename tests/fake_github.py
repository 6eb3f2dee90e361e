"""A stateful fake GitHub REST API on 127.0.0.1 (pytest-httpserver), serving the real API's JSON shapes.

Build repositories, branches, commits, merges, force-pushes and pull requests; script failures
(rate limits, 5xx, anything); count requests and 304s. Every URL in the answers is absolute on
the fake's own host and port, as PyGithub requires.

In a test module:  `from tests.fake_github import fake_github, fake_github_server  # noqa: F401`
then take the `fake_github` fixture; or, outside pytest, `FakeGitHub.serve(latency=0.05)` (waitress).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fake_github_routes import GitHubRoutes, user_json

EPOCH = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
# A scripted answer's body: JSON, text as it is, or made from the request.
Body = dict | list | str | Callable[[Request], dict | list | str]


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
        return datetime.fromtimestamp(self.t, UTC)


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
    body: Body
    times: int


@dataclass
class FakeRepo:
    """One repository: commit objects, branch heads, pull requests per commit."""

    fake: FakeGitHub
    full_name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    empty: bool = False
    fork: bool = False
    archived: bool = False
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

    def branch(self, name: str, at: str | None = None) -> str:
        """Create branch `name` at `at` (default: the default branch's head); its head SHA."""
        self.branches[name] = at or self.branches[self.default_branch]
        return self.branches[name]

    def delete_branch(self, name: str) -> None:
        """Delete a branch (its commits stay)."""
        del self.branches[name]

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


class FakeGitHub(GitHubRoutes):
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
        # Owners that are organisations (GET /orgs/{org}/repos answers); any other owner of a repo is a user.
        self.orgs: set[str] = set()
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
    def serve(cls, threads: int = 64, **kwargs) -> FakeGitHub:
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

    def add_org(self, name: str) -> None:
        """An organisation (it may have no repositories yet)."""
        self.orgs.add(name.lower())

    def add_repo(self, full_name: str, default_branch: str = "main", private: bool = False,
                 empty: bool = False, fork: bool = False, archived: bool = False) -> FakeRepo:
        """A new repository; unless `empty`, it starts with one commit on the default branch."""
        repo = FakeRepo(self, full_name, id=len(self.repos) + len(self.moved) + 1, default_branch=default_branch,
                        private=private, empty=empty, fork=fork, archived=archived)
        self.repos[full_name.lower()] = repo
        if not empty:
            repo.commit("Initial commit", files=[file_entry("README.md", status="added", deletions=0)])
        return repo

    def delete_repo(self, full_name: str) -> None:
        """Delete a repository: it answers 404 and leaves its owner's list."""
        del self.repos[full_name.lower()]

    def rename(self, old: str, new: str) -> FakeRepo:
        """Rename or transfer a repository; the old name answers 301 from then on."""
        repo = self.repos.pop(old.lower())
        repo.full_name = new
        self.repos[new.lower()] = repo
        self.moved[old.lower()] = repo
        return repo

    def fail(self, path_regex: str, status: int, body: Body | None = None, headers: dict | None = None,
             times: int = 1) -> None:
        """Answer the next `times` requests whose path matches with this status instead.

        `body` is JSON (dict or list), a str sent as it is (`""` is an empty body), or a function of
        the request returning either (e.g. a server echoing the Authorization header it received).
        """
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


@pytest.fixture
def clock(fake_github) -> FakeClock:
    """A fake clock shared by the fake GitHub (its rate-limit resets) and the bot's retry policy."""
    clock = FakeClock()
    fake_github.now = clock.now
    return clock


@pytest.fixture
def make_source(fake_github, clock):
    """Builds GitHubSources on the fake whose waits only advance `clock`; closes them afterwards."""
    from bot.github.client import GitHubClient
    from bot.github.retry import GitHubLimits, GitHubRetry
    from bot.github.source import GitHubSource

    made: list[GitHubSource] = []

    def make(token: str | None = None, api_url: str | None = None, max_wait: float | None = None,
             **options) -> GitHubSource:
        limits = GitHubLimits(max_wait=max_wait) if max_wait is not None else GitHubLimits()
        policy = GitHubRetry(limits, sleep=clock.sleep, now=clock.now, jitter=lambda: 1.0)
        source = GitHubSource(GitHubClient(api_url or fake_github.api_url, token, 5, policy), **options)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()
