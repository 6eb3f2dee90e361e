"""GET requests through PyGithub's own HTTP stack (auth, timeout, base URL), under the retry policy."""

from __future__ import annotations

import queue
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from github import Auth, Github

from bot.github.errors import Endpoint, GitHubError
from bot.github.ratelimit import RequestBudget
from bot.github.retry import GitHubResponse, GitHubRetry, GitHubStats

ACCEPT_JSON = "application/vnd.github+json"
USER_AGENT = "commit-radar"


class GitHubClient:
    """Sends GETs with PyGithub's Requester; one Github instance per concurrent caller.

    PyGithub's connection objects keep the pending request on the instance between `request()`
    and `getresponse()`, so one instance must never serve two threads at once (PyGithub PR #2052);
    instances are leased from a pool instead, which also keeps their keep-alive connections warm.
    PyGithub's own retries and request spacing are switched off: GitHubRetry is the only policy.
    With a `budget`, every attempt (retries and 304s included) takes a token from it first.
    """

    def __init__(self, base_url: str, token: str | None, timeout: int, policy: GitHubRetry | None = None,
                 user_agent: str = USER_AGENT, budget: RequestBudget | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base_url)
        self._origin = (parsed.scheme, parsed.hostname, parsed.port)
        self._token = token
        self._timeout = int(timeout)  # PyGithub accepts whole seconds only
        # Errors name the host as GITHUB_API_URL spells it (with its port), never the URL's userinfo.
        host = parsed.hostname or self.base_url
        self.endpoint = Endpoint(host=f"{host}:{parsed.port}" if parsed.port else host, timeout=self._timeout,
                                 secrets=(token,) if token else ())
        self._user_agent = user_agent
        self.policy = policy or GitHubRetry()
        self.budget = budget
        self._idle: queue.SimpleQueue[Github] = queue.SimpleQueue()
        self._all: list[Github] = []

    @property
    def stats(self) -> GitHubStats:
        """Request, 304, retry and rate-limit counters."""
        return self.policy.stats

    def get(self, url: str, params: Mapping[str, object] | None = None, headers: Mapping[str, str] | None = None,
            what: str = "") -> GitHubResponse:
        """GET a path under the API base (or an absolute URL on the same host, e.g. a Link header's)."""
        if not url.startswith("/"):
            self._check_same_origin(url)
        query = {key: str(value) for key, value in (params or {}).items()}

        def send() -> GitHubResponse:
            self._take_token(what or url)
            request_headers = {"Accept": ACCEPT_JSON, **(headers or {})}
            with self._lease() as client:
                try:
                    status, answer_headers, body = client.requester.requestJson("GET", url, query or None,
                                                                                request_headers)
                except RuntimeError as exc:  # PyGithub refusing a redirect to another host or scheme
                    raise GitHubError(f"{self.endpoint.host} redirected elsewhere ({exc}); check GITHUB_API_URL",
                                      target=what or url) from exc
            self.stats.count_reply(status)
            return GitHubResponse(status, {key.lower(): value for key, value in answer_headers.items()}, body or "")

        return self.policy.run(send, what or url, self.endpoint)

    def close(self) -> None:
        """Close every pooled connection."""
        for client in self._all:
            client.close()

    def _take_token(self, what: str) -> None:
        if self.budget is None:
            return
        waited = self.budget.take(what)
        if waited > 0:
            self.stats.count_budget_wait(waited)

    @contextmanager
    def _lease(self) -> Iterator[Github]:
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = self._new_client()
        try:
            yield client
        finally:
            self._idle.put(client)

    def _new_client(self) -> Github:
        auth = Auth.Token(self._token) if self._token else None
        client = Github(base_url=self.base_url, auth=auth, timeout=self._timeout, user_agent=self._user_agent,
                        retry=0, pool_size=2, seconds_between_requests=None, seconds_between_writes=None)
        self._all.append(client)
        return client

    def _check_same_origin(self, url: str) -> None:
        # A Link URL elsewhere would make PyGithub send our token to our own host with a foreign path;
        # refuse it rather than guess.
        parsed = urllib.parse.urlsplit(url)
        if (parsed.scheme, parsed.hostname, parsed.port) != self._origin:
            raise GitHubError(f"refusing to follow a link to {parsed.scheme}://{parsed.hostname}: "
                              f"not the API host of GITHUB_API_URL")
