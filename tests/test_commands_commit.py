"""`/commit`: stored commits by prefix first, then GitHub; ambiguous and unknown prefixes; the card."""

from __future__ import annotations

from bot.chat.commands import CommandContext
from bot.chat.commands.commit import CommitArgs, lookup_card
from bot.domain import RepoRef
from bot.github.errors import RateLimited
from tests.fakes import make_commit
from tests.test_commands import CTX, env  # noqa: F401  (fixture)

SHA = "3f2a9c1" + "0" * 33


def test_stored_commit_is_found_without_github_and_shown_to_the_channel(env, store):
    env.subscribe(language="en", timezone="Asia/Shanghai")
    commit = make_commit(sha=SHA, message="feat: faster widgets")
    store.commits.save(commit, branch="main")
    reply = env.run("/commit 3F2A9C1")
    assert reply.public and reply.text is None
    [card] = reply.cards
    assert card.sha == SHA and card.title == "feat: faster widgets" and card.language == "en"
    assert env.source.calls == []
    assert env.analyser.calls == [(SHA, "en")]


def test_unstored_commit_is_resolved_fetched_and_saved_as_processed(env, store):
    env.subscribe()
    env.subscribe("octo/gears")
    env.source.add_repo("octo/widgets")
    commit = env.source.add_commit(make_commit("octo/gears", sha=SHA))
    reply = env.run("/commit 3f2a9c1")
    assert [card.sha for card in reply.cards] == [SHA] and reply.public
    assert env.source.calls == [("resolve_sha", "octo/widgets", "3f2a9c1"), ("resolve_sha", "octo/gears", "3f2a9c1"),
                                ("fetch_commit", "octo/gears", SHA)]
    assert store.commits.get(commit.repo, SHA) == commit
    assert store.commits.unprocessed() == []  # the watcher will not deliver it as new
    env.source.calls.clear()
    env.run("/commit 3f2a9c1")
    assert env.source.calls == []  # second time: from the store


def test_full_sha_skips_resolving(env):
    env.subscribe()
    env.source.add_commit(make_commit(sha=SHA))
    assert env.run(f"/commit {SHA}").cards
    assert env.source.calls == [("fetch_commit", "octo/widgets", SHA)]


def test_explicit_repo_and_commit_url(env):
    env.source.add_commit(make_commit("octo/gears", sha=SHA))
    assert env.run("/commit 3f2a9c1 octo/gears").cards  # no subscription needed when the repo is named
    env.source.calls.clear()
    reply = env.run(f"/commit https://github.com/octo/gears/commit/{SHA}")
    assert reply.cards and env.source.calls == []  # stored by the first lookup
    assert env.analyser.calls == [(SHA, "en"), (SHA, "en")]  # channel defaults: no subscription to this repo


def test_ambiguous_prefix_lists_candidates(env, store):
    env.subscribe()
    env.subscribe("octo/gears")
    store.commits.save(make_commit(sha="abcd1" + "1" * 35, message="one"), branch="main")
    store.commits.save(make_commit("octo/gears", sha="abcd2" + "2" * 35, message="two"), branch="main")
    reply = env.run("/commit abcd")
    assert not reply.public and not reply.cards
    assert reply.text.startswith("abcd matches 2 commits")
    assert "octo/widgets abcd11111111 one" in reply.text and "octo/gears abcd22222222 two" in reply.text
    assert env.analyser.calls == []


def test_ambiguous_across_repos_on_github(env):
    env.subscribe()
    env.subscribe("octo/gears")
    env.source.add_commit(make_commit(sha="abcd1" + "1" * 35))
    env.source.add_commit(make_commit("octo/gears", sha="abcd2" + "2" * 35))
    reply = env.run("/commit abcd")
    assert "matches 2 commits" in reply.text and "octo/gears abcd22222222" in reply.text
    assert not any(call[0] == "fetch_commit" for call in env.source.calls)


def test_unknown_sha_says_so_and_where_it_looked(env):
    env.subscribe()
    env.subscribe("octo/gears")
    env.source.add_repo("octo/widgets")
    env.source.add_repo("octo/gears")
    reply = env.run("/commit deadbee")
    assert not reply.public and reply.text == "No commit deadbee in octo/widgets, octo/gears."
    assert "try 7 or more digits" in env.run("/commit dead").text


def test_github_trouble_is_reported_not_hidden(env):
    env.subscribe()
    env.source.add_repo("octo/widgets")
    env.source.fail_next.append(RateLimited("octo/widgets@deadbee: API rate limit exceeded (HTTP 403)", 403))
    reply = env.run("/commit deadbee")
    assert reply.text.startswith("Could not look up deadbee: octo/widgets: octo/widgets@deadbee: API rate limit")


def test_no_subscriptions_and_no_repo_asks_for_one(env):
    reply = env.run("/commit deadbee")
    assert "subscribes to no repositories" in reply.text and "Usage: /commit" in reply.text
    assert env.source.calls == []


def test_other_channels_subscriptions_are_not_searched(env, store):
    env.subscribe()
    store.commits.save(make_commit("octo/gears", sha=SHA), branch="main")
    env.source.add_repo("octo/widgets")
    other = CommandContext(platform="slack", channel="C9", user_id="U2")
    assert "subscribes to no repositories" in env.run("/commit 3f2a9c1", other).text
    assert env.run("/commit 3f2a9c1").text == "No commit 3f2a9c1 in octo/widgets."


def test_many_subscriptions_bound_the_github_requests(env):
    for n in range(25):
        env.subscribe(f"octo/repo{n}")
        env.source.add_repo(f"octo/repo{n}")
    reply = env.run("/commit deadbee")
    assert len(env.source.calls) == 20
    assert "Not searched (5 more repositories)" in reply.text


def test_an_unexpected_failure_becomes_a_reply_naming_it(env, store):
    env.subscribe()
    store.commits.save(make_commit(sha=SHA), branch="main")

    def broken(commit, language):
        raise RuntimeError("database went away")

    env.analyser.analyse = broken
    reply = env.run("/commit 3f2a9c1")
    assert reply.text == "/commit failed: RuntimeError. The bot's log has the details." and not reply.public


def test_repo_argument_matches_subscription_case_insensitively(env, store):
    env.subscribe("Octo/Widgets", language="en")
    store.commits.save(make_commit("Octo/Widgets", sha=SHA), branch="main")
    reply = env.run("/commit 3f2a9c1 octo/widgets")
    assert reply.cards and reply.cards[0].language == "en" and env.source.calls == []
    assert reply.cards[0].sha == SHA


def test_lookup_card_shows_a_commit_as_the_channels_subscription_to_its_repo_says_else_the_defaults(env, store):
    # The one rule /commit and Slack link unfurls share.
    env.subscribe("octo/gears", language="zh", timezone="Asia/Shanghai")
    store.commits.save(make_commit("octo/gears", sha=SHA), branch="main")
    store.commits.save(make_commit(sha="b" * 40), branch="main")
    result, card = lookup_card(CommitArgs("3f2a9c1", None), CTX, env.handler.services)
    assert result.status == "found" and card is not None and card.language == "zh"
    assert "2026-01-07 18:00:00 UTC+08:00" in [field.value for field in card.fields]
    _, card = lookup_card(CommitArgs("bbbbbbb", RepoRef.parse("octo/widgets")), CTX, env.handler.services)
    assert card is not None and card.language == "en" and "2026-01-07 10:00:00 UTC" in [f.value for f in card.fields]
    result, card = lookup_card(CommitArgs("ccccccc", RepoRef.parse("octo/widgets")), CTX, env.handler.services)
    assert card is None and result.status == "unknown"
