"""The platform-neutral command layer: grammar, argument checks, and every command against in-memory fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.chat.commands import CommandContext, CommandHandler, CommandServices, Defaults, is_command
from bot.chat.commands.grammar import parse, tokenise
from bot.chat.commands.syntax import UsageError
from bot.chat.commands.table import COMMANDS
from bot.domain import Importance, RepoRef, Subscription
from bot.github.errors import RateLimited, Unavailable
from tests.fakes import FakeAnalyser, FakeClock, FakeDigests, FakeSource

CTX = CommandContext(platform="slack", channel="C1", user_id="U1")


class Env:
    def __init__(self, store, language: str = "en") -> None:
        self.store = store
        self.source = FakeSource()
        self.analyser = FakeAnalyser()
        self.digests = FakeDigests()
        self.clock = FakeClock(datetime(2026, 1, 8, 20, 0, tzinfo=UTC))
        self.changed = 0
        self.handler = CommandHandler(CommandServices(
            store=store, source=self.source, analyser=self.analyser, digests=self.digests,
            defaults=Defaults(time(9, 0), "UTC", language), clock=self.clock, on_subscriptions_changed=self._changed))

    def _changed(self) -> None:
        self.changed += 1

    def run(self, text: str, ctx: CommandContext = CTX):
        return self.handler.handle(text, ctx)

    def subscribe(self, repo: str = "octo/widgets", **options) -> Subscription:
        sub, _ = self.store.subscriptions.save(Subscription(platform="slack", channel="C1",
                                                            repo=RepoRef.parse(repo), **options))
        return sub


@pytest.fixture
def env(store) -> Env:
    """Commands with LANGUAGE=en: replies and new subscriptions in English."""
    return Env(store)


@pytest.fixture
def zh_env(store) -> Env:
    """Commands with LANGUAGE=zh (the default setting)."""
    return Env(store, "zh")


# --- grammar ---


def test_tokenise_undoes_chat_client_typography():
    assert tokenise("/subscribe a/b \u2014min medium --paths \u201csrc/**, docs/*\u201d") == [
        "/subscribe", "a/b", "--min", "medium", "--paths", "src/**, docs/*"]
    assert tokenise("/commit <https://github.com/a/b/commit/abcd|github.com/a/b>") == [
        "/commit", "https://github.com/a/b/commit/abcd"]
    with pytest.raises(UsageError, match="unbalanced quote"):
        tokenise("/subscribe a/b --paths 'src")


def test_parse_options_inline_and_separate():
    parsed = parse("/subscribe a/b dev --min=low --no-merges --tz Asia/Shanghai")
    assert parsed.name == "subscribe" and parsed.args == ("a/b", "dev")
    assert parsed.options == {"--min": "low", "--no-merges": True, "--tz": "Asia/Shanghai"}


@pytest.mark.parametrize("text, problem", [
    ("/frobnicate", "unknown command"),
    ("/subscribe a/b --colour red", "unknown option '--colour'"),
    ("/subscribe a/b --min", "option --min needs a value"),
    ("/subscribe a/b --no-merges=yes", "takes no value"),
    ("/commit", "missing argument: <sha>"),
    ("/commit abcd a/b extra", "unexpected argument 'extra'"),
    ("/subscriptions everything", "unexpected argument"),
    ("/commit abcd --min high", "unknown option"),
])
def test_parse_names_what_is_wrong(text, problem):
    with pytest.raises(UsageError, match=problem.replace("(", r"\(")):
        parse(text)


def test_is_command():
    assert is_command("/commit abc1234") and is_command("help") and is_command("/SUBSCRIBE a/b")
    assert not is_command("commit abc1234") and not is_command("hello") and not is_command("") \
        and not is_command("/deploy now")


# --- help and usage replies ---


@pytest.mark.parametrize("text", ["help", "/help", "/help commit", "/commit help", "/commit --help",
                                  "/subscribe -h", "/digest help", "/unsubscribe help", "/subscriptions help"])
def test_help_is_private_and_names_usage(env, text):
    reply = env.run(text)
    assert not reply.public and reply.text and "/" in reply.text and not reply.cards
    assert env.source.calls == [] and env.analyser.calls == []


def test_help_overview_lists_exactly_the_table(env):
    lines = env.run("help").text.splitlines()
    assert [line.strip() for line in lines[1:]] == [command.spec.usage for command in COMMANDS]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_table_command_parses_and_has_its_own_help(env, command):
    assert is_command(f"/{command.name}") and parse(f"/{command.name} help").wants_help
    text = env.run(f"/{command.name} help").text
    assert text.startswith(f"Usage: {command.spec.usage}\n") and len(text.splitlines()) > 1


def test_help_details_each_command(env):
    assert "--digest HH:MM" in env.run("/subscribe help").text
    assert env.run("/commit help").text.startswith("Usage: /commit <sha> [owner/repo]")
    assert "commit-radar commands" in env.run("help").text
    assert "No command named 'deploy'" in env.run("/help deploy").text


@pytest.mark.parametrize("text, problem", [
    ("/commit xyz1234", "SHA must be 4-40 hex digits, got 'xyz1234'"),
    ("/commit abc", "SHA must be 4-40 hex digits, got 'abc'"),
    ("/commit " + "a" * 41, "SHA must be 4-40 hex digits"),
    ("/commit abcd not-a-repo", "repository must be owner/name, got 'not-a-repo'"),
    ("/subscribe octo", "repository must be owner/name, got 'octo'"),
    ("/subscribe octo/widgets --digest 25:00", "--digest: expected HH:MM between 00:00 and 23:59"),
    ("/subscribe octo/widgets --digest 9am", "--digest: expected HH:MM"),
    ("/subscribe octo/widgets --tz Mars/Olympus", "--tz: not a known IANA timezone: 'Mars/Olympus'"),
    ("/subscribe octo/widgets --tz CEST", "--tz: not a known IANA timezone: 'CEST' (use Area/City"),
    ("/subscribe octo/widgets --lang fr", "--lang must be zh or en, got 'fr'"),
    ("/subscribe octo/widgets --min urgent", "--min must be high, medium or low, got 'urgent'"),
    ("/subscribe octo/widgets --paths ' , '", "--paths needs at least one"),
    ("/subscribe octo/widgets 'bad branch'", "not a valid branch name"),
    ("/subscribe octo/widgets --merges --no-merges", "contradict"),
    ("/subscribe octo/widgets --all-commits --first-parent", "--all-commits and --first-parent contradict"),
    ("/subscribe octo/widgets --all-commits=yes", "takes no value"),
    ("/unsubscribe octo/", "repository must be owner/name"),
    ("/digest octo/widgets 2026-02-30", "not a real date: '2026-02-30'"),
    ("/digest octo/widgets 2026-01-01 2026-01-02", "two dates"),
])
def test_bad_arguments_get_a_private_usage_reply(env, text, problem):
    reply = env.run(text)
    assert not reply.public and not reply.cards
    assert problem.lower() in reply.text.lower()
    assert "Usage: /" in reply.text
    assert env.source.calls == [] and env.analyser.calls == [] and env.digests.calls == []
    assert env.handler.quick(text) == reply  # adapters can answer these inside the ack deadline


def test_quick_defers_commands_that_need_services(env):
    assert env.handler.quick("/commit abcd1234") is None
    assert env.handler.quick("/subscriptions") is None


# --- /subscribe ---


def test_subscribe_checks_github_then_saves_with_defaults(env):
    env.source.add_repo("Octo/Widgets", branches=("trunk", "dev"), default="trunk")
    reply = env.run("/subscribe octo/widgets")
    assert reply.public and reply.text.startswith("Subscribed this channel to Octo/Widgets@trunk")
    assert "GitHub names the repository Octo/Widgets" in reply.text
    assert env.source.calls == [("fetch_repo_info", "octo/widgets", "")]
    [sub] = env.store.subscriptions.list(platform="slack", channel="C1")
    assert (sub.repo.full_name, sub.branch, sub.threshold, sub.digest_time, sub.timezone, sub.language) == (
        "Octo/Widgets", "trunk", Importance.HIGH, time(9, 0), "UTC", "en")
    assert env.changed == 1
    # The worker is asked to record the head now, so nothing landing before its next cycle is lost.
    assert env.store.cursors.take_poll_requests() == [(RepoRef.parse("Octo/Widgets"), "trunk")]
    env.store.cursors.advance(RepoRef.parse("Octo/Widgets"), "trunk", "a" * 40, None, datetime.now(UTC))
    env.run("/subscribe octo/widgets --min low")
    assert env.store.cursors.take_poll_requests() == []  # already watched: no extra poll


def test_subscribe_with_every_option(env):
    env.source.add_repo("octo/widgets", branches=("main", "dev"))
    reply = env.run("/subscribe octo/widgets dev --min medium --digest 18:30 --tz Asia/Shanghai --lang en "
                    "--paths 'src/**,docs/*.md' --ignore-authors 'dependabot[bot], renovate' --no-merges --skip-empty")
    assert reply.public, reply.text
    [sub] = env.store.subscriptions.list(channel="C1")
    assert sub.branch == "dev" and sub.threshold == Importance.MEDIUM and sub.digest_time == time(18, 30)
    assert sub.timezone == "Asia/Shanghai" and sub.language == "en"
    assert sub.paths == ["src/**", "docs/*.md"] and sub.ignore_authors == ["dependabot[bot]", "renovate"]
    assert sub.include_merges is False and sub.empty_digest == "skip"
    assert "paths src/**, docs/*.md" in reply.text and "no merge commits" in reply.text


def test_subscribe_again_updates_only_given_options_and_resumes(env):
    env.source.add_repo("octo/widgets")
    env.run("/subscribe octo/widgets --digest 07:15 --min low")
    [sub] = env.store.subscriptions.list(channel="C1")
    env.store.subscriptions.set_paused(sub.id, True, "not_in_channel: the bot was removed from the channel")
    reply = env.run("/subscribe octo/widgets --lang en")
    [sub] = env.store.subscriptions.list(channel="C1")
    assert reply.text.startswith("Updated")
    assert "Resumed; it was paused: not_in_channel" in reply.text
    assert (sub.digest_time, sub.threshold, sub.language, sub.paused) == (time(7, 15), Importance.LOW, "en", False)
    assert env.changed == 2


@pytest.mark.parametrize("setup, text, problem", [
    (lambda s: None, "/subscribe octo/missing", "octo/missing was not found on GitHub"),
    (lambda s: s.add_repo("octo/widgets"), "/subscribe octo/widgets nope", "(branch nope) was not found"),
    (lambda s: (s.add_repo("octo/widgets"), s.fail_next.append(RateLimited("limit", 403, reset_at=datetime(
        2026, 1, 8, 21, 5, tzinfo=UTC)))), "/subscribe octo/widgets", "rate limit is used up until 21:05"),
    (lambda s: (s.add_repo("octo/widgets"), s.fail_next.append(Unavailable("octo/widgets: boom (HTTP 502)", 502))),
     "/subscribe octo/widgets", "GitHub could not answer"),
])
def test_subscribe_refuses_what_github_cannot_confirm(env, setup, text, problem):
    setup(env.source)
    reply = env.run(text)
    assert not reply.public and reply.text.startswith("Cannot subscribe") and problem in reply.text
    assert env.store.subscriptions.list() == [] and env.changed == 0


def test_subscribe_private_repo_is_flagged(env):
    env.source.add_repo("octo/secret", private=True)
    assert "private" in env.run("/subscribe octo/secret").text


# --- /unsubscribe and /subscriptions ---


def test_unsubscribe(env):
    env.subscribe(branch="main")
    env.subscribe(branch="dev")
    reply = env.run("/unsubscribe OCTO/widgets dev")
    assert reply.public and reply.text == "Unsubscribed this channel from octo/widgets@dev."
    assert [s.branch for s in env.store.subscriptions.list(channel="C1")] == ["main"]
    assert "follows octo/widgets on main, not nope" in env.run("/unsubscribe octo/widgets nope").text
    assert env.run("/unsubscribe octo/widgets").text == "Unsubscribed this channel from octo/widgets@main."
    reply = env.run("/unsubscribe octo/widgets")
    assert not reply.public and "does not subscribe to octo/widgets" in reply.text
    assert env.changed == 2


def test_subscriptions_lists_this_channel_only_with_pause_reasons(env, store):
    assert "no subscriptions" in env.run("/subscriptions").text
    sub = env.subscribe(threshold=Importance.MEDIUM, paths=["src/**"])
    env.subscribe("octo/gears", timezone="Asia/Shanghai")
    store.subscriptions.save(Subscription(platform="slack", channel="C2", repo=RepoRef.parse("other/repo")))
    store.subscriptions.set_paused(sub.id, True, "not_in_channel: the bot is not a member of the channel")
    reply = env.run("/subscriptions")
    assert not reply.public
    assert "2 repository branches (1 paused)" in reply.text
    assert "octo/widgets@main — cards at medium importance and above" in reply.text
    assert "paused: not_in_channel: the bot is not a member of the channel" in reply.text
    assert "/subscribe octo/widgets main to resume" in reply.text
    assert "octo/gears@main" in reply.text and "Asia/Shanghai" in reply.text and "other/repo" not in reply.text


# --- /digest ---


def test_digest_defaults_to_yesterday_in_the_subscription_timezone(env):
    sub = env.subscribe(timezone="Asia/Shanghai")  # 2026-01-08 20:00 UTC is already the 9th in Shanghai
    reply = env.run("/digest octo/widgets")
    assert env.digests.calls == [(sub.id, date(2026, 1, 8), True)]
    assert reply.text == "Posted the digest of octo/widgets@main for 2026-01-08 (3 commits)."


def test_digest_for_a_given_day_and_branch(env):
    env.subscribe(branch="main")
    dev = env.subscribe(branch="dev")
    env.run("/digest octo/widgets 2026-01-02 dev")
    assert env.digests.calls == [(dev.id, date(2026, 1, 2), True)]


def test_digest_problems(env):
    assert "does not subscribe to octo/widgets" in env.run("/digest octo/widgets").text
    env.subscribe()
    assert "2026-01-09 is in the future in UTC" in env.run("/digest octo/widgets 2026-01-09").text
    env.digests.outcome.posted, env.digests.outcome.reason = False, "the digest message could not be posted"
    assert "was not posted: the digest message could not be posted" in env.run("/digest octo/widgets").text


@pytest.mark.parametrize("text, problem", [
    ("/commit http://[x/o/r/commit/abcd", "SHA must be"),
    ("/commit abcd https://[x/o/r", "repository must be owner/name"),
    ("/unsubscribe https://[/o/r", "repository must be owner/name"),
    ("/subscribe https://[x/o/r", "repository must be owner/name"),
    ("/subscribe o/r --feishu-webhook 'https://[open.feishu.cn/open-apis/bot/v2/hook/x'", "custom-bot webhook URL"),
])
def test_malformed_bracketed_links_are_usage_errors_not_exceptions(env, text, problem):
    quick = env.handler.quick(text)
    handled = env.run(text)

    assert quick is not None and problem.lower() in quick.text.lower()
    assert handled.text == quick.text and handled.public is False
    assert env.source.calls == []


def test_a_check_that_breaks_becomes_a_polite_logged_reply(store, caplog):
    # A misconfigured composition root (webhook_hosts not a tuple) makes the --feishu-webhook check itself fail.
    handler = CommandHandler(CommandServices(store=store, source=FakeSource(), analyser=FakeAnalyser(),
                                             digests=FakeDigests(), defaults=Defaults(language="en", webhook_hosts=None)))
    text = "/subscribe o/r --feishu-webhook https://open.feishu.cn/open-apis/bot/v2/hook/x"

    with caplog.at_level("ERROR"):
        quick = handler.quick(text)
        handled = handler.handle(text, CTX)

    assert quick is not None and "could not be read (TypeError)" in quick.text
    assert handled.text == quick.text and handled.public is False
    assert [r.exc_info is not None for r in caplog.records if r.message == "command check failed"] == [True, True]
    assert store.subscriptions.list() == []


# --- hardening: path pattern limits, digest dates ---

HOSTILE_PATHS = ",".join(["**?" * 66 + "Z"] * 50)  # the finding: 50 patterns of ~200 characters


@pytest.mark.parametrize("paths, problem", [
    (HOSTILE_PATHS, "--paths takes at most 20 values, got 50"),
    ("src/**," + "a" * 101, "--paths: a pattern may have at most 100 characters, got 101: 'aaaa"),
    ("**?" * 11, "--paths: a pattern may have at most 10 wildcards (*, ** or ?), got 22: '**?**?"),
])
def test_subscribe_refuses_path_patterns_over_the_limits(env, paths, problem):
    env.source.add_repo("octo/widgets")
    text = f"/subscribe octo/widgets --paths '{paths}'"
    reply = env.run(text)
    assert not reply.public and problem in reply.text and "Usage: /subscribe" in reply.text
    assert env.handler.quick(text) == reply  # refused inside the ack deadline, before GitHub is asked
    assert env.source.calls == [] and env.store.subscriptions.list() == []


def test_subscribe_takes_the_patterns_people_write(env):
    env.source.add_repo("octo/widgets")
    usual = "src/**,docs/*.md,**/migrations/*,package.json,web/src/components/**/*.tsx"
    assert env.run(f"/subscribe octo/widgets --paths '{usual}'").public
    [sub] = env.store.subscriptions.list()
    assert sub.paths == usual.split(",")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12"])  # UTC+14 twice, UTC-12
def test_digest_dates_outside_the_range_are_usage_replies(env, zone):
    env.subscribe(timezone=zone)
    early = env.run("/digest octo/widgets 0001-01-01")
    assert not early.public and "Dates start at 2000-01-01, got '0001-01-01'." in early.text
    assert "Usage: /digest" in early.text
    late = env.run("/digest octo/widgets 9999-12-31")
    today = env.clock().astimezone(ZoneInfo(zone)).date().isoformat()  # 2026-01-09 at UTC+14, 2026-01-08 at UTC-12
    assert f"9999-12-31 is in the future in {zone} (a digest covers 2000-01-01 to {today})" in late.text
    assert env.digests.calls == []
    env.run("/digest octo/widgets 2000-01-01")
    assert [call[1] for call in env.digests.calls] == [date(2000, 1, 1)]


def test_subscriptions_follow_the_first_parent_history_unless_all_commits_is_asked_for(env):
    env.source.add_repo("octo/widgets")
    created = env.run("/subscribe octo/widgets")
    [sub] = env.store.subscriptions.list(channel="C1")
    assert sub.all_commits is False and "every commit" not in created.text
    every = env.run("/subscribe octo/widgets --all-commits")
    [sub] = env.store.subscriptions.list(channel="C1")
    assert sub.all_commits is True and "every commit, not one card per merged pull request" in every.text
    env.run("/subscribe octo/widgets --min low")
    [sub] = env.store.subscriptions.list(channel="C1")
    assert sub.all_commits is True  # options not given again are kept
    assert "every commit, not one card per merged pull request" in env.run("/subscriptions").text
    env.run("/subscribe octo/widgets --first-parent")
    [sub] = env.store.subscriptions.list(channel="C1")
    assert sub.all_commits is False and "every commit" not in env.run("/subscriptions").text


def test_subscribe_help_says_what_a_merged_pull_request_is(env):
    text = env.run("/subscribe help").text
    assert "--all-commits" in text and "--first-parent" in text and "merged pull request is one card" in text
    assert "--no-merges" in text and "as --all-commits" in text
