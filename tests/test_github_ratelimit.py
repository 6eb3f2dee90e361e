"""The request budget: GitHub requests per minute never above the limit, shared among the live workers."""

from __future__ import annotations

import bisect
import time

import pytest

from bot.domain import RepoRef
from bot.github.client import GitHubClient
from bot.github.errors import RateLimited
from bot.github.ratelimit import SHARE_REFRESH, RequestBudget
from bot.github.retry import GitHubRetry
from bot.github.source import GitHubSource
from bot.jobs.local import LocalQueue
from tests.fake_github import FakeClock, clock, fake_github, fake_github_server  # noqa: F401

REPO = RepoRef.parse("octo/hello")


def busiest_minute(times: list[float]) -> int:
    """The most requests sent in any window [t, t + 60 s)."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, start + 60) - index for index, start in enumerate(ordered))


def fire(budget: RequestBudget, clock: FakeClock, count: int) -> list[float]:
    """Take `count` tokens one after another; the clock time each request would go out."""
    sent = []
    for _ in range(count):
        budget.take()
        sent.append(clock.now())
    return sent


class CountingBudget(RequestBudget):
    """A budget that counts the tokens taken."""

    taken = 0

    def take(self, what: str = "") -> float:
        self.taken += 1
        return super().take(what)


def test_300_requests_at_120_a_minute_take_about_two_and_a_half_minutes_and_never_exceed_it():
    clock = FakeClock()
    start = clock.now()
    sent = fire(RequestBudget(120, now=clock.now, sleep=clock.sleep), clock, 300)
    assert 2.4 * 60 <= clock.now() - start <= 2.7 * 60
    assert 110 <= busiest_minute(sent) <= 120


def test_every_request_through_the_client_takes_a_token_and_waits_are_counted(fake_github, clock):
    fake_github.add_repo("octo/hello")
    sent: list[float] = []

    def answer(_request):
        sent.append(clock.now())
        return {"ok": True}

    fake_github.fail("^/rate_limit$", 200, answer, times=300)
    budget = RequestBudget(120, now=clock.now, sleep=clock.sleep)
    client = GitHubClient(fake_github.api_url, None, 5, GitHubRetry(sleep=clock.sleep, now=clock.now), budget=budget)
    start = clock.now()
    try:
        for _ in range(300):
            assert client.get("/rate_limit").status == 200
    finally:
        client.close()
    assert fake_github.count() == 300 and len(sent) == 300
    assert 2.4 * 60 <= clock.now() - start <= 2.7 * 60
    assert busiest_minute(sent) <= 120
    assert client.stats.budget_waits > 250
    assert client.stats.snapshot()["budget_waited_seconds"] == pytest.approx(clock.now() - start, abs=0.01)


def test_304s_and_retries_take_tokens_too(fake_github, clock):
    fake_github.add_repo("octo/hello")
    budget = CountingBudget(500, now=clock.now, sleep=clock.sleep)
    source = GitHubSource(GitHubClient(fake_github.api_url, None, 5, GitHubRetry(sleep=clock.sleep, now=clock.now,
                                                                                 jitter=lambda: 1.0), budget=budget))
    try:
        first = source.fetch_commit_listing(REPO, "main", None, None)
        fake_github.fail("/commits", 502, times=1)
        again = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    finally:
        source.close()
    assert again.not_modified
    assert fake_github.count(status=502) == 1 and fake_github.not_modified == 1
    assert budget.taken == fake_github.count() == 3


def test_the_share_halves_with_two_live_workers():
    clock = FakeClock()
    budget = RequestBudget(120, workers=lambda: 2, now=clock.now, sleep=clock.sleep)
    sent = fire(budget, clock, 150)
    assert budget.share == 60
    assert 55 <= busiest_minute(sent) <= 60


def test_the_live_workers_are_read_at_most_every_30_seconds_and_a_failed_read_keeps_the_share():
    clock = FakeClock()
    live = [1]
    reads: list[float] = []

    def workers() -> int:
        reads.append(clock.now())
        if live[0] < 0:
            raise RuntimeError("database gone")
        return live[0]

    budget = RequestBudget(600, workers=workers, now=clock.now, sleep=clock.sleep)
    budget.take()
    live[0] = 3
    clock.sleep(SHARE_REFRESH - 1)
    budget.take()
    assert budget.share == 600 and len(reads) == 1
    clock.sleep(1)
    budget.take()
    assert budget.share == 200 and len(reads) == 2
    live[0] = -1
    clock.sleep(SHARE_REFRESH)
    budget.take()
    assert budget.share == 200 and len(reads) == 3


def worker_sends(joins: list[float], me: int, start: float, until: float, pause: tuple[float, float] | None = None,
                 limit: int = 1200) -> list[float]:
    """When worker `me` (of workers that start at `joins`) sends, always having a request to make from `start`
    (but during `pause`) until `until`; the live count it reads is the workers started by then."""
    clock = FakeClock(start)
    budget = RequestBudget(limit, workers=lambda: sum(1 for at in joins if at <= clock.now()),
                           now=clock.now, sleep=clock.sleep)
    sent = []
    while clock.now() < until:
        if pause and pause[0] <= clock.now() < pause[1]:
            clock.sleep(pause[1] - clock.now())
        budget.take()
        sent.append(clock.now())
    return sent


@pytest.mark.parametrize("joins", [[0, 100], [0, 100, 100.5, 101], [0, 30, 60, 90], [0, 62.5]])
@pytest.mark.parametrize("quiet_first", [False, True])
def test_workers_joining_one_after_another_never_send_more_than_the_limit_in_any_minute(joins, quiet_first):
    # The first worker is busy at its whole share (or quiet until just before the others join, its bucket
    # full) when the others start: until it reads the new count it still sends at the old share.
    pause = (1.0, joins[1] - 0.5) if quiet_first else None
    sent = [at for index, join in enumerate(joins)
            for at in worker_sends(joins, index, join, 300, pause if index == 0 else None)]
    assert busiest_minute(sent) <= 1200
    late = [at for at in sent if at >= joins[-1] + 120]
    assert len(late) >= 0.9 * 1200 * (300 - joins[-1] - 120) / 60  # and the limit is still used once settled


def test_a_worker_joining_others_holds_its_first_request_and_a_web_process_does_not():
    from bot.github.ratelimit import JOIN_HOLD

    for counted, waited in ((True, JOIN_HOLD), (False, 0.0)):
        clock = FakeClock()
        budget = RequestBudget(1200, workers=lambda: 3, now=clock.now, sleep=clock.sleep, counted=lambda c=counted: c)
        assert budget.take() == pytest.approx(waited)
        assert budget.take() == 0.0  # the bucket's burst follows


def test_a_wait_longer_than_the_bound_raises_and_sends_nothing(fake_github, clock):
    budget = RequestBudget(1, max_wait=10, now=clock.now, sleep=clock.sleep)
    client = GitHubClient(fake_github.api_url, None, 5, GitHubRetry(sleep=clock.sleep, now=clock.now), budget=budget)
    try:
        client.get("/rate_limit")
        with pytest.raises(RateLimited):
            client.get("/rate_limit")
    finally:
        client.close()
    assert fake_github.count() == 1 and clock.sleeps == []


def test_the_in_process_queue_is_one_worker():
    assert LocalQueue({}).live_workers() == 1


def test_postgresql_counts_the_worker_processes_with_a_fresh_heartbeat(postgres_url):
    from sqlalchemy import create_engine, make_url

    from bot.jobs.pg import PostgresQueue, install_schema

    class Idle:
        names = ("idle",)

        def __call__(self, name, args) -> None:
            pass

    engine = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"))
    install_schema(engine)
    engine.dispose()
    queues = [PostgresQueue(postgres_url, {"poll": 1, "digest": 1}) for _ in range(3)]
    try:
        assert queues[0].live_workers() == 1  # nobody runs workers yet: this process alone
        for queue in queues[:2]:
            queue.start(Idle())
        deadline = time.monotonic() + 20  # workers register a moment after they start
        while time.monotonic() < deadline and queues[2].live_workers() != 2:
            time.sleep(0.1)
        assert [queue.live_workers() for queue in queues] == [2, 2, 2]
    finally:
        for queue in queues:
            queue.stop()
