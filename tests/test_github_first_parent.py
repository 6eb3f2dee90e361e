"""Issue 15: a merged pull request is one unit — the real source, store, poller and watcher on the fake GitHub."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.domain import Importance, RepoRef, Subscription
from bot.service.delivery import Deliverer
from bot.service.digest import DigestService
from bot.service.poller import poll_all
from bot.service.watcher import Watcher, WatchLimits
from tests.fake_github import EPOCH, clock, fake_github, fake_github_server, make_source  # noqa: F401
from tests.fakes import FakeAnalyser, FakeNotifier

REPO = RepoRef.parse("octo/hello")
PR = {"number": 7, "title": "Add the widget cache", "body": "Caches widgets."}


@pytest.fixture
def source(make_source):
    return make_source()


def poll(source, store, clock):
    [outcome] = poll_all(source, store, [(REPO, "main")], 1, clock.datetime)
    return outcome


def subscribe(store, channel: str, **options) -> Subscription:
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel=channel, repo=REPO, branch="main",
                                                   threshold=Importance.LOW, **options))
    return sub


def merged_pull_request(repo, count: int = 3) -> tuple[list[str], str]:
    """A branch of `count` commits off main, merged as pull request 7: (its commits, the merge)."""
    base = repo.branches["main"]
    repo.branches["feature"] = base
    side = [repo.commit(f"feat: cache step {n}", branch="feature") for n in range(count)]
    merge = repo.merge("feature", message=f"Merge pull request #7 from octo/feature\n\n{PR['title']}", pull=PR)
    return side, merge


def fetched(fake_github, sha: str) -> int:
    """Detail requests for one commit (its pulls lookup not counted)."""
    return sum(1 for seen in fake_github.seen if seen.path.endswith(f"/commits/{sha}"))


def test_a_merged_pull_request_costs_its_merge_only_and_names_its_commits(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "C1")
    poll(source, store, clock)
    side, merge = merged_pull_request(repo)
    fake_github.reset_counts()
    outcome = poll(source, store, clock)
    assert outcome.status == "updated" and outcome.new_shas == [*side, merge]
    # The listing, the compare the merge calls for, then the merge's detail and pull request: nothing per commit.
    assert fake_github.counted == 4
    assert fake_github.count("/compare/") == 1 and fetched(fake_github, merge) == 1
    assert all(fetched(fake_github, sha) == 0 and fake_github.count(f"/commits/{sha}/pulls") == 0 for sha in side)
    pending = {commit.sha: commit for commit, _branch in store.commits.unprocessed()}
    assert [pending[sha].merged_by for sha in side] == [merge] * 3 and pending[merge].merged_by is None
    assert not any(pending[sha].detailed for sha in side) and pending[merge].detailed
    assert [named.sha for named in pending[merge].merged_commits] == side
    assert [named.title for named in pending[merge].merged_commits] == [f"feat: cache step {n}" for n in range(3)]
    assert pending[merge].pull_request.title == PR["title"]
    assert store.commits.get(REPO, side[0]) is None  # no files stored: /commit fetches it in full


def watcher_on(source, store, clock, analyser=None):
    notifier = FakeNotifier()
    watcher = Watcher(store, source, analyser or FakeAnalyser(), Deliverer(store, {"slack": notifier},
                                                                           clock.datetime),
                      clock.datetime, WatchLimits(max_cards_per_poll=10))
    return watcher, notifier


def test_one_card_per_merged_pull_request_and_every_commit_for_all_commits(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "UNITS")
    subscribe(store, "EVERY", all_commits=True)
    analyser = FakeAnalyser()
    watcher, notifier = watcher_on(source, store, clock, analyser)
    watcher.run_cycle()
    side, merge = merged_pull_request(repo)
    fake_github.reset_counts()
    watcher.run_cycle()
    cards = [(sent.channel, sent.payload.sha) for sent in notifier.of_kind("card")]
    assert [sha for channel, sha in cards if channel == "UNITS"] == [merge]
    assert [sha for channel, sha in cards if channel == "EVERY"] == [*side, merge]
    # A subscription that wants every commit needs each one's detail: 1 listing, 1 compare, 2 per commit.
    assert fake_github.counted == 2 + 2 * 4
    assert sorted(sha for sha, _lang in analyser.calls) == sorted([*side, merge])
    [card] = [sent.payload for sent in notifier.of_kind("card") if sent.channel == "UNITS"]
    assert card.title == PR["title"]
    [merged] = [section for section in card.sections if section.key == "merged"]
    assert [(item.label, item.value) for item in merged.items] == [
        (sha[:7], f"feat: cache step {n}") for n, sha in enumerate(side)]
    assert any(field.value == "3 个提交" for field in card.fields)
    assert store.commits.unprocessed() == []


def test_side_commits_cost_no_analysis_when_nobody_wants_them(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "UNITS")
    analyser = FakeAnalyser()
    watcher, notifier = watcher_on(source, store, clock, analyser)
    watcher.run_cycle()
    _side, merge = merged_pull_request(repo, count=5)
    watcher.run_cycle()
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [merge]
    assert analyser.calls == [(merge, "zh")]
    assert store.commits.unprocessed() == []


def test_no_merges_keeps_its_meaning_each_merged_commit_instead_of_the_merge(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "NOMERGE", include_merges=False)
    watcher, notifier = watcher_on(source, store, clock)
    watcher.run_cycle()
    side, _merge = merged_pull_request(repo)
    direct = repo.commit("fix: a direct push")
    watcher.run_cycle()
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == [*side, direct]


def test_squash_and_rebase_workflows_are_as_before(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "UNITS")
    watcher, notifier = watcher_on(source, store, clock)
    watcher.run_cycle()
    squashed = [repo.commit(f"feat: squashed pull request {n} (#{n})") for n in range(3)]
    fake_github.reset_counts()
    watcher.run_cycle()
    assert [sent.payload.sha for sent in notifier.of_kind("card")] == squashed
    assert fake_github.counted == 1 + 2 * 3 and fake_github.count("/compare/") == 0
    assert all(sent.payload.sections[-1].key != "merged" for sent in notifier.of_kind("card"))


def test_two_merges_in_one_poll_each_name_their_own_commits(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "UNITS")
    poll(source, store, clock)
    first_side, first = merged_pull_request(repo, count=2)
    direct = repo.commit("docs: a direct push between the merges")
    repo.branches["other"] = direct
    second_side = [repo.commit(f"fix: other {n}", branch="other") for n in range(2)]
    second = repo.merge("other", message="Merge pull request #8 from octo/other\n\nFix the other thing")
    outcome = poll(source, store, clock)
    assert set(outcome.new_shas) == {*first_side, first, direct, *second_side, second}
    pending = {commit.sha: commit for commit, _branch in store.commits.unprocessed()}
    assert [named.sha for named in pending[first].merged_commits] == first_side
    assert [named.sha for named in pending[second].merged_commits] == second_side
    assert pending[direct].merged_by is None and pending[direct].detailed
    assert {sha for sha, commit in pending.items() if commit.merged_by is None} == {first, direct, second}
    assert pending[second].unit_title == "Fix the other thing"  # no pull request known: its message's title line


def test_a_lost_cursor_still_sorts_a_merge_from_its_commits(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    subscribe(store, "UNITS")
    poll(source, store, clock)
    kept, rewritten_away = repo.commits(2)
    poll(source, store, clock)
    repo.reset("main", kept)
    repo.forget(rewritten_away)  # collected: the compare API no longer knows the cursor
    side, merge = merged_pull_request(repo)
    fake_github.reset_counts()
    outcome = poll(source, store, clock)
    assert outcome.new_shas == [*side, merge]
    assert all(fetched(fake_github, sha) == 0 for sha in side) and fetched(fake_github, merge) == 1
    pending = {commit.sha: commit for commit, _branch in store.commits.unprocessed()}
    assert [named.sha for named in pending[merge].merged_commits] == side


def test_commits_first_stored_from_a_listing_are_fetched_for_a_branch_that_wants_every_commit(
        fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    repo.branches["release"] = repo.branches["main"]
    subscribe(store, "UNITS")
    store.subscriptions.save(Subscription(platform="slack", channel="REL", repo=REPO, branch="release",
                                          all_commits=True))
    poll_all(source, store, [(REPO, "main"), (REPO, "release")], 1, clock.datetime)
    side, _merge = merged_pull_request(repo)
    poll(source, store, clock)  # on main the side commits are stored from the listing only
    repo.reset("release", side[-1])  # release fast-forwards onto the pull request's commits
    fake_github.reset_counts()
    [outcome] = poll_all(source, store, [(REPO, "release")], 1, clock.datetime)
    assert outcome.new_shas == side
    assert all(fetched(fake_github, sha) == 1 for sha in side)
    assert all(store.commits.get(REPO, sha).detailed for sha in side)
    release = [commit for commit, branch in store.commits.unprocessed() if branch == "release"]
    assert [commit.sha for commit in release] == side and all(commit.files for commit in release)


def test_the_digest_has_one_entry_per_merged_pull_request(fake_github, source, store, clock):
    repo = fake_github.add_repo("octo/hello")
    units = subscribe(store, "UNITS")
    every = subscribe(store, "EVERY", all_commits=True)
    poll(source, store, clock)
    side, merge = merged_pull_request(repo)
    poll(source, store, clock)
    digests = DigestService(store, FakeAnalyser(), Deliverer(store, {"slack": FakeNotifier()}, clock.datetime),
                            clock.datetime)
    day = EPOCH.date()
    [entry] = digests.build(REPO, "main", day, "UTC", "en", units).entries
    assert entry.commit.sha == merge and [named.sha for named in entry.commit.merged_commits] == side
    every_entries = digests.build(REPO, "main", day, "UTC", "en", every).entries
    assert sorted(e.commit.sha for e in every_entries) == sorted([*side, merge])


def test_the_report_lists_first_parent_steps_and_a_merge_names_its_commits(fake_github, source):
    repo = fake_github.add_repo("octo/hello")
    initial = repo.branches["main"]
    side, merge = merged_pull_request(repo)
    direct = repo.commit("fix: a direct push")
    # Made in the window, merged after it: named by that later merge, not here.
    repo.branches["late"] = direct
    late = repo.commit("feat: merged tomorrow", branch="late")
    window_end = datetime.fromisoformat(repo.objects[late].date.replace("Z", "+00:00")) + timedelta(seconds=30)
    after = repo.commit("chore: the next day's direct push")
    repo.merge("late", message="Merge pull request #9 from octo/late\n\nLate")
    listed = source.list_commits_between(REPO, "main", EPOCH, window_end)
    assert listed == [initial, merge, direct]
    assert not set(listed) & {*side, late, after}
    fake_github.reset_counts()
    detail = source.fetch_commit(REPO, merge)
    assert [named.sha for named in detail.merged_commits] == side and detail.merged_count == 3
    assert fake_github.counted == 3  # detail, pulls, and the compare of its two parents
