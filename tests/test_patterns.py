"""Pattern subscriptions: whole owners (`/subscribe acme/*`) and branch patterns (`owner/repo 'release/*'`),
through the real application (testbot) on the fake GitHub, the store's expansion, the tick's `expand` jobs,
the CLI, and the cost of an idle cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import RepoRef, Subscription
from bot.github.errors import NotFound
from bot.service.jobs import Jobs
from bot.service.pacing import Pacing
from bot.service.patterns import owner_pattern
from tests.fake_github import clock, make_source  # noqa: F401
from tests.testbot import make_testbot, payload_text


def _acme(testbot, count: int = 3):
    testbot.github.add_org("acme")
    return [testbot.repo(f"acme/repo-{index}") for index in range(count)]


def _expand(testbot, kind: str, target: str) -> None:
    """Run the `expand` job as a worker would."""
    testbot.app.jobs("expand", {"kind": kind, "target": target})


def _concrete(testbot, channel: str = "C1") -> list[tuple[str, str]]:
    return sorted((str(sub.repo), sub.branch) for sub in testbot.subscriptions(channel=channel)
                  if sub.pattern_id is not None)


# --- whole owners ---


def test_an_owner_pattern_follows_every_repository_but_forks_and_archived_ones(testbot):
    _acme(testbot, 3)
    testbot.repo("acme/a-fork", fork=True)
    testbot.repo("acme/old", archived=True)
    testbot.repo("acme/trunk", default_branch="trunk")
    testbot.repo("other/thing")
    reply = testbot.send("/subscribe acme/* --min medium")
    assert "Subscribed this channel to acme/* —" in reply.text
    assert "Following 4 repositories of acme now" in reply.text
    assert "1 forks (--include-forks follows them), 1 archived" in reply.text
    assert _concrete(testbot) == [("acme/repo-0", "main"), ("acme/repo-1", "main"), ("acme/repo-2", "main"),
                                  ("acme/trunk", "trunk")]
    assert {sub.threshold.value for sub in testbot.subscriptions() if sub.pattern_id} == {"medium"}
    # The template itself is never a watched branch.
    assert ("acme/*", "*") not in {(str(repo), branch) for repo, branch in testbot.app.store.subscriptions.watched()}
    assert testbot.app.store.cursors.watched_count() == 4


def test_include_forks_follows_forks_too_and_a_repeated_subscribe_changes_every_repository(testbot):
    _acme(testbot, 1)
    testbot.repo("acme/a-fork", fork=True)
    testbot.send("/subscribe acme/* --include-forks")
    assert _concrete(testbot) == [("acme/a-fork", "main"), ("acme/repo-0", "main")]
    reply = testbot.send("/subscribe acme/* --min low")
    assert reply.text.startswith("Updated this channel's subscription to acme/* —")
    assert {sub.threshold.value for sub in testbot.subscriptions() if sub.pattern_id} == {"low"}
    assert len(testbot.app.store.subscriptions.templates()) == 1
    assert _concrete(testbot) == [("acme/a-fork", "main"), ("acme/repo-0", "main")]  # still with forks


def test_a_repository_created_later_starts_at_its_head_and_a_deleted_one_is_dropped(testbot):
    _acme(testbot, 1)
    testbot.send("/subscribe acme/*")
    testbot.tick()  # records the heads
    fresh = testbot.repo("acme/fresh")
    fresh.commit("feat: pushed before the bot noticed the repository")
    _expand(testbot, "owner", "acme/*")
    assert ("acme/fresh", "main") in _concrete(testbot)
    assert testbot.tick() == []  # it starts at its head: nothing before is replayed
    fresh.commit("feat: pushed after")
    posted = testbot.tick()
    assert len(posted) == 1 and "pushed after" in payload_text(posted[0])
    testbot.github.delete_repo("acme/fresh")
    _expand(testbot, "owner", "acme/*")
    assert _concrete(testbot) == [("acme/repo-0", "main")]
    assert testbot.tick() == []  # dropped quietly: no notice in the channel


def test_subscriptions_shows_a_pattern_as_one_line_with_its_count_and_unsubscribe_ends_it(testbot):
    _acme(testbot, 3)
    testbot.repo("octo/widgets")
    testbot.send("/subscribe acme/*")
    testbot.send("/subscribe octo/widgets")
    listed = testbot.send("/subscriptions").text
    assert listed.splitlines()[0] == "This channel follows 4 repository branches:"
    assert "• acme/* (3 repositories) — cards at high importance and above" in listed
    assert "acme/repo-0" not in listed and "• octo/widgets@main" in listed
    refused = testbot.send("/unsubscribe acme/repo-1")
    assert "Acme/repo-1@main comes with acme/*; /unsubscribe acme/* to stop following it" in refused.text
    assert len(_concrete(testbot)) == 3
    done = testbot.send("/unsubscribe acme/*")
    assert done.text == "Unsubscribed this channel from acme/* (3 repositories)."
    assert _concrete(testbot) == [] and testbot.app.store.subscriptions.templates() == []
    assert [str(sub.repo) for sub in testbot.subscriptions()] == ["octo/widgets"]
    assert "does not subscribe to acme/*" in testbot.send("/unsubscribe acme/*").text


def test_a_repository_the_channel_follows_on_its_own_keeps_its_options(testbot):
    _acme(testbot, 2)
    testbot.send("/subscribe acme/repo-0 --min low")
    reply = testbot.send("/subscribe acme/*")
    assert "1 of them this channel already follows on its own" in reply.text
    own = [sub for sub in testbot.subscriptions() if str(sub.repo) == "acme/repo-0"]
    assert len(own) == 1 and own[0].pattern_id is None and own[0].threshold.value == "low"
    testbot.send("/unsubscribe acme/*")
    assert [str(sub.repo) for sub in testbot.subscriptions()] == ["acme/repo-0"]


def test_an_owner_that_does_not_exist_is_refused_and_nothing_is_stored(testbot):
    reply = testbot.send("/subscribe nobody-here/*")
    assert reply.text == ("Cannot subscribe: the organisation or user nobody-here was not found on GitHub, "
                          "or the bot's token cannot read it.")
    assert testbot.app.store.subscriptions.list(templates=True) == []


def test_a_user_account_is_followed_through_its_repository_list(testbot):
    testbot.repo("ada/one")
    testbot.repo("ada/two")
    reply = testbot.send("/subscribe ada/*")
    assert "Following 2 repositories of ada now" in reply.text
    assert testbot.github.count("/orgs/ada/repos", 404) == 1 and testbot.github.count("/users/ada/repos", 200) == 1


def test_an_owner_with_more_repositories_than_the_limit_is_refused_with_the_limit_named(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/limit.db", max_repos_per_pattern=5)
    try:
        fake_github.add_org("big")
        for index in range(6):
            bot.repo(f"big/r{index}")
        bot.repo("big/gone", archived=True)  # not followed, so not counted
        reply = bot.send("/subscribe big/*")
        assert reply.text == ("Cannot subscribe: the organisation or user big has 6 to follow, more than the limit "
                              "of 5 (MAX_REPOS_PER_PATTERN, set by whoever runs the bot).")
        assert bot.app.store.subscriptions.list(templates=True) == []
        fake_github.delete_repo("big/r5")
        assert "Following 5 repositories of big now" in bot.send("/subscribe big/*").text
    finally:
        bot.app.close()


def test_an_owner_listing_past_what_the_bot_reads_is_refused(testbot):
    testbot.github.add_org("huge")
    for index in range(12):
        testbot.repo(f"huge/r{index:02}")
    source = testbot.app.source
    read = source.fetch_owner_repos("huge", max_items=10)
    assert read.truncated and len(read.repos) == 10


def test_malformed_owner_patterns_get_a_usage_reply_and_store_nothing(testbot):
    _acme(testbot, 1)
    assert "Acme/* follows each repository's default branch; name no branch with it" in \
        testbot.send("/subscribe acme/* main").text
    assert "--include-forks goes with owner/*" in testbot.send("/subscribe acme/repo-0 --include-forks").text
    assert "Repository must be owner/name" in testbot.send("/subscribe acme/*x").text
    assert testbot.app.store.subscriptions.list(templates=True) == []


# --- branch patterns ---


def _release_repo(testbot, branches=("release/1.0", "release/2.0", "dev")):
    repo = testbot.repo("octo/widgets")
    for name in branches:
        repo.branch(name)
    return repo


def test_a_branch_pattern_follows_every_matching_branch(testbot):
    _release_repo(testbot)
    reply = testbot.send("/subscribe octo/widgets 'release/*' --min low")
    assert "Subscribed this channel to octo/widgets@release/* —" in reply.text
    assert "release/* matches 2 branches of octo/widgets now: release/1.0, release/2.0." in reply.text
    assert _concrete(testbot) == [("octo/widgets", "release/1.0"), ("octo/widgets", "release/2.0")]
    assert "• octo/widgets@release/* (2 branches) —" in testbot.send("/subscriptions").text


def test_a_new_branch_starts_at_its_head_and_a_deleted_one_is_dropped_quietly(testbot):
    repo = _release_repo(testbot)
    testbot.send("/subscribe octo/widgets 'release/*'")
    testbot.tick()
    repo.commit("fix: before the branch was noticed", branch="release/3.0")
    _expand(testbot, "branches", "octo/widgets")
    assert ("octo/widgets", "release/3.0") in _concrete(testbot)
    assert testbot.tick() == []
    repo.commit("fix: on the new branch", branch="release/3.0")
    posted = testbot.tick()
    assert len(posted) == 1 and "on the new branch" in payload_text(posted[0])
    repo.delete_branch("release/1.0")
    _expand(testbot, "branches", "octo/widgets")
    assert _concrete(testbot) == [("octo/widgets", "release/2.0"), ("octo/widgets", "release/3.0")]
    assert testbot.tick() == []


def test_a_pattern_matching_nothing_is_accepted_and_says_so(testbot):
    repo = _release_repo(testbot, branches=("dev",))
    reply = testbot.send("/subscribe octo/widgets 'hotfix/*'")
    assert "hotfix/* matches no branch of octo/widgets yet; subscribed anyway" in reply.text
    assert _concrete(testbot) == [] and len(testbot.app.store.subscriptions.templates()) == 1
    repo.branch("hotfix/urgent")
    _expand(testbot, "branches", "octo/widgets")
    assert _concrete(testbot) == [("octo/widgets", "hotfix/urgent")]


def test_a_branch_pattern_ends_by_name_or_with_the_whole_repository(testbot):
    _release_repo(testbot)
    testbot.send("/subscribe octo/widgets 'release/*'")
    testbot.send("/subscribe octo/widgets dev")
    refused = testbot.send("/unsubscribe octo/widgets release/1.0")
    assert "comes with octo/widgets@release/*; /unsubscribe octo/widgets 'release/*'" in refused.text
    assert testbot.send("/unsubscribe octo/widgets 'release/*'").text == \
        "Unsubscribed this channel from octo/widgets@release/* (2 branches)."
    assert [(sub.branch, sub.pattern_id) for sub in testbot.subscriptions()] == [("dev", None)]
    testbot.send("/subscribe octo/widgets 'release/*'")
    testbot.send("/unsubscribe octo/widgets")  # every branch: the pattern goes too
    assert testbot.app.store.subscriptions.list(templates=True) == []


def test_bad_branch_patterns_and_unknown_repositories(testbot):
    _release_repo(testbot)
    assert "Not a valid branch pattern: 'release/*..'" in testbot.send("/subscribe octo/widgets 'release/*..'").text
    missing = testbot.send("/subscribe octo/nothing 'release/*'")
    assert missing.text.startswith("Cannot subscribe: octo/nothing (branch release/*) was not found on GitHub")
    assert testbot.app.store.subscriptions.list(templates=True) == []


def test_help_names_the_patterns_in_both_languages(testbot):
    english = testbot.send("/subscribe help").text
    assert "/subscribe acme/*" in english and "--include-forks" in english and "'release/*'" in english
    chinese = testbot.send("/subscribe help --lang zh").text
    assert "全部仓库" in chinese and "--include-forks" in chinese


def test_replies_in_chinese(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/zh.db", language="zh")
    try:
        fake_github.add_org("acme")
        bot.repo("acme/one")
        reply = bot.send("/subscribe acme/*")
        assert "目前关注 acme 的 1 个仓库" in reply.text
        assert "acme/* （1 个仓库）" not in bot.send("/subscriptions").text
        assert "acme/* (1 个仓库)" in bot.send("/subscriptions").text
        assert "已为当前会话取消订阅 acme/*（1 个仓库）" in bot.send("/unsubscribe acme/*").text
    finally:
        bot.app.close()


# --- the store ---


def test_templates_are_never_polled_and_their_cursors_never_claimed(any_store):
    store = any_store
    now = datetime(2024, 5, 1, tzinfo=UTC)
    template, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=owner_pattern("acme"),
                                                        branch="*", template="owner"))
    store.cursors.request_poll(RepoRef(owner="acme", name="*"), "*", now)
    assert store.subscriptions.list() == [] and store.subscriptions.watched() == []
    assert store.cursors.claim_due(now, 10, lambda: now + timedelta(minutes=5)) == []
    added, removed = store.subscriptions.expand(template, [(RepoRef.parse("acme/a"), "main")], now)
    assert (added, removed) == (1, 0)
    assert store.cursors.watched_count() == 1
    assert store.cursors.claim_due(now, 10, lambda: now + timedelta(minutes=5)) == [(RepoRef.parse("acme/a"), "main")]
    assert store.subscriptions.expand(template, [(RepoRef.parse("acme/a"), "main")], now) == (0, 0)
    assert store.subscriptions.expand(template, [], now) == (0, 1)
    assert store.subscriptions.remove_pattern(template.key) == 0
    assert store.subscriptions.list(templates=True) == []


def test_listings_are_claimed_once_per_interval_and_only_while_a_template_follows_them(any_store):
    store = any_store
    from bot.store.listings import Listing

    now = datetime(2024, 5, 1, tzinfo=UTC)
    later = now + timedelta(minutes=5)
    store.listings.save(Listing(kind="owner", target="acme/*", etags=['W/"1"']), now)
    assert store.listings.claim_due(now, 10, lambda: later) == []  # nobody follows it
    store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=owner_pattern("acme"), branch="*",
                                          template="owner"))
    then = now + timedelta(days=1)
    assert store.listings.claim_due(then, 10, lambda: then + timedelta(minutes=5)) == [("owner", "acme/*")]
    assert store.listings.claim_due(then, 10, lambda: then + timedelta(minutes=5)) == []  # not due again yet
    store.listings.save(Listing(kind="owner", target="acme/*", etags=['W/"2"']), then)  # keeps its next check
    assert store.listings.get("owner", "acme/*").etags == ['W/"2"']
    assert store.listings.claim_due(then + timedelta(minutes=4), 10, lambda: then) == []
    assert store.listings.claim_due(then + timedelta(minutes=5), 10, lambda: then) == [("owner", "acme/*")]


# --- the source ---


def test_owner_and_branch_lists_are_read_page_by_page_and_asked_again_conditionally(fake_github, make_source):
    fake_github.add_org("acme")
    for index in range(5):
        repo = fake_github.add_repo(f"acme/r{index}", fork=index == 4)
    for index in range(3):
        repo.branch(f"release/{index}")
    source = make_source(per_page=2)
    first = source.fetch_owner_repos("acme")
    assert [str(item.repo) for item in first.repos] == [f"acme/r{index}" for index in range(5)]
    assert first.owner_kind == "orgs" and len(first.etags) == 3 and first.repos[4].fork
    fake_github.reset_counts()
    again = source.fetch_owner_repos("acme", first.etags, first.owner_kind)
    assert again.not_modified and fake_github.not_modified == 3 and fake_github.counted == 0
    fake_github.add_repo("acme/r5")
    fake_github.reset_counts()
    changed = source.fetch_owner_repos("acme", first.etags, first.owner_kind)
    assert not changed.not_modified and len(changed.repos) == 6 and len(changed.etags) == 3
    branches = source.fetch_branches(RepoRef.parse("acme/r4"))
    assert branches.branches == ["main", "release/0", "release/1", "release/2"]
    fake_github.reset_counts()
    assert source.fetch_branches(RepoRef.parse("acme/r4"), branches.etags).not_modified
    assert fake_github.counted == 0
    with pytest.raises(NotFound):
        source.fetch_owner_repos("ghost")


# --- the tick ---


class _Deferred:
    """A queue that keeps what it is handed."""

    def __init__(self) -> None:
        self.jobs = []

    def defer(self, job) -> bool:
        self.jobs.append(job)
        return True

    def depth(self) -> dict[str, int]:
        return {}


def test_the_tick_hands_out_one_expand_job_per_list_per_interval(testbot):
    _acme(testbot, 2)
    _release_repo(testbot)
    testbot.send("/subscribe acme/*")
    testbot.send("/subscribe octo/widgets 'release/*'")
    app, queue = testbot.app, _Deferred()
    jobs = Jobs(store=app.store, watcher=app.watcher, digests=app.digests, queue=queue,
                pacing=Pacing(app.store, 300, 500, 5, jitter=lambda: 0.5), clock=testbot.clock,
                patterns=app.jobs.patterns)
    jobs.tick()
    expands = sorted((job.args["kind"], job.args["target"]) for job in queue.jobs if job.name == "expand")
    assert expands == [("branches", "octo/widgets"), ("owner", "acme/*")]
    queue.jobs.clear()
    jobs.tick()
    assert [job for job in queue.jobs if job.name == "expand"] == []
    testbot.clock.advance(seconds=301)
    jobs.tick()
    assert len([job for job in queue.jobs if job.name == "expand"]) == 2


# --- the cost of an idle cycle ---


def test_an_idle_cycle_costs_one_conditional_request_per_list_plus_one_per_watched_branch(testbot):
    testbot.github.add_org("acme")
    for index in range(50):
        testbot.repo(f"acme/r{index:02}")
    repo = testbot.repo("octo/widgets")
    for index in range(30):
        repo.branch(f"release/{index:02}")
    testbot.send("/subscribe acme/*")
    testbot.send("/subscribe octo/widgets 'release/*'")
    testbot.tick()  # every branch records its head
    _expand(testbot, "owner", "acme/*")
    _expand(testbot, "branches", "octo/widgets")
    testbot.tick()
    testbot.github.reset_counts()
    _expand(testbot, "owner", "acme/*")
    _expand(testbot, "branches", "octo/widgets")
    testbot.tick()
    assert testbot.github.count("/orgs/acme/repos") == 1 and testbot.github.count("/branches") == 1
    assert len(testbot.github.seen) == 1 + 50 + 1 + 30
    assert testbot.github.not_modified == len(testbot.github.seen)


# --- the CLI ---


def test_the_cli_adds_lists_and_removes_patterns(fake_github, tmp_path):
    from tests.test_cli import cli

    fake_github.add_org("acme")
    fake_github.add_repo("acme/one")
    fake_github.add_repo("acme/two").branch("release/1")
    env = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_MAX_WAIT": "0"}
    added = cli(tmp_path, "subscriptions", "add", "acme/*", "--min", "low", env=env)
    assert added.returncode == 0, added.stderr
    assert "added acme/* -> console:console: 2 repositories (min low" in added.stdout
    branches = cli(tmp_path, "subscriptions", "add", "acme/two", "--branch", "release/*", env=env)
    assert "added acme/two@release/* -> console:console: 1 branch (min high" in branches.stdout, branches.stderr
    listed = cli(tmp_path, "subscriptions", "list").stdout
    assert "acme/* (2 repositories)" in listed and "acme/two@release/* (1 branch)" in listed
    assert "acme/one@main" not in listed
    removed = cli(tmp_path, "subscriptions", "remove", "acme/*", env=env)
    assert removed.returncode == 0 and "removed acme/* (2 repositories)" in removed.stdout
    ghost = cli(tmp_path, "subscriptions", "add", "ghost/*", env=env)
    assert ghost.returncode == 1 and "ghost" in ghost.stderr and "Traceback" not in ghost.stderr
