"""Watcher edge cases with the real poller and a fake GitHub: lookups, branches, re-subscribing, renames, failures."""

from __future__ import annotations

from bot.domain import Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.notifier import TransientDeliveryError
from bot.service.watcher import GIVE_UP_AFTER, CycleReport, Watcher, WatchLimits, _Budget
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier, make_commit

REPO = RepoRef.parse("octo/hello")


def subscribe(store, channel="C1", branch="main", repo=REPO, **options) -> Subscription:
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=repo, branch=branch,
                                                   threshold=Importance.LOW, **options))
    return sub


def cards(posted) -> list[tuple[str, str]]:
    return sorted((sent.channel, sent.payload.sha) for sent in posted if sent.kind == "card")


def test_a_commit_looked_up_before_the_poll_still_gets_its_card_and_digest_entry(testbot):
    repo = testbot.repo("octo/hello")
    testbot.send("/subscribe octo/hello --min low")
    testbot.tick()
    sha = repo.commit("feat: important change")
    testbot.send(f"/commit {sha[:10]} octo/hello")  # a pasted link or /commit, before the poll
    assert cards(testbot.tick()) == [("C1", sha)]
    commit = testbot.app.store.commits.get(REPO, sha)
    digest = testbot.app.digests.build(REPO, "main", commit.committed_at.date(), "UTC", "en")
    assert [entry.commit.sha for entry in digest.entries] == [sha]


def test_a_commit_on_two_watched_branches_reaches_both(testbot):
    repo = testbot.repo("octo/hello")
    repo.reset("dev", repo.branches["main"])
    testbot.send("/subscribe octo/hello dev --min low", channel="DEV")
    testbot.send("/subscribe octo/hello main --min low", channel="MAIN")
    testbot.tick()
    sha = repo.commit("feat: on dev first", branch="dev")
    testbot.tick()
    detail_requests = testbot.github.count(f"/commits/{sha}")
    repo.reset("main", sha)  # dev fast-forwarded into main
    testbot.tick()
    assert cards(testbot.posted) == [("DEV", sha), ("MAIN", sha)]
    assert testbot.github.count(f"/commits/{sha}") == detail_requests  # stored once, not fetched again


def test_re_subscribing_starts_at_the_head_instead_of_replaying_history(testbot):
    repo = testbot.repo("octo/hello")
    testbot.send("/subscribe octo/hello --min low")
    testbot.tick()
    testbot.send("/unsubscribe octo/hello")
    repo.commits(40)  # weeks pass while nobody watches
    testbot.send("/subscribe octo/hello --min low")
    assert testbot.tick() == [] and testbot.posted == []
    later = repo.commit("feat: after re-subscribing")
    assert cards(testbot.tick()) == [("C1", later)]


def test_rename_moves_commits_and_keeps_one_subscription_per_channel(testbot):
    repo = testbot.repo("octo/hello")
    store = testbot.app.store
    testbot.send("/subscribe octo/hello --min low")
    testbot.tick()
    before = repo.commit("feat: before the rename")
    testbot.tick()
    testbot.github.rename("octo/hello", "octo/world")
    new_name = RepoRef.parse("octo/world")
    testbot.send("/subscribe octo/world --min low")  # someone subscribes the channel under the new name as well
    testbot.tick()  # the old name answers "moved": its subscription merges into the new one
    after = repo.commit("feat: after the rename")
    testbot.tick()
    assert [s.repo for s in store.subscriptions.list()] == [new_name]
    assert store.commits.get(new_name, before) is not None and store.commits.get(REPO, before) is None
    assert cards(testbot.posted) == sorted([("C1", before), ("C1", after)])


def test_a_commit_whose_analysis_raises_does_not_block_the_others(store):
    class Poison(FakeAnalyser):
        def analyse(self, commit, language):
            if commit.sha == make_commit(n=2).sha:
                raise RuntimeError("schema error for this one commit")
            return super().analyse(commit, language)

    clock = FakeClock()
    notifier = FakeNotifier()
    # Hand-wired: the real analyser never raises, so only a fake one can poison a commit.
    watcher = Watcher(store, None, Poison(), Deliverer(store, {"slack": notifier}, clock), clock)
    subscribe(store, repo=RepoRef.parse("octo/widgets"))
    for n in (1, 2, 3):
        store.commits.save(make_commit(n=n), branch="main")
    watcher.deliver_pending()
    assert sorted(sent.payload.sha for sent in notifier.of_kind("card")) == [make_commit(n=1).sha, make_commit(n=3).sha]
    assert [commit.sha for commit, _ in store.commits.unprocessed()] == [make_commit(n=2).sha]
    for _ in range(100):  # passes alone (pushes, polls) never give a commit up
        watcher.deliver_pending()
    assert [commit.sha for commit, _ in store.commits.unprocessed()] == [make_commit(n=2).sha]
    clock.advance(seconds=GIVE_UP_AFTER.total_seconds() + 1)
    watcher.deliver_pending()
    assert store.commits.unprocessed() == []  # given up after hours, with its reason recorded
    reason = store.commits.finished_reason(RepoRef.parse("octo/widgets"), make_commit(n=2).sha, "main")
    assert "given up after 6 h" in reason and "RuntimeError: schema error for this one commit" in reason


def test_a_channel_that_always_defers_does_not_starve_other_repositories(store):
    class ChannelDown(FakeNotifier):
        def _post(self, kind, channel, payload, thread_id, key):
            if channel == "DOWN":
                raise TransientDeliveryError("503")
            return super()._post(kind, channel, payload, thread_id, key)

    clock = FakeClock()
    notifier = ChannelDown()
    # Hand-wired: 1100 pending commits need a cheap analyser and a card budget past the settings' limit of 1000.
    watcher = Watcher(store, None, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock,
                      WatchLimits(max_cards_per_poll=5000))
    subscribe(store, "DOWN", repo=RepoRef.parse("octo/widgets"))
    subscribe(store, "UP", repo=RepoRef.parse("octo/other"))
    for n in range(1, 1101):
        store.commits.save(make_commit(n=n), branch="main")
    watcher.deliver_pending()
    store.commits.save(make_commit(repo="octo/other", n=9999), branch="main")
    watcher.deliver_pending()
    assert [sent.channel for sent in notifier.of_kind("card")] == ["UP"]


def test_a_deferred_roll_up_is_retried_and_no_commit_is_lost_or_repeated(store):
    clock = FakeClock()
    notifier = FakeNotifier()
    # Hand-wired: the watcher's delivery pass alone, with a text post that fails once.
    watcher = Watcher(store, None, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock,
                      WatchLimits(max_cards_per_poll=2))
    subscribe(store, repo=RepoRef.parse("octo/widgets"))
    for n in range(1, 6):
        store.commits.save(make_commit(n=n), branch="main")
    notifier.fail_with = [TransientDeliveryError("503")]  # cards 1 and 2 go out; the roll-up fails
    notifier.fail_with = []
    original = notifier.post_text
    calls = []

    def flaky_text(channel, text, thread_id=None, key=None):
        calls.append(key)
        if len(calls) == 1:
            raise TransientDeliveryError("503")
        return original(channel, text, thread_id, key)

    notifier.post_text = flaky_text
    first = watcher.deliver_pending()
    assert len(notifier.of_kind("card")) == 2 and notifier.of_kind("text") == []
    # The carded commits stay pending with the rolled-up ones, so the retry ranks the same five again.
    assert len(store.commits.unprocessed()) == 5 and first.rolled_up == 0
    watcher.deliver_pending()
    watcher.deliver_pending()
    carded = [sent.payload.sha for sent in notifier.of_kind("card")]
    named = [line.split()[1] for sent in notifier.of_kind("text") for line in sent.payload.splitlines()[1:]]
    assert len(carded) == len(set(carded))
    assert sorted(set(carded) | {sha for sha in (make_commit(n=n).sha for n in range(1, 6)) if sha[:7] in named}) \
        == sorted(make_commit(n=n).sha for n in range(1, 6))
    assert store.commits.unprocessed() == []


def test_a_commit_rolled_up_for_one_channel_never_becomes_its_card_later(store):
    class DownForA(FakeNotifier):
        def _post(self, kind, channel, payload, thread_id, key):
            if channel == "A":
                raise TransientDeliveryError("503")
            return super()._post(kind, channel, payload, thread_id, key)

    clock = FakeClock()
    notifier = DownForA()
    # Hand-wired: the watcher's delivery pass alone, one card per pass.
    watcher = Watcher(store, None, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock,
                      WatchLimits(max_cards_per_poll=1))
    subscribe(store, "A", repo=RepoRef.parse("octo/widgets"))
    subscribe(store, "B", repo=RepoRef.parse("octo/widgets"))
    first, second = make_commit(n=1), make_commit(n=2)
    store.commits.save(first, branch="main")
    store.commits.save(second, branch="main")
    watcher.deliver_pending()  # B: card for 1, and 2 named in a roll-up; A defers, so both stay pending
    watcher.deliver_pending()  # again for A: 2 must not become a card in B now
    watcher.deliver_pending()
    to_b = [sent for sent in notifier.sent if sent.channel == "B"]
    assert [(sent.kind, getattr(sent.payload, "sha", None)) for sent in to_b] == [("card", first.sha), ("text", None)]


def test_sqlite_never_reuses_a_deleted_subscriptions_id(store):
    first = subscribe(store, "TEAM-A")
    store.subscriptions.remove("slack", "TEAM-A", REPO)
    second = subscribe(store, "TEAM-B")
    assert second.id != first.id


def test_a_deferred_reply_part_goes_out_later_in_the_same_thread_and_no_commit_gets_a_late_card(store):
    class LimitedAfterTheParent(FakeNotifier):
        """Slack answers 429 to the roll-up's second part, once."""

        texts = 0

        def post_text(self, channel, text, thread_id=None, key=None):
            self.texts += 1
            if self.texts == 2:
                raise TransientDeliveryError("ratelimited")
            return super().post_text(channel, text, thread_id, key)

    clock, notifier = FakeClock(), LimitedAfterTheParent()
    watcher = Watcher(store, None, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock,
                      WatchLimits(max_cards_per_poll=3))
    subscribe(store, repo=RepoRef.parse("octo/widgets"))
    commits = [make_commit(n=n, message=f"fix: thing {n} " + "in a long title " * 7) for n in range(1, 121)]
    commits = [c.model_copy(update={"sha": f"{n:07x}" + c.sha[7:]}) for n, c in enumerate(commits, start=1)]
    for c in commits:
        store.commits.save(c, branch="main")
    # Two passes of one cycle (as run_cycle makes them, sharing its budget): the second finds the channel
    # down and leaves the rest of the roll-up, and the commits it carded, pending for the next cycle.
    budget = _Budget()
    first = watcher.deliver_pending(CycleReport(), budget)
    watcher.deliver_pending(CycleReport(), budget)
    assert first.cards == 3 and len(notifier.of_kind("text")) == 1 and len(store.commits.unprocessed()) == 120
    clock.advance(seconds=60)
    watcher.deliver_pending()
    parts = notifier.of_kind("text")
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [c.sha for c in commits[:3]]
    assert len(parts) >= 2 and {p.thread_id for p in parts[1:]} == {parts[0].message_id}
    named = [line.split()[1] for p in parts for line in p.payload.splitlines() if line.startswith("• ")]
    assert sorted(named) == sorted(c.short_sha for c in commits[3:])
    assert store.commits.unprocessed() == []


def test_subscriptions_of_two_repositories_in_one_channel_share_its_cap_by_importance(store):
    clock, notifier = FakeClock(), FakeNotifier()
    widgets, gadgets = make_commit(n=1), make_commit(repo="octo/gadgets", n=2)
    low = [make_commit(n=n) for n in range(3, 6)]
    analyser = FakeAnalyser({widgets.sha: Importance.LOW, gadgets.sha: Importance.HIGH})
    analyser.importance.update({c.sha: Importance.LOW for c in low})
    watcher = Watcher(store, None, analyser, Deliverer(store, {"slack": notifier}, clock), clock,
                      WatchLimits(max_cards_per_poll=2))
    subscribe(store, "TEAM", repo=RepoRef.parse("octo/widgets"))
    subscribe(store, "TEAM", repo=RepoRef.parse("octo/gadgets"))
    for c in [widgets, *low, gadgets]:  # the high one lands last
        store.commits.save(c, branch="main")
    watcher.deliver_pending()
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [widgets.sha, gadgets.sha]
    [rollup] = notifier.of_kind("text")
    assert rollup.payload.startswith("octo/widgets") and all(c.short_sha in rollup.payload for c in low)
