"""One slow repository does not hold back the cards of the others."""

from __future__ import annotations

import threading

from bot.domain import Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.watcher import Watcher, WatchLimits
from tests.fake_github import clock, fake_github, fake_github_server, file_entry, make_source  # noqa: F401
from tests.fakes import FakeAnalyser, FakeNotifier


class GatedSource:
    """The real source, except that listing `slow` waits until the test lets it answer."""

    def __init__(self, source, slow: str) -> None:
        self._source = source
        self._slow = slow
        self.entered = threading.Event()
        self.release = threading.Event()

    def fetch_commit_listing(self, repo, branch, since_sha, etag):
        if repo.full_name == self._slow and since_sha is not None:
            self.entered.set()
            assert self.release.wait(30), "the test never released the slow repository"
        return self._source.fetch_commit_listing(repo, branch, since_sha, etag)

    def __getattr__(self, name):
        return getattr(self._source, name)


class Recording(FakeNotifier):
    def __init__(self) -> None:
        super().__init__()
        self.carded = threading.Event()

    def post_card(self, channel, card, thread_id=None, key=None):
        message_id = super().post_card(channel, card, thread_id, key)
        self.carded.set()
        return message_id


def test_a_card_is_delivered_while_another_repository_is_still_polling(store, fake_github, make_source, clock):
    slow_repo, quick_repo = fake_github.add_repo("octo/slow"), fake_github.add_repo("octo/quick")
    source = GatedSource(make_source(), "octo/slow")
    notifier = Recording()
    # Hand-wired: the source is gated to hold one repository's poll open while the other's card goes out.
    watcher = Watcher(store, source, FakeAnalyser(), Deliverer(store, {"slack": notifier}, clock.datetime),
                      clock.datetime, WatchLimits(poll_concurrency=4))
    for channel, name in (("SLOW", "octo/slow"), ("QUICK", "octo/quick")):
        store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=RepoRef.parse(name),
                                              branch="main", threshold=Importance.LOW))
    # Beside them, a subscription stored before the pattern limits with the worst patterns there are.
    hostile = ["**?" * 60 + "Z" for _ in range(50)]
    store.subscriptions.save(Subscription(platform="slack", channel="HOSTILE", repo=RepoRef.parse("octo/quick"),
                                          branch="main", threshold=Importance.LOW, paths=hostile))
    source.release.set()
    watcher.run_cycle()  # records both heads
    source.release.clear()
    slow_repo.commit("feat: on the slow repository")
    # The Zs defeat the matcher's cheap pre-checks: every (pattern, path) pair is stepped through.
    long_paths = [file_entry("src/" + "/".join(["deeply-nested-Z-folder"] * 10) + f"/module_{n}.py")
                  for n in range(300)]
    quick = quick_repo.commit("feat: on the quick repository", files=long_paths)
    cycle = threading.Thread(target=watcher.run_cycle)
    cycle.start()
    try:
        assert source.entered.wait(10)
        assert notifier.carded.wait(10), "the quick repository's card waited for the slow poll"
        assert ("QUICK", quick) in [(sent.channel, sent.payload.sha) for sent in notifier.of_kind("card")]
    finally:
        source.release.set()
        cycle.join(30)
    channels = [sent.channel for sent in notifier.of_kind("card")]
    assert channels.count("QUICK") == 1 and channels.count("SLOW") == 1
