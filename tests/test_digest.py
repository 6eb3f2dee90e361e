"""Digests: local-day windows, parent plus thread, once per day, on demand, empty days."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain import Commit, Importance, RepoRef, Subscription
from bot.service.commits import Commits
from bot.service.delivery import Deliverer
from bot.service.digest import DigestDay, DigestService, build_digest, day_window, digest_settled, previous_local_day
from bot.service.notifier import DeliveryError
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier, FakeSource, GatedAnalyser, rate_limited

REPO = RepoRef.parse("octo/widgets")


def commit_at(n: int, when: datetime) -> Commit:
    sha = f"{n:040x}"
    return Commit(repo=REPO, sha=sha, message=f"fix: thing {n}", author_name="Ada", committed_at=when,
                  url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,))


def make(store, notifier=None, analyser=None, **options):
    clock = FakeClock(datetime(2026, 1, 9, 1, 0, tzinfo=UTC))
    notifier = notifier or FakeNotifier()
    analyser = analyser or FakeAnalyser()
    service = DigestService(store, analyser, Deliverer(store, {"slack": notifier}, clock), clock)
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO,
                                                   timezone="Asia/Shanghai", **options))
    return service, notifier, analyser, sub, clock


def test_window_is_the_local_calendar_day():
    start, end = day_window(date(2026, 1, 8), "Asia/Shanghai")
    assert start == datetime(2026, 1, 7, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    start, end = day_window(date(2026, 3, 8), "America/New_York")  # DST starts: a 23-hour day
    assert end - start == timedelta(hours=23)
    assert previous_local_day(datetime(2026, 1, 8, 17, tzinfo=UTC), "Asia/Shanghai") == date(2026, 1, 8)


def test_digest_posts_parent_then_replies_in_its_thread_once(store):
    service, notifier, analyser, sub, clock = make(store, threshold=Importance.HIGH)
    shanghai = timezone(timedelta(hours=8))
    store.commits.save(commit_at(1, datetime(2026, 1, 8, 0, 30, tzinfo=shanghai)), branch="main")
    store.commits.save(commit_at(2, datetime(2026, 1, 8, 23, 30, tzinfo=shanghai)), branch="main")
    store.commits.save(commit_at(3, datetime(2026, 1, 9, 0, 30, tzinfo=shanghai)), branch="main")  # next day
    store.commits.save(commit_at(4, datetime(2026, 1, 8, 12, 0, tzinfo=shanghai)), branch="dev")  # other branch
    outcome = service.deliver(sub, date(2026, 1, 8))
    assert outcome.posted and outcome.entries == 2
    parent = notifier.of_kind("digest")
    assert len(parent) == 1
    digest = parent[0].payload
    assert [entry.commit.sha for entry in digest.entries] == [f"{2:040x}", f"{1:040x}"]  # newest first
    replies = notifier.of_kind("card")
    assert len(replies) == 2 and {reply.thread_id for reply in replies} == {parent[0].message_id}
    again = service.deliver(sub, date(2026, 1, 8))
    assert again.posted and len(notifier.sent) == 3  # scheduled re-run: nothing new


def test_on_demand_digest_posts_again(store):
    service, notifier, analyser, sub, clock = make(store)
    store.commits.save(commit_at(1, datetime(2026, 1, 8, 3, 0, tzinfo=UTC)), branch="main")
    service.deliver(sub, date(2026, 1, 8))
    clock.advance(seconds=5)
    service.deliver(sub, date(2026, 1, 8), force=True)
    assert len(notifier.of_kind("digest")) == 2 and len(notifier.of_kind("card")) == 2


def test_empty_day_note_or_skip(store):
    service, notifier, analyser, sub, clock = make(store)
    assert service.deliver(sub, date(2026, 1, 8)).posted
    assert len(notifier.of_kind("digest")) == 1 and notifier.of_kind("digest")[0].payload.entries == ()
    skip_sub, _ = store.subscriptions.save(sub.model_copy(update={"id": None, "channel": "C2",
                                                                  "empty_digest": "skip"}))
    outcome = service.deliver(skip_sub, date(2026, 1, 8))
    assert not outcome.posted and len(notifier.sent) == 1


class ListingSource(FakeSource):
    """A FakeSource that also lists a window's commits, oldest first, as GitHub does."""

    def list_commits_between(self, repo, branch, since, until, limit=1000):
        self.calls.append(("list_commits_between", repo.full_name, branch or ""))
        listed = [commit for commit in self.commits.values() if since <= commit.committed_at < until]
        return [commit.sha for commit in sorted(listed, key=lambda commit: commit.committed_at)]


def test_the_report_lists_the_day_on_github_and_builds_the_same_digest_as_the_chat(store):
    shanghai = timezone(timedelta(hours=8))
    source = ListingSource()
    early = source.add_commit(commit_at(1, datetime(2026, 1, 8, 8, tzinfo=shanghai)))
    late = source.add_commit(commit_at(2, datetime(2026, 1, 8, 23, tzinfo=shanghai)))
    next_day = source.add_commit(commit_at(3, datetime(2026, 1, 9, 1, tzinfo=shanghai)))
    store.commits.save(early, branch=None, processed=True)  # looked up earlier: read, not fetched
    listed, analysed = [], []
    wanted = DigestDay(REPO, None, date(2026, 1, 8), "Asia/Shanghai", "en")
    analyser = FakeAnalyser()
    report = build_digest(wanted, Commits(store, source).listed(REPO, None, on_listed=listed.append), analyser,
                          on_step=analysed.append)
    assert [entry.commit.sha for entry in report.entries] == [late.sha, early.sha]  # newest first
    assert listed == [2] and analysed == [1, 1] and analyser.calls == [(early.sha, "en"), (late.sha, "en")]
    assert [call for call in source.calls if call[0] == "fetch_commit"] == [("fetch_commit", REPO.full_name, late.sha)]
    assert store.commits.get(REPO, late.sha) == late and store.commits.unprocessed() == []  # stored, never news
    chat = DigestService(store, analyser, None, FakeClock()).build(REPO, None, wanted.day, wanted.timezone, "en")
    assert chat == report and next_day.sha not in {entry.commit.sha for entry in chat.entries}


DAY = date(2026, 1, 8)


def five_commits(store) -> list[str]:
    for n in range(1, 6):
        store.commits.save(commit_at(n, datetime(2026, 1, 8, n, 0, tzinfo=UTC)), branch="main")
    return [f"{n:040x}" for n in range(1, 6)]


class DyingNotifier(FakeNotifier):
    """Dies (like kill -9) right after its N-th post reached the platform."""

    def __init__(self, die_after: int) -> None:
        super().__init__()
        self.die_after: int | None = die_after

    def _post(self, *args) -> str:
        message_id = super()._post(*args)
        if len(self.sent) == self.die_after:
            raise SystemExit("killed after the post, before it was recorded")
        return message_id


def test_a_digest_killed_mid_thread_is_unsettled_and_the_restart_posts_only_the_rest(store):
    notifier = DyingNotifier(die_after=3)  # the parent and two replies reach Slack
    service, _, _, sub, clock = make(store, notifier=notifier)
    shas = five_commits(store)
    with pytest.raises(SystemExit):
        service.deliver(sub, DAY)
    assert not digest_settled(store, sub.id, DAY)
    notifier.die_after = None
    restarted = DigestService(store, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock)
    assert restarted.deliver(sub, DAY).posted
    parent, *replies = notifier.sent
    assert parent.kind == "digest" and {reply.thread_id for reply in replies} == {parent.message_id}
    assert sorted(reply.key.rsplit(":", 1)[1] for reply in replies) == shas  # each reply exactly once
    assert digest_settled(store, sub.id, DAY) and store.deliveries.pending() == []
    restarted.deliver(sub, DAY)
    assert len(notifier.sent) == 6


def test_a_deferred_parent_leaves_the_digest_unsettled_until_a_rerun_posts_it(store):
    service, notifier, analyser, sub, clock = make(store)
    five_commits(store)
    notifier.fail_with = [rate_limited()]
    outcome = service.deliver(sub, DAY)
    assert not outcome.posted and notifier.sent == []
    assert not digest_settled(store, sub.id, DAY)
    assert service.deliver(sub, DAY).posted
    assert len(notifier.of_kind("digest")) == 1 and len(notifier.of_kind("card")) == 5
    assert digest_settled(store, sub.id, DAY)


class DeferringNotifier(FakeNotifier):
    """Answers its N-th post with a rate limit."""

    def __init__(self, defer_post: int) -> None:
        super().__init__()
        self.defer_post, self.posts = defer_post, 0

    def _post(self, *args) -> str:
        self.posts += 1
        if self.posts == self.defer_post:
            raise rate_limited()
        return super()._post(*args)


def test_a_deferred_reply_leaves_the_digest_unsettled(store):
    service, notifier, analyser, sub, clock = make(store, notifier=DeferringNotifier(defer_post=2))
    five_commits(store)
    assert service.deliver(sub, DAY).reason == "posted; 1 replies deferred"
    assert not digest_settled(store, sub.id, DAY)
    service.deliver(sub, DAY)
    assert len(notifier.of_kind("digest")) == 1 and len(notifier.of_kind("card")) == 5
    assert digest_settled(store, sub.id, DAY)


def test_a_parent_refused_for_good_settles_the_digest_and_its_replies(store):
    service, notifier, analyser, sub, clock = make(store)
    five_commits(store)
    notifier.fail_with = [DeliveryError("invalid_blocks")]
    assert not service.deliver(sub, DAY).posted
    assert digest_settled(store, sub.id, DAY) and store.deliveries.pending() == []
    service.deliver(sub, DAY)
    assert notifier.sent == []


def test_the_digest_is_claimed_before_it_is_built(store):
    analyser = GatedAnalyser()
    service, notifier, _, sub, clock = make(store, analyser=analyser)
    five_commits(store)
    outcomes = []
    building = threading.Thread(target=lambda: outcomes.append(service.deliver(sub, DAY)))
    building.start()
    assert analyser.entered.wait(5)
    second = service.deliver(sub, DAY)  # e.g. a catch-up started while the scheduled run builds
    assert not second.posted and second.reason == "this digest is being delivered by another run"
    assert not digest_settled(store, sub.id, DAY)
    analyser.release.set()
    building.join(5)
    assert outcomes[0].posted and len(analyser.calls) == 5
    assert len(notifier.of_kind("digest")) == 1 and len(notifier.of_kind("card")) == 5
