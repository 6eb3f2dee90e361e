"""The retry and rate-limit policy, through PyGithub against the fake GitHub, with an injected clock."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from bot.domain import RepoRef
from bot.github.client import GitHubClient
from bot.github.errors import RateLimited, Unavailable
from bot.github.retry import MAX_HINT, GitHubLimits, GitHubResponse, GitHubRetry, hinted_wait, reset_epoch
from bot.github.source import GitHubSource
from tests.fake_github import FakeClock, clock, fake_github, fake_github_server, make_source  # noqa: F401

REPO = RepoRef.parse("octo/hello")


@pytest.fixture
def source(fake_github, make_source):
    fake_github.add_repo("octo/hello")
    return make_source(max_wait=120)


def list_head(source: GitHubSource):
    return source.fetch_commit_listing(REPO, "main", None, None)


def test_primary_rate_limit_403_waits_for_the_reset_then_succeeds(fake_github, source, clock):
    fake_github.rate_limited("/commits", reset_in=30)
    assert list_head(source).head_sha
    assert clock.sleeps == [31.0]  # until the reset, plus a second for the reset's own granularity
    assert fake_github.count() == 2
    assert source.stats.rate_limit_waits == 1


def test_primary_rate_limit_beyond_the_bound_fails_fast_and_stays_quiet(fake_github, source, clock):
    fake_github.rate_limited("/commits", reset_in=3600)
    with pytest.raises(RateLimited) as caught:
        list_head(source)
    assert caught.value.reset_at == datetime.fromtimestamp(int(clock.now() + 3600), UTC)
    assert clock.sleeps == [] and fake_github.count() == 1
    # Until the reset, no further request is sent at all.
    with pytest.raises(RateLimited):
        list_head(source)
    assert fake_github.count() == 1
    clock.sleep(3601)
    assert list_head(source).head_sha and fake_github.count() == 2


def test_429_with_retry_after(fake_github, source, clock):
    fake_github.fail("/commits", 429, {"message": "Too many requests"}, {"Retry-After": "7"})
    assert list_head(source).head_sha
    assert clock.sleeps == [7.0] and fake_github.count() == 2


def test_retry_after_longer_than_the_bound_raises_with_the_hint(fake_github, source, clock):
    fake_github.fail("/commits", 429, {"message": "Too many requests"}, {"Retry-After": "900"})
    with pytest.raises(RateLimited) as caught:
        list_head(source)
    assert caught.value.retry_after == 900 and clock.sleeps == []


def test_secondary_rate_limit_without_headers_waits_a_minute(fake_github, source, clock):
    fake_github.fail("/commits", 403, {"message": "You have exceeded a secondary rate limit. Please wait a few "
                                                  "minutes before you try again."})
    assert list_head(source).head_sha
    assert clock.sleeps == [60.0]


def test_repeated_rate_limits_give_up_after_the_retry_budget(fake_github, source, clock):
    fake_github.fail("/commits", 429, {"message": "Too many requests"}, {"Retry-After": "5"}, times=10)
    with pytest.raises(RateLimited):
        list_head(source)
    assert clock.sleeps == [5.0, 5.0] and fake_github.count() == 3


def test_5xx_then_success_backs_off_exponentially(fake_github, source, clock):
    fake_github.fail("/commits", 500, times=1)
    fake_github.fail("/commits", 502, times=1)
    assert list_head(source).head_sha
    assert clock.sleeps == [1.0, 2.0] and fake_github.count() == 3
    assert source.stats.retries == 2


def test_5xx_that_persists_is_unavailable_after_four_attempts(fake_github, source, clock):
    fake_github.fail("/commits", 503, times=10)
    with pytest.raises(Unavailable) as caught:
        list_head(source)
    assert caught.value.status == 503
    assert clock.sleeps == [1.0, 2.0, 4.0] and fake_github.count() == 4


def test_refused_connection_is_retried_then_unavailable(clock):
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = GitHubRetry(GitHubLimits(attempts=3), sleep=clock.sleep, now=clock.now, jitter=lambda: 1.0)
    source = GitHubSource(GitHubClient(f"http://127.0.0.1:{port}", None, 2, policy))
    with pytest.raises(Unavailable) as caught:
        list_head(source)
    assert str(caught.value) == (f"octo/hello@main: cannot reach 127.0.0.1:{port}: connection refused (tried 3 times); "
                                 f"check GITHUB_API_URL and that the server is up")
    assert clock.sleeps == [1.0, 2.0]


def test_low_remaining_budget_spaces_requests_out(fake_github, source, clock):
    fake_github.rate_remaining = 10
    first = list_head(source)  # the answer reports 9 left, an hour to the reset
    for _ in range(4):
        source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    # The first paced request goes at once; each later one waits (3600 s / 9) capped at max_pace.
    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert source.stats.rate_limit_remaining == 9  # 304s cost nothing


def test_remaining_from_out_of_order_answers_keeps_the_lowest():
    policy = GitHubRetry(sleep=lambda _: None)
    answers = iter([GitHubResponse(200, {"x-ratelimit-remaining": "40", "x-ratelimit-limit": "60", "x-ratelimit-reset": "99"}, ""),
                    GitHubResponse(200, {"x-ratelimit-remaining": "42", "x-ratelimit-limit": "60", "x-ratelimit-reset": "99"}, "")])
    policy.run(lambda: next(answers), "a")
    policy.run(lambda: next(answers), "b")
    assert policy.stats.rate_limit_remaining == 40


def _policy(clock: FakeClock) -> GitHubRetry:
    return GitHubRetry(GitHubLimits(max_wait=60), sleep=clock.sleep, now=clock.now, jitter=lambda: 1.0)


OK = GitHubResponse(200, {"x-ratelimit-remaining": "4000", "x-ratelimit-limit": "5000"}, "[]")


@pytest.mark.parametrize("headers", [
    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e300"},
    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"},
    {"retry-after": "inf"},
    {"retry-after": "1e300"},
])
def test_absurd_rate_limit_headers_block_for_at_most_an_hour(headers):
    clock = FakeClock()
    policy = _policy(clock)
    start = clock.now()
    with pytest.raises(RateLimited):
        policy.run(lambda: GitHubResponse(403, headers, '{"message": "API rate limit exceeded"}'), "a")
    with pytest.raises(RateLimited) as caught:  # no OverflowError: the block has a real end
        policy.run(lambda: OK, "b")
    assert caught.value.reset_at is not None and caught.value.reset_at.timestamp() <= start + MAX_HINT + 1
    clock.sleep(MAX_HINT + 1)
    assert policy.run(lambda: OK, "c") is OK


@pytest.mark.parametrize("value", ["1e300", "inf", "-inf", "nan", "soon"])
def test_an_absurd_reset_on_a_success_never_breaks_later_requests(value):
    clock = FakeClock()
    policy = _policy(clock)
    policy.run(lambda: GitHubResponse(200, {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "inf",
                                   "x-ratelimit-reset": value}, "[]"), "a")
    policy.run(lambda: GitHubResponse(200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": value}, "[]"), "a")
    reset = policy.stats.rate_limit_reset
    assert reset is None or reset <= clock.now() + MAX_HINT
    try:
        policy.run(lambda: OK, "b")
    except RateLimited as exc:  # a clamped reset an hour away is still an exhausted budget
        assert exc.reset_at.timestamp() <= clock.now() + MAX_HINT + 1


@pytest.mark.parametrize("value", ["nan", "soon", ""])
def test_an_unparsable_retry_after_counts_as_absent(value):
    clock = FakeClock()
    policy = _policy(clock)
    answers = iter([GitHubResponse(429, {"retry-after": value}, '{"message": "Too many requests"}'), OK])
    assert policy.run(lambda: next(answers), "a") is OK
    assert clock.sleeps == [60.0]  # the secondary-limit wait, as with no header at all
    answers = iter([GitHubResponse(503, {"retry-after": value}, ""), OK])
    assert policy.run(lambda: next(answers), "b") is OK
    assert clock.sleeps[1:] == [1.0]  # plain backoff


def test_hint_parsing_clamps_to_the_window():
    assert hinted_wait({"retry-after": "1e300"}) == MAX_HINT and hinted_wait({"retry-after": "-5"}) == 0.0
    assert hinted_wait({"retry-after": "inf"}) == MAX_HINT and hinted_wait({"retry-after": "-inf"}) == 0.0
    assert hinted_wait({"retry-after": "nan"}) is None and hinted_wait({}) is None
    assert reset_epoch({"x-ratelimit-reset": "inf"}, 100.0) == 100.0 + MAX_HINT
    assert reset_epoch({"x-ratelimit-reset": "-inf"}, 100.0) == 0.0
    assert reset_epoch({"x-ratelimit-reset": "nan"}, 100.0) is None
    assert reset_epoch({"x-ratelimit-reset": "1e300"}, 100.0) == 100.0 + MAX_HINT
    assert reset_epoch({"x-ratelimit-reset": "130"}, 100.0) == 130.0
