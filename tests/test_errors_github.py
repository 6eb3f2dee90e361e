"""GitHub failures in words: real sockets on 127.0.0.1 and the fake GitHub; each text names the target once,
the host once, the cause and what to check, and never a secret."""

from __future__ import annotations

import socket
import urllib.parse
from datetime import UTC, datetime

import pytest

from bot.domain import RepoRef, Subscription
from bot.github.client import GitHubClient
from bot.github.errors import BadCredentials, Forbidden, NotFound, RateLimited, Unavailable
from bot.github.retry import GitHubLimits, GitHubRetry
from bot.github.source import GitHubSource
from bot.service.delivery import Deliverer
from bot.service.poller import poll_all
from bot.service.watcher import REPORT_AFTER_FAILURES, Watcher
from tests.fake_github import FakeClock as GitHubClock
from tests.fake_github import clock, fake_github, fake_github_server, make_source  # noqa: F401
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier

REPO = RepoRef.parse("octo/widgets")
SHA = "abc1234567890abcdef1234567890abcdef12345"
TOKEN = "ghp_never_shown_0123456789"


def closed_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nobody listens there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def source_at(url: str, attempts: int = 4, timeout: int = 5, token: str | None = None) -> GitHubSource:
    policy = GitHubRetry(GitHubLimits(attempts=attempts), sleep=GitHubClock().sleep, jitter=lambda: 1.0)
    return GitHubSource(GitHubClient(url, token, timeout, policy))


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def failure(call) -> Exception:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def assert_once(text: str, *words: str) -> None:
    for word in words:
        assert text.count(word) == 1, f"{word!r} should appear once in {text!r}"


def test_connection_refused_names_the_commit_host_cause_and_setting():
    port = closed_port()
    error = failure(lambda: source_at(f"http://127.0.0.1:{port}").fetch_commit(REPO, SHA))
    assert isinstance(error, Unavailable)
    assert str(error) == (f"octo/widgets@abc123456789: cannot reach 127.0.0.1:{port}: connection refused "
                          f"(tried 4 times); check GITHUB_API_URL and that the server is up")
    assert_once(str(error), "octo/widgets", f"127.0.0.1:{port}")


def test_unresolvable_host_says_the_name_does_not_resolve():
    error = failure(lambda: source_at("http://api.commit-radar.invalid", attempts=2)
                    .fetch_commit_listing(REPO, "main", None, None))
    assert str(error) == ("octo/widgets@main: cannot reach api.commit-radar.invalid: the name does not resolve "
                          "(tried 2 times); check GITHUB_API_URL and this machine's DNS")


def test_a_server_that_never_answers_is_a_timeout_naming_github_timeout(silent_port):
    # PyGithub takes whole seconds: two attempts of one second, the shortest real wait there is.
    error = failure(lambda: source_at(f"http://127.0.0.1:{silent_port}", attempts=2, timeout=1)
                    .fetch_commit_listing(REPO, "main", None, None))
    assert str(error) == (f"octo/widgets@main: no answer from 127.0.0.1:{silent_port} within 1 s (tried 2 times); "
                          f"check the network and any proxy, or raise GITHUB_TIMEOUT")


def test_tls_to_a_plain_http_server_is_a_tls_failure(httpserver):
    httpserver.expect_request("/repos/octo/widgets/commits").respond_with_json([])
    port = httpserver.port
    error = failure(lambda: source_at(f"https://127.0.0.1:{port}", attempts=1)
                    .fetch_commit_listing(REPO, "main", None, None))
    text = str(error)
    assert text.startswith(f"octo/widgets@main: no secure connection to 127.0.0.1:{port}: the TLS handshake failed")
    assert text.endswith("; check GITHUB_API_URL (https:// on a plain-HTTP port?) and the trusted certificates "
                         "(REQUESTS_CA_BUNDLE)")
    assert "_ssl.c" not in text and "Max retries" not in text


@pytest.fixture
def widgets(fake_github):
    fake_github.add_repo("octo/widgets")
    return fake_github


def test_401_says_check_github_token_and_never_shows_it(widgets, make_source):
    widgets.fail("/commits", 401, {"message": f"Bad credentials for {TOKEN}"})
    error = failure(lambda: make_source(token=TOKEN).fetch_commit_listing(REPO, "main", None, None))
    host = host_of(widgets.api_url)
    assert isinstance(error, BadCredentials)
    assert str(error) == (f"octo/widgets@main: {host} rejected the credentials (HTTP 401: Bad credentials for ***); "
                          f"check GITHUB_TOKEN: it is wrong, expired or revoked")


@pytest.mark.parametrize(("headers", "hint"), [
    ({}, "check that GITHUB_TOKEN may read this repository: a missing scope or permission, "
         "or single sign-on not authorised for it"),
    ({"X-GitHub-SSO": "required; url=https://github.com/orgs/octo/sso?authorization_request=x"},
     "authorise GITHUB_TOKEN for the organisation's SAML single sign-on (token settings, Configure SSO)"),
    ({"X-Accepted-OAuth-Scopes": "repo", "X-OAuth-Scopes": "read:user, gist"},
     "GITHUB_TOKEN lacks the scope repo (it has gist, read:user)"),
])
def test_403_names_sso_or_the_missing_scope(widgets, make_source, headers, hint):
    widgets.fail("/commits", 403, {"message": "Resource not accessible by personal access token"}, headers)
    error = failure(lambda: make_source(token=TOKEN).fetch_commit_listing(REPO, "main", None, None))
    assert isinstance(error, Forbidden)
    assert str(error) == (f"octo/widgets@main: {host_of(widgets.api_url)} refused access (HTTP 403: Resource not "
                          f"accessible by personal access token); {hint}")


def test_404_says_missing_or_private(widgets, make_source):
    widgets.fail("/commits/", 404, {"message": "Not Found"})
    error = failure(lambda: make_source().fetch_commit(REPO, SHA))
    assert isinstance(error, NotFound)
    assert str(error) == (f"octo/widgets@abc123456789: not found on {host_of(widgets.api_url)} (HTTP 404: Not Found); "
                          f"the repository, branch or commit does not exist, or the repository is private and "
                          f"GITHUB_TOKEN cannot see it")


def test_rate_limit_says_when_it_resets_then_fails_fast_saying_so(widgets, make_source, clock):
    widgets.rate_limited("/commits", reset_in=3600)
    source = make_source(max_wait=60)
    error = failure(lambda: source.fetch_commit_listing(REPO, "main", None, None))
    reset = datetime.fromtimestamp(int(clock.now() + 3600), UTC)
    host = host_of(widgets.api_url)
    assert isinstance(error, RateLimited)
    assert str(error) == (f"octo/widgets@main: {host} rate limit exceeded (HTTP 403: API rate limit exceeded for "
                          f"127.0.0.1.); it resets at {reset:%Y-%m-%d %H:%M:%S} UTC")
    again = failure(lambda: source.fetch_commit_listing(REPO, "main", None, None))
    assert str(again).startswith(f"octo/widgets@main: {host} rate limit used up, no request sent; it resets at ")


def test_unauthenticated_rate_limit_suggests_a_token(widgets, make_source):
    widgets.fail("/commits", 403, {"message": "API rate limit exceeded for 127.0.0.1."},
                 {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
    error = failure(lambda: make_source(max_wait=0).fetch_commit_listing(REPO, "main", None, None))
    assert str(error).endswith("; without GITHUB_TOKEN the limit is 60 requests an hour: set it for 5,000")


def test_a_long_upstream_page_is_cut_in_its_middle_keeping_the_hint(widgets, make_source):
    page = "<html><body>" + "proxy noise " * 800 + "upstream connect error: reset</body></html>"
    widgets.fail("/commits", 502, page, times=10)
    error = failure(lambda: make_source(token=TOKEN).fetch_commit_listing(REPO, "main", None, None))
    text = str(error)
    assert text.startswith(f"octo/widgets@main: {host_of(widgets.api_url)} failed with HTTP 502: <html><body>proxy")
    assert "upstream connect error: reset</body></html> (tried 4 times)" in text and " … " in text
    assert text.endswith("; a problem on the server's side, try again later") and len(text) < 400


def test_poll_failure_on_the_cursor_and_in_the_report_names_the_repo_once(store):
    port = closed_port()
    clock = FakeClock()
    watcher = Watcher(store, source_at(f"http://127.0.0.1:{port}"), FakeAnalyser(), Deliverer(store, {}, clock), clock)
    store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    report = watcher.run_cycle()
    cause = (f"cannot reach 127.0.0.1:{port}: connection refused (tried 4 times); check GITHUB_API_URL and that "
             f"the server is up")
    assert store.cursors.get(REPO, "main").failure_message == cause
    assert report.failures == {"octo/widgets@main": cause}


def test_the_channel_notice_of_a_broken_subscription_names_the_repo_once(store, widgets, make_source):
    widgets.fail("/commits", 401, {"message": "Bad credentials"}, times=REPORT_AFTER_FAILURES)
    notifier, clock = FakeNotifier(), FakeClock()
    store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO, language="en"))
    watcher = Watcher(store, make_source(token=TOKEN), FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock),
                      clock)
    for _ in range(REPORT_AFTER_FAILURES):
        watcher.run_cycle()
    [notice] = notifier.of_kind("text")
    assert notice.payload == (f"⚠️ Cannot read octo/widgets@main: {host_of(widgets.api_url)} rejected the credentials "
                              f"(HTTP 401: Bad credentials); check GITHUB_TOKEN: it is wrong, expired or revoked. "
                              f"The subscription stays; it resumes by itself once this is fixed.")


def test_a_commit_that_cannot_be_fetched_is_named_by_its_sha_under_the_branch(store, widgets, make_source):
    repo = widgets.repos["octo/widgets"]
    store.cursors.advance(REPO, "main", repo.commit("first"), None, datetime(2026, 1, 8, tzinfo=UTC))
    new = repo.commit("second")
    widgets.fail(f"/commits/{new}", 404, {"message": "Not Found"})
    poll_all(make_source(), store, [(REPO, "main")], 1, lambda: datetime(2026, 1, 8, tzinfo=UTC))
    message = store.cursors.get(REPO, "main").failure_message
    assert message.startswith(f"commit {new[:12]}: not found on {host_of(widgets.api_url)} (HTTP 404: Not Found); ")
    assert "octo/widgets" not in message


def test_commit_lookup_failure_names_the_repo_once(store):
    # The example: "octo/widgets: octo/widgets@abc1234: ConnectionError after 4 attempts".
    from bot.service.lookup import CommitLookup

    port = closed_port()
    result = CommitLookup(store, source_at(f"http://127.0.0.1:{port}"), FakeAnalyser()).find(SHA[:7], [REPO])
    assert result.status == "failed"
    assert result.failures == (f"octo/widgets: cannot reach 127.0.0.1:{port}: connection refused (tried 4 times); "
                               f"check GITHUB_API_URL and that the server is up",)
