"""poll_all: the real source and the real store against the fake GitHub."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bot.domain import RepoRef, Subscription
from bot.github.client import GitHubClient
from bot.github.errors import NotFound, RateLimited
from bot.github.retry import GitHubRetry
from bot.github.source import GitHubSource
from bot.service.poller import poll_all
from bot.store import open_store
from tests.fake_github import clock, fake_github, fake_github_server, make_source  # noqa: F401

REPO = RepoRef.parse("octo/hello")


@pytest.fixture
def source(make_source):
    return make_source()


def poll(source, store, clock, repo: RepoRef = REPO, branch: str = "main"):
    [outcome] = poll_all(source, store, [(repo, branch)], 1, clock.datetime)
    return outcome


def same_moment(stored: datetime, expected: datetime) -> bool:
    """SQLite hands timestamps back naive (UTC); PostgreSQL aware."""
    return (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == expected


def unprocessed_shas(store) -> list[str]:
    return [commit.sha for commit, _branch in store.commits.unprocessed()]


def test_first_poll_records_the_head_and_stores_nothing(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    repo.commits(30)
    outcome = poll(source, store, clock)
    assert outcome.status == "initialized" and outcome.new_shas == []
    cursor = store.cursors.get(REPO, "main")
    assert cursor.last_sha == repo.branches["main"] and cursor.etag
    assert store.commits.unprocessed() == []


def test_idle_poll_costs_one_304_and_touches_the_cursor(fake_github, source, store, clock):
    fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    fake_github.reset_counts()
    clock.sleep(300)
    outcome = poll(source, store, clock)
    assert outcome.status == "not_modified"
    assert fake_github.count() == 1 and fake_github.not_modified == 1
    assert same_moment(store.cursors.get(REPO, "main").last_polled_at, clock.datetime())


def test_etag_and_cursor_survive_a_restart(fake_github, store, sqlite_url, clock):
    fake_github.add_repo("octo/hello")
    policy = GitHubRetry(sleep=clock.sleep, now=clock.now)
    before = GitHubSource(GitHubClient(fake_github.api_url, None, 5, policy))
    poll(before, store, clock)
    before.close()
    store.close()
    reopened = open_store(sqlite_url)
    after = GitHubSource(GitHubClient(fake_github.api_url, None, 5, GitHubRetry(sleep=clock.sleep, now=clock.now)))
    fake_github.reset_counts()
    try:
        assert poll(after, reopened, clock).status == "not_modified"
    finally:
        after.close()
        reopened.close()
    assert fake_github.count() == 1 and fake_github.not_modified == 1


def test_new_commits_are_stored_unprocessed_and_the_cursor_advances(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    added = repo.commits(3)
    fake_github.reset_counts()
    outcome = poll(source, store, clock)
    assert outcome.status == "updated" and outcome.new_shas == added
    assert unprocessed_shas(store) == added
    assert [branch for _commit, branch in store.commits.unprocessed()] == ["main"] * 3
    assert store.cursors.get(REPO, "main").last_sha == added[-1]
    assert fake_github.count() == 1 + 2 * 3  # the listing, then detail and pulls per commit
    assert poll(source, store, clock).status == "not_modified"


@pytest.mark.parametrize(("count", "failing", "gated"), [(3, 1, False), (10, 3, True)],
                         ids=["one-by-one", "amid-parallel-fetches"])
def test_a_crash_midway_loses_nothing_and_repeats_nothing(fake_github, source, store, clock, count, failing, gated):
    # Gated: the details are fetched 4 at a time, and those after the failed one are not stored either.
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    head_before = repo.branches["main"]
    added = repo.commits(count)
    fake_github.fail(f"/commits/{added[failing]}$", 404, times=1)
    failed = poll(GatedSource(source) if gated else source, store, clock)
    assert failed.status == "failed" and isinstance(failed.error, NotFound)
    assert failed.new_shas == added[:failing] and failed.cursor.failure_count == 1
    assert unprocessed_shas(store) == added[:failing]
    cursor = store.cursors.get(REPO, "main")
    assert cursor.last_sha == head_before
    assert cursor.failure_kind == "not_found"
    fake_github.reset_counts()
    recovered = poll(source, store, clock)
    assert recovered.status == "updated" and recovered.new_shas == added[failing:]
    assert all(fake_github.count(f"/commits/{sha}") == 0 for sha in added[:failing])  # stored: not fetched again
    assert unprocessed_shas(store) == added
    cursor = store.cursors.get(REPO, "main")
    assert cursor.last_sha == added[-1] and cursor.failure_count == 0


def test_cursor_is_not_advanced_before_the_commits_are_stored(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    head_before = store.cursors.get(REPO, "main").last_sha
    added = repo.commits(2)
    fake_github.fail(f"/commits/{added[0]}$", 500, times=10)
    outcome = poll(source, store, clock)
    assert outcome.status == "failed" and outcome.error.kind == "unavailable"
    assert store.cursors.get(REPO, "main").last_sha == head_before
    assert unprocessed_shas(store) == []


def test_force_push_never_returns_a_stored_commit_again(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    kept, rewritten_away = repo.commits(2)
    poll(source, store, clock)
    repo.reset("main", kept)
    repo.forget(rewritten_away)  # collected: the compare API no longer knows the cursor
    fresh = repo.commits(2, prefix="Rewritten")
    outcome = poll(source, store, clock)
    assert outcome.new_shas == fresh  # not the stored one, nor the history from before the subscription
    assert unprocessed_shas(store).count(kept) == 1
    assert store.cursors.get(REPO, "main").last_sha == fresh[-1]


def test_force_push_onto_a_rewritten_branch_stores_just_the_new_commits(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    kept, amended_away = repo.commits(2)
    poll(source, store, clock)
    repo.reset("main", kept)
    amended = repo.commit("Commit 1 (amended)")
    outcome = poll(source, store, clock)
    assert outcome.new_shas == [amended]
    assert unprocessed_shas(store) == [kept, amended_away, amended]


def test_moved_repository_renames_subscriptions_and_keeps_the_position(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    store.subscriptions.save(Subscription(platform="console", channel="c1", repo=REPO, branch="main"))
    poll(source, store, clock)
    fake_github.rename("octo/hello", "octo-org/hello")
    added = repo.commits(2)
    outcome = poll(source, store, clock)
    new_name = RepoRef.parse("octo-org/hello")
    assert outcome.moved_to == new_name and outcome.status == "updated" and outcome.new_shas == added
    assert [sub.repo for sub in store.subscriptions.list()] == [new_name]
    assert store.subscriptions.watched() == [(new_name, "main")]
    assert store.cursors.get(new_name, "main").last_sha == added[-1]
    assert [commit.repo for commit, _ in store.commits.unprocessed()] == [new_name, new_name]


def test_errors_are_recorded_and_counted_not_raised(fake_github, source, store, clock):
    missing = RepoRef.parse("octo/missing")
    first = poll(source, store, clock, repo=missing)
    second = poll(source, store, clock, repo=missing)
    assert first.status == second.status == "failed"
    assert second.cursor.failure_count == 2 and second.cursor.failure_kind == "not_found"
    assert not second.cursor.failure_reported


def test_empty_repository_then_first_commit(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello", empty=True)
    assert poll(source, store, clock).error.kind == "empty"
    repo.commit("First!")
    assert poll(source, store, clock).status == "initialized"
    assert store.cursors.get(REPO, "main").failure_count == 0


def test_poll_all_keeps_going_past_broken_repositories(fake_github, source, store, clock):
    pairs = []
    for index in range(12):
        name = f"octo/repo{index}"
        if index != 5:
            fake_github.add_repo(name)
        pairs.append((RepoRef.parse(name), "main"))
    outcomes = poll_all(source, store, pairs, 4, clock.datetime)
    assert [(o.repo, o.branch) for o in outcomes] == pairs
    assert [o.status for o in outcomes].count("initialized") == 11 and outcomes[5].status == "failed"
    for index in range(0, 12, 3):
        if index != 5:
            fake_github.repos[f"octo/repo{index}"].commits(2)
    fake_github.reset_counts()
    outcomes = poll_all(source, store, pairs, 4, clock.datetime)
    assert sum(len(o.new_shas) for o in outcomes) == 8
    assert [o.status for o in outcomes].count("not_modified") == 7
    assert fake_github.count(status=304) == 7


def test_poll_all_stops_asking_once_rate_limited_far_into_the_future(fake_github, source, store, clock):
    pairs = []
    for index in range(6):
        fake_github.add_repo(f"octo/repo{index}")
        pairs.append((RepoRef.parse(f"octo/repo{index}"), "main"))
    fake_github.rate_limited(reset_in=3600)
    outcomes = poll_all(source, store, pairs, 1, clock.datetime)
    assert all(isinstance(o.error, RateLimited) for o in outcomes)
    assert fake_github.count() == 1  # the first answer said "an hour"; nobody asked again
    assert store.cursors.get(pairs[3][0], "main").failure_kind == "rate_limited"


def test_cursor_batch_reads_and_idle_touches(any_store, clock):
    store = any_store
    polled, fresh = RepoRef.parse("octo/a"), RepoRef.parse("octo/b")
    store.cursors.advance(polled, "main", "a" * 40, 'W/"e1"', clock.datetime())
    store.cursors.record_failure(polled, "main", "unavailable", "HTTP 503")
    cursors = store.cursors.get_many([(polled, "main"), (fresh, "main")])
    assert cursors[("octo/a", "main")].etag == 'W/"e1"' and cursors[("octo/a", "main")].failure_count == 1
    assert cursors[("octo/b", "main")].last_sha is None
    clock.sleep(60)
    store.cursors.touch_many([(polled, "main")], clock.datetime())
    after = store.cursors.get(polled, "main")
    assert after.failure_count == 0 and after.failure_kind is None and after.last_sha == "a" * 40
    assert same_moment(after.last_polled_at, clock.datetime())


def test_poll_all_records_idle_polls(fake_github, source, store, clock):
    pairs = [(RepoRef.parse(f"octo/r{index}"), "main") for index in range(3)]
    for repo, _ in pairs:
        fake_github.add_repo(repo.full_name)
    poll_all(source, store, pairs, 2, clock.datetime)
    fake_github.fail("/repos/octo/r1/commits", 503, times=4)
    poll_all(source, store, pairs, 2, clock.datetime)
    assert store.cursors.get(pairs[1][0], "main").failure_count == 1
    clock.sleep(300)
    outcomes = poll_all(source, store, pairs, 2, clock.datetime)
    assert [o.status for o in outcomes] == ["not_modified"] * 3
    for repo, branch in pairs:
        cursor = store.cursors.get(repo, branch)
        assert cursor.failure_count == 0
        assert same_moment(cursor.last_polled_at, clock.datetime())


class GatedSource:
    """The real source, with commit details held until four are in flight (or two seconds pass)."""

    def __init__(self, source: GitHubSource, gate_at: int = 4) -> None:
        self._source = source
        self._gate_at = gate_at
        self._lock = threading.Lock()
        self._open = threading.Event()
        self.in_flight = self.peak = 0
        self.fetched: list[str] = []

    def __getattr__(self, name):
        return getattr(self._source, name)

    def fetch_commit(self, repo, sha, merged=True):
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight >= self._gate_at:
                self._open.set()
        self._open.wait(2)
        self._open.set()  # one timed-out wait opens the gate for good: a sequential poller fails fast
        try:
            commit = self._source.fetch_commit(repo, sha, merged=merged)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.fetched.append(sha)
        return commit


def test_a_push_of_ten_commits_is_fetched_four_at_a_time_and_stored_in_order(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    poll(source, store, clock)
    added = repo.commits(10)
    gated = GatedSource(source)
    outcome = poll(gated, store, clock)
    assert outcome.status == "updated" and outcome.new_shas == added
    assert unprocessed_shas(store) == added
    assert gated.peak == 4
    assert store.cursors.get(REPO, "main").last_sha == added[-1]
