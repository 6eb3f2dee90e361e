"""The watcher's delivery pass: thresholds, filters, burst roll-ups, pausing, crash safety."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from bot.domain import Commit, FileChange, Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.poller import PollOutcome, PollStatus
from bot.service.watcher import Watcher, WatchLimits
from tests.fakes import FakeAnalyser, FakeClock, FakeNotifier, not_in_channel, rate_limited

REPO = RepoRef.parse("octo/widgets")


def commit(n: int, *, author: str = "ada", files: tuple[str, ...] = ("src/app.py",), merge: bool = False,
           minutes: int = 0) -> Commit:
    sha = f"{n:040x}"
    return Commit(repo=REPO, sha=sha, message=f"feat: change number {n}\n\nbody", author_name=author.title(),
                  author_login=author, committed_at=datetime(2026, 1, 8, 10, minutes, tzinfo=UTC),
                  url=f"https://github.com/octo/widgets/commit/{sha}",
                  parents=("a" * 40, "b" * 40) if merge else ("a" * 40,),
                  files=tuple(FileChange(filename=name, additions=1) for name in files))


@pytest.fixture
def world(store):
    clock = FakeClock()
    notifier = FakeNotifier()
    analyser = FakeAnalyser()
    deliverer = Deliverer(store, {"slack": notifier}, clock)
    watcher = Watcher(store, source=None, analyser=analyser, deliverer=deliverer, clock=clock,
                      limits=WatchLimits(max_cards_per_poll=10))
    return store, notifier, analyser, watcher


def subscribe(store, channel="C1", **options) -> Subscription:
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=REPO, **options))
    return sub


def test_cards_go_to_subscriptions_whose_threshold_the_commit_meets(world):
    store, notifier, analyser, watcher = world
    subscribe(store, "HIGH", threshold=Importance.HIGH)
    subscribe(store, "MED", threshold=Importance.MEDIUM)
    analyser.importance = {commit(1).sha: Importance.HIGH, commit(2).sha: Importance.MEDIUM,
                           commit(3).sha: Importance.LOW}
    for n in (1, 2, 3):
        store.commits.save(commit(n), branch="main")
    report = watcher.deliver_pending()
    delivered = sorted((sent.channel, sent.payload.title) for sent in notifier.of_kind("card"))
    assert delivered == [("HIGH", "feat: change number 1"), ("MED", "feat: change number 1"),
                         ("MED", "feat: change number 2")]
    assert report.processed == 3 and store.commits.unprocessed() == []
    assert watcher.deliver_pending().cards == 0 and len(notifier.sent) == 3


@pytest.mark.parametrize(("options", "change", "delivered"), [
    ({"paths": ["docs/**"]}, {"files": ("src/app.py",)}, False),
    ({"paths": ["src/**"]}, {"files": ("README.md", "src/deep/mod.py")}, True),
    ({"paths": ["src"]}, {"files": ("src/deep/mod.py",)}, True),  # a bare directory name, as in .gitignore
    ({"paths": ["*.md"]}, {"files": ("src/app.py",)}, False),
    ({"ignore_authors": ["dependabot[bot]"]}, {"author": "dependabot[bot]"}, False),
    ({"ignore_authors": ["*[bot]"]}, {"author": "renovate[bot]"}, False),
    ({"ignore_authors": ["dependabot[bot]"]}, {"author": "ada"}, True),
    ({"include_merges": False}, {"merge": True}, False),
    ({"include_merges": True}, {"merge": True}, True),
    ({"branch": "release"}, {}, False),
])
def test_filters(world, options, change, delivered):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.LOW, **options)
    store.commits.save(commit(1, **change), branch="main")
    watcher.deliver_pending()
    assert bool(notifier.of_kind("card")) is delivered
    assert store.commits.unprocessed() == []


def test_burst_is_capped_per_channel_and_the_rest_rolled_up_once(world):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.LOW)
    for n in range(1, 26):
        store.commits.save(commit(n, minutes=n), branch="main")
    report = watcher.deliver_pending()
    assert len(notifier.of_kind("card")) == 10
    rollups = notifier.of_kind("text")
    assert len(rollups) == 1 and report.rolled_up == 15
    assert rollups[0].payload.count("\n• ") == 15
    assert watcher.deliver_pending().cards == 0 and len(notifier.sent) == 11


def test_each_language_is_analysed_once(world):
    store, notifier, analyser, watcher = world
    subscribe(store, "A", language="zh", threshold=Importance.LOW)
    subscribe(store, "B", language="zh", threshold=Importance.LOW)
    subscribe(store, "C", language="en", threshold=Importance.LOW)
    store.commits.save(commit(1), branch="main")
    watcher.deliver_pending()
    assert sorted(analyser.calls) == [(commit(1).sha, "en"), (commit(1).sha, "zh")]
    assert len(notifier.of_kind("card")) == 3


def test_removed_bot_pauses_the_subscription_and_says_why(world):
    store, notifier, analyser, watcher = world
    sub = subscribe(store, threshold=Importance.LOW)
    notifier.fail_with = [not_in_channel()]
    store.commits.save(commit(1), branch="main")
    store.commits.save(commit(2), branch="main")
    watcher.deliver_pending()
    paused = store.subscriptions.get(sub.id)
    assert paused.paused and paused.paused_reason == "not_in_channel"
    assert notifier.sent == []
    assert store.subscriptions.watched() == []


def test_rate_limited_delivery_is_retried_after_a_backoff_exactly_once(store):
    clock, notifier = FakeClock(), FakeNotifier()
    watcher = Watcher(store, None, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock), clock)
    subscribe(store, threshold=Importance.LOW)
    notifier.fail_with = [rate_limited()]
    store.commits.save(commit(1), branch="main")
    first = watcher.deliver_pending()
    assert first.deferred == 1 and len(store.commits.unprocessed()) == 1
    again = watcher.deliver_pending()  # a push right after: the card waits for its retry time
    assert again.cards == 0 and notifier.of_kind("card") == []
    clock.advance(seconds=31)
    second = watcher.deliver_pending()
    assert second.cards == 1 and store.commits.unprocessed() == []
    assert len(notifier.of_kind("card")) == 1


def test_crash_between_post_and_record_does_not_post_twice(world):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.LOW)
    store.commits.save(commit(1), branch="main")
    notifier.crash_after_post = True
    with pytest.raises(SystemExit):
        watcher.deliver_pending()
    assert len(notifier.sent) == 1 and len(store.deliveries.pending()) == 1
    notifier.crash_after_post = False  # "restart"
    watcher.deliver_pending()
    assert len(notifier.of_kind("card")) == 1
    assert store.deliveries.pending() == [] and store.commits.unprocessed() == []


def test_subscriptions_to_other_repos_or_platforms_get_nothing(world):
    store, notifier, analyser, watcher = world
    store.subscriptions.save(Subscription(platform="slack", channel="C9", repo=RepoRef.parse("other/repo"),
                                          threshold=Importance.LOW))
    store.commits.save(commit(1), branch="main")
    watcher.deliver_pending()
    assert notifier.sent == [] and store.commits.unprocessed() == []


def failed_poll(cursor):
    """The outcome a failed poll hands the watcher: its cursor as record_failure left it."""
    return PollOutcome(cursor.repo, cursor.branch, PollStatus.FAILED, error=RuntimeError(cursor.failure_kind),
                       cursor=cursor)


def test_persistent_failure_is_reported_once_but_rate_limits_never(world):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.LOW)
    other = RepoRef.parse("octo/limited")
    store.subscriptions.save(Subscription(platform="slack", channel="C2", repo=other))
    now = datetime(2026, 1, 8, tzinfo=UTC)
    for _ in range(5):
        failed = store.cursors.record_failure(REPO, "main", "not_found", "octo/widgets: 404 Not Found")
        limited = store.cursors.record_failure(other, "main", "rate_limited", "rate limited")
        watcher._report_persistent_failures([failed_poll(failed), failed_poll(limited)])
    texts = notifier.of_kind("text")
    assert len(texts) == 1 and texts[0].channel == "C1" and "404" in texts[0].payload
    store.cursors.advance(REPO, "main", "a" * 40, None, now)  # recovered: a later failure is news again
    for _ in range(3):
        failed = store.cursors.record_failure(REPO, "main", "not_found", "404 again")
    watcher._report_persistent_failures([failed_poll(failed)])
    assert len(notifier.of_kind("text")) == 2


# --- bursts (issue 15): cards to the most important commits, every other one named in the roll-up -------------


def burst_commit(n: int) -> Commit:
    """Commit n of a burst: a distinct short SHA and a title long enough that 77 of them need two messages."""
    sha = hashlib.sha1(f"burst {n}".encode()).hexdigest()
    return Commit(repo=REPO, sha=sha, message=f"chore: step {n} of the big push " + "with a long title " * 5,
                  author_name="Ada", committed_at=datetime(2026, 1, 8, 10, 0, tzinfo=UTC),
                  url=f"https://github.com/octo/widgets/commit/{sha}", parents=("a" * 40,))


BURST = [burst_commit(n) for n in range(1, 88)]
# The release and the Python-version drop come last in the push, as they did in the issue.
HIGH = {n for n in range(1, 88) if n % 7 == 0} | {86, 87}
MEDIUM = {n for n in range(1, 88) if n % 3 == 0} - HIGH


def burst_importance() -> dict[str, Importance]:
    return {c.sha: Importance.HIGH if n in HIGH else Importance.MEDIUM if n in MEDIUM else Importance.LOW
            for n, c in enumerate(BURST, start=1)}


def named(sent) -> list[str]:
    """The short SHAs a roll-up text names, in its order (lines `• <sha> <title>`)."""
    return [line.split()[1] for line in sent.payload.splitlines() if line.startswith("• ")]


def short(n: int) -> str:
    return BURST[n - 1].short_sha


def save_burst(store) -> None:
    for c in BURST:
        store.commits.save(c, branch="main")


def test_a_burst_gives_its_cards_to_the_most_important_commits_and_names_every_other_one(world):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.LOW)
    analyser.importance = burst_importance()
    save_burst(store)
    report = watcher.deliver_pending()
    top = sorted(HIGH)[:10]  # 14 high ones: the 10 oldest of them get the cards
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [BURST[n - 1].sha for n in top]
    parts = notifier.of_kind("text")
    assert len(parts) >= 2, "77 long lines need a parent message and at least one reply"
    assert parts[0].thread_id is None and {p.thread_id for p in parts[1:]} == {parts[0].message_id}
    listed = [sha for part in parts for sha in named(part)]
    rest = [n for n in range(1, 88) if n not in top]
    assert sorted(listed) == sorted(short(n) for n in rest) and len(listed) == len(set(listed))
    # Grouped high, medium, low; history order within a group.
    by_level = [sorted(HIGH)[10:], sorted(MEDIUM), sorted(set(rest) - HIGH - MEDIUM)]
    assert listed == [short(n) for group in by_level for n in group]
    assert report.cards == 10 and report.rolled_up == 77 and store.commits.unprocessed() == []
    assert "77" in parts[0].payload.splitlines()[0]
    watcher.deliver_pending()
    assert len(notifier.sent) == 10 + len(parts)


def test_commits_below_the_threshold_are_counted_in_the_roll_up_and_left_to_the_digest(world):
    store, notifier, analyser, watcher = world
    subscribe(store, threshold=Importance.MEDIUM, language="en")
    analyser.importance = burst_importance()
    save_burst(store)
    watcher.deliver_pending()
    parts = notifier.of_kind("text")
    listed = [sha for part in parts for sha in named(part)]
    lows = [n for n in range(1, 88) if n not in HIGH | MEDIUM]
    assert not set(listed) & {short(n) for n in lows}
    assert len(listed) == len(HIGH) + len(MEDIUM) - 10
    assert f"{len(lows)} lower-importance commits" in parts[-1].payload


class CrashingNotifier(FakeNotifier):
    """Dies on the roll-up part `crash_on` (1-based): before posting it, or right after."""

    def __init__(self, crash_on: int, after_post: bool) -> None:
        super().__init__()
        self.crash_on, self.after_post, self.texts = crash_on, after_post, 0

    def post_text(self, channel, text, thread_id=None, key=None):
        self.texts += 1
        if self.texts == self.crash_on and not self.after_post:
            raise SystemExit("simulated crash between two parts")
        message_id = super().post_text(channel, text, thread_id, key)
        if self.texts == self.crash_on:
            raise SystemExit("simulated crash between post and record")
        return message_id


@pytest.mark.parametrize("after_post", [False, True], ids=["before-part-2", "after-part-2-before-its-record"])
def test_a_crash_between_roll_up_parts_resends_only_the_missing_parts(store, after_post):
    clock = FakeClock()
    subscribe(store, threshold=Importance.LOW)
    save_burst(store)
    crashing = CrashingNotifier(crash_on=2, after_post=after_post)

    def process(notifier):
        # Each run is a new process: its own deliverer and watcher, the same database and channel.
        deliverer = Deliverer(store, {"slack": notifier}, clock)
        return Watcher(store, None, FakeAnalyser(burst_importance()), deliverer, clock,
                       WatchLimits(max_cards_per_poll=10))

    with pytest.raises(SystemExit):
        process(crashing).deliver_pending()
    restarted = FakeNotifier(sent=crashing.sent)
    process(restarted).deliver_pending()
    cards = [sent.payload.sha for sent in restarted.of_kind("card")]
    parts = restarted.of_kind("text")
    assert len(cards) == len(set(cards)) == 10
    assert len({p.key for p in parts}) == len(parts), "no part went out twice"
    assert {p.thread_id for p in parts[1:]} == {parts[0].message_id}
    listed = [sha for part in parts for sha in named(part)]
    assert sorted(listed) == sorted(c.short_sha for c in BURST if c.sha not in cards)
    assert store.commits.unprocessed() == [] and store.deliveries.pending() == []
