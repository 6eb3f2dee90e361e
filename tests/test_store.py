"""The store on SQLite and PostgreSQL: migrations, idempotent keys, concurrent writers."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.domain import Analysis, ChangeType, Commit, FileChange, Importance, Insights, RepoRef, Subscription
from bot.service.subscribe import NewSubscriptionDefaults, SubscribeRequest, subscribe
from bot.store import open_store
from tests.fakes import FakeSource

REPO = RepoRef.parse("octo/widgets")
UTC8 = timezone(timedelta(hours=8))


def make_commit(sha: str, when: datetime, message: str = "feat: add things") -> Commit:
    return Commit(repo=REPO, sha=sha, message=message, author_name="Ada", author_login="ada",
                  committed_at=when, url=f"https://github.com/octo/widgets/commit/{sha}",
                  parents=("0" * 40,), additions=3, deletions=1,
                  files=(FileChange(filename="src/a.py", additions=3, deletions=1, patch="@@ -1 +1 @@"),))


def make_analysis(sha: str, model: str = "m1") -> Analysis:
    return Analysis(change_type=ChangeType.FEATURE, importance=Importance.HIGH, summary="s", impact=[],
                    insights=Insights(architecture="", performance="", security="", maintainability=""),
                    risks=[], recommendations=[], breaking_change=False, repo=REPO, sha=sha, language="en",
                    source="llm", model=model, prompt_version="v1", prompt_tokens=10, completion_tokens=5,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_migrations_create_every_table(any_store):
    tables = set(inspect(any_store.engine).get_table_names())
    assert {"subscriptions", "repo_cursors", "commits", "analyses", "deliveries", "inbound_events",
            "alembic_version"} <= tables


def test_migrating_twice_is_a_no_op(sqlite_url):
    open_store(sqlite_url).close()
    store = open_store(sqlite_url)
    assert store.subscriptions.list() == []


def test_sqlite_file_is_created_with_its_directory_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path}/nested/dir/radar.db"
    store = open_store(url)
    assert Path(tmp_path, "nested/dir/radar.db").exists()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_subscription_save_is_idempotent_and_updates_options(any_store):
    sub = Subscription(platform="slack", channel="C1", repo=REPO, branch="main", paths=["src/**"],
                       ignore_authors=["dependabot[bot]"], timezone="Asia/Shanghai")
    first, created = any_store.subscriptions.save(sub)
    again, created_again = any_store.subscriptions.save(sub.model_copy(update={"threshold": Importance.LOW}))
    assert created and not created_again and first.id == again.id
    assert again.threshold is Importance.LOW and again.paths == ["src/**"]
    assert again.ignore_authors == ["dependabot[bot]"] and again.timezone == "Asia/Shanghai"
    assert any_store.subscriptions.list(channel="C1") == [again]


def test_watched_pairs_skip_paused_subscriptions(any_store):
    a, _ = any_store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    any_store.subscriptions.save(Subscription(platform="slack", channel="C2", repo=REPO))
    other, _ = any_store.subscriptions.save(Subscription(platform="slack", channel="C1",
                                                         repo=RepoRef.parse("x/y"), branch="dev"))
    any_store.subscriptions.set_paused(other.id, True, "not_in_channel")
    assert any_store.subscriptions.watched() == [(REPO, "main")]
    assert any_store.subscriptions.get(other.id).paused_reason == "not_in_channel"
    assert any_store.subscriptions.remove("slack", "C1", REPO) == 1
    assert any_store.subscriptions.get(a.id) is None


def test_cursor_round_trip_and_failure_bookkeeping(any_store):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert any_store.cursors.get(REPO, "main").last_sha is None
    any_store.cursors.advance(REPO, "main", "a" * 40, 'W/"etag1"', now)
    failed = any_store.cursors.record_failure(REPO, "main", "not_found", "404")
    failed = any_store.cursors.record_failure(REPO, "main", "not_found", "404")
    assert failed.failure_count == 2 and not failed.failure_reported
    any_store.cursors.mark_failure_reported(REPO, "main")
    assert any_store.cursors.get(REPO, "main").failure_reported
    any_store.cursors.touch(REPO, "main", now)
    cursor = any_store.cursors.get(REPO, "main")
    assert (cursor.last_sha, cursor.etag, cursor.failure_count) == ("a" * 40, 'W/"etag1"', 0)


def test_commits_keep_their_offset_and_query_by_time(any_store):
    morning = datetime(2026, 1, 8, 9, 30, tzinfo=UTC8)
    assert any_store.commits.save(make_commit("ab" * 20, morning), branch="main")
    assert not any_store.commits.save(make_commit("ab" * 20, morning), branch="main")
    any_store.commits.save(make_commit("cd" * 20, morning + timedelta(days=1)), branch="main")
    loaded = any_store.commits.get(REPO, "AB" * 20)
    assert loaded.committed_at.utcoffset() == timedelta(hours=8)
    day = any_store.commits.between(REPO, datetime(2026, 1, 8, tzinfo=UTC8), datetime(2026, 1, 9, tzinfo=UTC8))
    assert [commit.sha for commit in day] == ["ab" * 20]
    assert [c.sha for c in any_store.commits.find_prefix([REPO], "abab")] == ["ab" * 20]
    assert any_store.commits.known(REPO, ["ab" * 20, "ef" * 20]) == {"ab" * 20}
    assert [c.sha for c, _ in any_store.commits.unprocessed()] == ["ab" * 20, "cd" * 20]
    any_store.commits.mark_processed(REPO, "ab" * 20)
    assert [c.sha for c, _ in any_store.commits.unprocessed()] == ["cd" * 20]


def test_analyses_are_keyed_by_model_and_stored_once(any_store):
    assert any_store.analyses.save(make_analysis("ab" * 20))
    assert not any_store.analyses.save(make_analysis("ab" * 20))
    assert any_store.analyses.get(REPO, "ab" * 20, "v1", "m1", "en").prompt_tokens == 10
    assert any_store.analyses.get(REPO, "ab" * 20, "v1", "m2", "en") is None


def test_delivery_claim_is_unique(any_store):
    first, created = any_store.deliveries.claim(7, "card", "ab" * 20, "slack", "C1")
    second, created_again = any_store.deliveries.claim(7, "card", "ab" * 20, "slack", "C1")
    assert created and not created_again and first.id == second.id
    assert [d.id for d in any_store.deliveries.pending()] == [first.id]
    any_store.deliveries.mark_sent(first.id, "1700000000.000100")
    assert any_store.deliveries.get(7, "card", "ab" * 20).message_id == "1700000000.000100"
    assert any_store.deliveries.pending() == []


def test_inbound_event_dedup(any_store):
    assert any_store.events.first_time("feishu", "ev-1")
    assert not any_store.events.first_time("feishu", "ev-1")
    assert any_store.events.first_time("slack", "ev-1")


def _race(url: str, barrier, results, index: int) -> None:
    store = open_store(url)
    barrier.wait()
    wins = 0
    for n in range(40):
        _, created = store.deliveries.claim(1, "card", f"sha{n}", "slack", "C1")
        wins += created
        store.events.first_time("feishu", f"ev{n}")
    results[index] = wins
    store.close()


def test_two_processes_racing_on_the_same_keys_insert_each_once(any_store):
    url = any_store.engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Array("i", 2)
    workers = [context.Process(target=_race, args=(url, barrier, results, i)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sum(results) == 40
    assert any_store.deliveries.count() == 40


def _migrate_at_once(url: str, barrier) -> None:
    barrier.wait()
    open_store(url).close()


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_two_processes_migrating_a_fresh_database_at_once(request, backend):
    url = request.getfixturevalue(backend)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    workers = [context.Process(target=_migrate_at_once, args=(url, barrier)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert open_store(url).subscriptions.list() == []


DEFAULTS = NewSubscriptionDefaults(digest_time=time(9, 0), timezone="UTC", language="en")


def test_a_branch_starts_at_its_head_when_a_subscribe_makes_it_watched(any_store):
    source = FakeSource()
    source.add_repo(REPO.full_name)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    any_store.cursors.advance(REPO, "main", "a" * 40, None, now)  # left from an earlier watch
    any_store.subscriptions.save(Subscription(platform="slack", channel="C0", repo=REPO, paused=True))
    assert any_store.cursors.get(REPO, "main").last_sha == "a" * 40  # the store does only what it is told
    subscribe(SubscribeRequest(platform="slack", channel="C1", repo=REPO), source, any_store.subscriptions,
              DEFAULTS, clock=lambda: now)
    assert any_store.cursors.get(REPO, "main").last_sha is None
    assert any_store.cursors.take_poll_requests() == [(REPO, "main")]
    any_store.cursors.advance(REPO, "main", "b" * 40, None, now)
    subscribe(SubscribeRequest(platform="slack", channel="C2", repo=REPO), source, any_store.subscriptions,
              DEFAULTS, clock=lambda: now)  # already watched: polling goes on where it stands
    assert any_store.cursors.get(REPO, "main").last_sha == "b" * 40
    assert any_store.cursors.take_poll_requests() == []


@pytest.mark.postgres
def test_twenty_channels_subscribing_to_a_repository_nobody_watches_at_once_all_succeed(postgres_url):
    """Issue 14: concurrent first subscribes of a repository each start its cursor; none may fail."""
    store = open_store(postgres_url)
    source = FakeSource()
    source.add_repo(REPO.full_name)
    barrier = threading.Barrier(20)

    def one(channel: str):
        barrier.wait()
        return subscribe(SubscribeRequest(platform="slack", channel=channel, repo=REPO), source,
                         store.subscriptions, DEFAULTS)

    try:
        with ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(one, f"C{n}") for n in range(20)]
        failures = [repr(future.exception()) for future in futures if future.exception() is not None]
        assert failures == []
        assert len(store.subscriptions.list()) == 20 and store.subscriptions.watched() == [(REPO, "main")]
        assert store.cursors.get(REPO, "main").last_sha is None  # the first poll records the head
        assert store.cursors.take_poll_requests() == [(REPO, "main")]
    finally:
        store.close()


def test_poll_requests_are_taken_once(any_store):
    now = datetime(2026, 3, 1, tzinfo=UTC)
    any_store.cursors.advance(REPO, "main", "a" * 40, None, now)
    any_store.cursors.request_poll(REPO, "main", now)
    any_store.cursors.request_poll(RepoRef.parse("x/y"), "dev", now)
    assert sorted(str(r) + "@" + b for r, b in any_store.cursors.take_poll_requests()) == ["octo/widgets@main", "x/y@dev"]
    assert any_store.cursors.take_poll_requests() == []
    assert any_store.cursors.get(REPO, "main").last_sha == "a" * 40


def _upgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store.db import MIGRATIONS, make_engine

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_subscriptions_from_before_first_parent_move_to_it_and_stored_commits_stay_whole(sqlite_url):
    from sqlalchemy import text

    from bot.store.db import make_engine

    _upgrade(sqlite_url, "0003")
    engine = make_engine(sqlite_url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    commit = make_commit("c" * 40, now)
    with engine.begin() as conn:
        for channel, merges in (("C1", True), ("C2", False)):
            conn.execute(text(
                "INSERT INTO subscriptions (platform, channel, repo, branch, threshold, digest_time, timezone, "
                "language, paths, ignore_authors, include_merges, empty_digest, paused, created_at) VALUES "
                "('slack', :channel, 'octo/widgets', 'main', 'high', '09:00', 'UTC', 'en', '[]', '[]', :merges, "
                "'note', 0, :now)"), {"channel": channel, "merges": merges, "now": now})
        conn.execute(text("INSERT INTO commits (repo, sha, committed_at, author, title, data, seen_at) VALUES "
                          "('octo/widgets', :sha, :now, 'ada', 't', :data, :now)"),
                     {"sha": commit.sha, "now": now, "data": commit.model_dump_json()})
        conn.execute(text("INSERT INTO branch_commits (repo, branch, sha, seen_at, processed) VALUES "
                          "('octo/widgets', 'main', :sha, :now, 0)"), {"sha": commit.sha, "now": now})
    engine.dispose()
    store = open_store(sqlite_url)
    try:
        first, second = store.subscriptions.list()
        assert first.all_commits is False and first.every_commit is False
        assert second.every_commit is True  # --no-merges still sees each merged commit
        assert store.commits.get(REPO, commit.sha) == commit
        [(pending, branch)] = store.commits.unprocessed()
        assert pending.merged_by is None and pending.detailed and branch == "main"
    finally:
        store.close()


def test_a_commit_stored_from_a_listing_is_replaced_by_its_detail_and_keeps_its_merge(any_store):
    store = any_store
    when = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)
    full = make_commit("d" * 40, when)
    summary = full.model_copy(update={"files": (), "additions": 0, "deletions": 0, "detailed": False})
    merge = "e" * 40
    assert store.commits.save(summary, "main", merged_by=merge)
    assert store.commits.get(REPO, full.sha) is None and store.commits.find_prefix([REPO], "ddd") == []
    assert store.commits.known(REPO, [full.sha]) == {full.sha}
    assert store.commits.known(REPO, [full.sha], detailed=True) == set()
    [(pending, _branch)] = store.commits.unprocessed()
    assert pending.merged_by == merge and not pending.detailed
    [on_main] = store.commits.between(REPO, when, when + timedelta(minutes=1), branch="main")
    assert on_main.merged_by == merge
    [anywhere] = store.commits.between(REPO, when, when + timedelta(minutes=1))
    assert anywhere.merged_by is None
    assert store.commits.save(full, "release")  # fetched in full for a branch that wants every commit
    assert store.commits.get(REPO, full.sha) == full
    assert store.commits.known(REPO, [full.sha], branch="main", detailed=True) == {full.sha}
    assert {(c.merged_by, b) for c, b in store.commits.unprocessed()} == {(merge, "main"), (None, "release")}
    stored = store.commits.get(REPO, full.sha)
    assert stored.merged_by is None  # a branch's fact, never part of the stored commit


def test_all_commits_round_trips(any_store):
    sub, _ = any_store.subscriptions.save(Subscription(platform="slack", channel="C", repo=REPO, all_commits=True))
    assert any_store.subscriptions.get(sub.key).all_commits is True
    again, created = any_store.subscriptions.save(sub.model_copy(update={"all_commits": False}))
    assert not created and again.all_commits is False


def test_get_many_reads_the_cursors_asked_for_across_chunks(store):
    from datetime import UTC, datetime

    from bot.store.cursors import GET_MANY_CHUNK

    now = datetime(2026, 1, 8, tzinfo=UTC)
    repos = [RepoRef.parse(f"octo/r{n:04}") for n in range(GET_MANY_CHUNK * 2 + 10)]
    for n, repo in enumerate(repos):
        store.cursors.advance(repo, "main", f"{n:040x}", f"etag-{n}", now)
    asked = [(repo, "main") for repo in repos[5:GET_MANY_CHUNK + 20]] + [(repos[0], "dev")]
    cursors = store.cursors.get_many(asked)
    assert len(cursors) == len(asked)
    assert cursors[(repos[GET_MANY_CHUNK + 19].full_name, "main")].etag == f"etag-{GET_MANY_CHUNK + 19}"
    assert cursors[(repos[0].full_name, "dev")].last_sha is None  # never polled: a blank cursor
