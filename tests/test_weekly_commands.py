"""Weekly digests from chat: /subscribe --every week [--on DAY], /digest of a week, help, and bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.chat.commands.messages import CATALOG
from tests.fakes import FakeDigestOutcome
from tests.test_commands import Env


class WeekDigests:
    """Records `deliver(sub, day, force, weekly)` and answers with a fixed outcome."""

    def __init__(self) -> None:
        self.calls: list[tuple[int | None, date, bool, bool]] = []
        self.outcome = FakeDigestOutcome(True, 4, "posted")

    def deliver(self, sub, day, force: bool = False, weekly: bool = False):
        self.calls.append((sub.id, day, force, weekly))
        return self.outcome


def week_env(store, language: str = "en") -> Env:
    made = Env(store, language=language)
    made.digests = WeekDigests()
    made.handler.services = replace(made.handler.services, digests=made.digests)
    made.source.add_repo("octo/widgets")
    return made


@pytest.fixture(params=["en", "zh"])
def env(store, request):
    return week_env(store, request.param)


@pytest.fixture
def en(store):
    return week_env(store)


def test_subscribe_weekly_on_a_day_and_change_it_later(en):
    reply = en.run("/subscribe octo/widgets --every week --on fri --digest 17:30")
    assert reply.public, reply.text
    [sub] = en.store.subscriptions.list(channel="C1")
    assert (sub.digest_every, sub.digest_on, sub.digest_time) == ("week", "fri", time(17, 30))
    assert "weekly digest Fri 17:30 UTC (en)" in reply.text
    en.run("/subscribe octo/widgets --on Monday")  # --on alone: still weekly, another day
    [sub] = en.store.subscriptions.list(channel="C1")
    assert (sub.digest_every, sub.digest_on) == ("week", "mon")
    en.run("/subscribe octo/widgets --every day")
    [sub] = en.store.subscriptions.list(channel="C1")
    assert sub.digest_every == "day" and "digest 17:30 UTC (en)" in en.run("/subscriptions").text
    en.run("/subscribe octo/widgets --every week")
    [sub] = en.store.subscriptions.list(channel="C1")
    assert (sub.digest_every, sub.digest_on) == ("week", "mon")


def test_the_default_stays_daily(en):
    en.run("/subscribe octo/widgets")
    [sub] = en.store.subscriptions.list(channel="C1")
    assert (sub.digest_every, sub.digest_on) == ("day", "mon")


@pytest.mark.parametrize(("text", "key"), [
    ("/subscribe octo/widgets --every month", "arg.every"),
    ("/subscribe octo/widgets --every 7", "arg.every"),
    ("/subscribe octo/widgets --every week --on funday", "arg.weekday"),
    ("/subscribe octo/widgets --on 1", "arg.weekday"),
    ("/subscribe octo/widgets --every day --on mon", "sub.on_needs_week"),
    ("/subscribe octo/widgets --every", "grammar.needs_value"),
    ("/subscribe octo/widgets --every week --on", "grammar.needs_value"),
    ("/digest octo/widgets 2026-W54", "arg.not_a_week"),
    ("/digest octo/widgets 2026-w5", "arg.week"),
    ("/digest octo/widgets 2026-W01 2026-01-02", "digest.two_dates"),
])
def test_malformed_every_on_or_week_is_a_usage_reply_and_stores_nothing(env, text, key):
    reply = env.run(text)
    language = env.handler.language
    fixed = CATALOG[language][key].split("{")[0]
    assert not reply.public and fixed.lower() in reply.text.lower(), reply.text
    assert CATALOG[language]["usage.line"].split("{")[0] in reply.text
    assert env.store.subscriptions.list() == [] and env.source.calls == [] and env.digests.calls == []
    assert env.handler.quick(text) == reply


def test_digest_of_a_weekly_subscription_is_last_week_by_default(en):
    weekly = en.subscribe(digest_every="week", timezone="Asia/Shanghai")
    en.clock.now = datetime(2026, 12, 2, 20, tzinfo=UTC)  # Thursday 04:00 in Shanghai, week 2026-W49
    reply = en.run("/digest octo/widgets")
    assert en.digests.calls == [(weekly.id, date(2026, 11, 23), True, True)]
    assert reply.text == "Posted the weekly digest of octo/widgets@main for 2026-W48 (4 commits)."


def test_digest_of_a_named_week_or_day_whatever_the_subscription(en):
    daily = en.subscribe()
    en.clock.now = datetime(2026, 12, 2, 20, tzinfo=UTC)
    en.run("/digest octo/widgets 2026-W45")
    en.run("/digest octo/widgets 2026-W49")  # the current week so far
    en.run("/digest octo/widgets 2026-11-30")
    assert en.digests.calls == [(daily.id, date(2026, 11, 2), True, True), (daily.id, date(2026, 11, 30), True, True),
                                (daily.id, date(2026, 11, 30), True, False)]
    future = en.run("/digest octo/widgets 2026-W50")
    assert "2026-W50 has not started yet in UTC" in future.text and len(en.digests.calls) == 3
    en.digests.outcome = FakeDigestOutcome(False, 0, "no commits; empty digests are skipped for this subscription")
    assert "no commits this week" in en.run("/digest octo/widgets 2026-W45").text


def test_help_and_usage_name_the_new_options_in_both_languages(env):
    language = env.handler.language
    text = env.run("/subscribe help").text
    assert "--every day|week" in text and "--on mon" in text
    assert "YYYY-Www" in env.run("/digest help").text
    assert CATALOG[language]["help.subscribe"] in text


def test_subscriptions_list_in_chinese_names_the_weekday(store):
    zh = week_env(store, "zh")
    zh.run("/subscribe octo/widgets --every week --on sun")
    assert "周报 周日 09:00 UTC" in zh.run("/subscriptions").text


def test_a_weekly_subscription_through_the_real_application(testbot):
    repo = testbot.repo("octo/widgets")
    repo.commit("docs: first")
    testbot.send("/subscribe octo/widgets --every week --on mon --min low --lang en")
    testbot.tick()
    repo.commit("feat: big change [high]")
    repo.commit("chore: quiet [low] [skip radar]")
    repo.commit("fix: small [medium]")
    cards = testbot.tick()
    assert sorted(sent.payload.title for sent in cards) == ["feat: big change [high]", "fix: small [medium]"]
    [sub] = testbot.subscriptions()
    when = testbot.clock.now
    monday = when.date() - timedelta(days=when.weekday())
    testbot.app.digests.deliver(sub, monday, weekly=True)
    posted = testbot._new_posts()
    parent = posted[0].payload
    assert posted[0].kind == "digest" and parent.weekly and parent.skipped == 1 and len(parent.entries) == 2
    assert [sent.payload.title for sent in posted[1:]] == ["feat: big change [high]"]  # the thread: high only
