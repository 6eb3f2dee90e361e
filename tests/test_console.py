"""The console platform: a prompt and help line, commands in, cards and replies out."""

from __future__ import annotations

import io
import logging

from bot.chat.commands import CommandHandler, CommandServices
from bot.chat.console import ConsoleNotifier, ConsoleSession
from bot.domain import Importance
from bot.logs import KeyValueFormatter
from bot.service.delivery import SENT, Deliverer
from tests.fakes import FakeAnalyser, FakeClock, FakeDigests, FakeSource, make_commit


def session(store, lines: str):
    source = FakeSource()
    source.add_repo("octo/widgets")
    commit = source.add_commit(make_commit(message="feat: <!channel> add console\n\nbody"))
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    handler = CommandHandler(CommandServices(store=store, source=source, analyser=FakeAnalyser(),
                                             digests=FakeDigests(), clock=FakeClock()))
    ConsoleSession(handler, notifier, stdin=io.StringIO(lines)).run()
    return out.getvalue(), commit


def test_welcome_names_the_help_command(store):
    output, _ = session(store, "")
    assert "/help" in output.splitlines()[0] + output.splitlines()[1]


def test_commands_work_with_or_without_the_slash(store):
    output, commit = session(store, "help\n/subscribe octo/widgets --min low\nsubscriptions\n")
    assert "/commit" in output and "/subscribe" in output
    subs = store.subscriptions.list(platform="console", channel="console")
    assert len(subs) == 1 and subs[0].threshold is Importance.LOW
    assert "octo/widgets" in output.split("/subscribe octo/widgets")[-1]


def test_bad_input_gets_a_usage_reply_and_the_session_goes_on(store):
    output, _ = session(store, "/commit xyz\n/subscribe not-a-repo\n/subscriptions\n")
    assert "4" in output and "40" in output  # the SHA rule is named
    assert "owner/name" in output
    assert store.subscriptions.list() == []


def test_commit_lookup_prints_the_card(store):
    output, commit = session(store, f"/subscribe octo/widgets\n/commit {commit_sha()[:7]} octo/widgets\n")
    assert "feat:" in output and commit.sha[:7] in output


def commit_sha() -> str:
    return make_commit().sha


def test_console_notifier_prints_cards_and_threads(store):
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    deliverer = Deliverer(store, {"console": notifier}, FakeClock())
    from bot.domain import Subscription

    sub, _ = store.subscriptions.save(Subscription(platform="console", channel="console", repo=make_commit().repo))
    commit = make_commit(message="fix: hostile <@U123> title")
    assert deliverer.deliver_card(sub, commit, FakeAnalyser().analyse(commit, "en")) == SENT
    assert deliverer.deliver_card(sub, commit, FakeAnalyser().analyse(commit, "en")) != SENT
    notifier.post_text("console", "reply in thread", thread_id="console-1")
    text = out.getvalue()
    assert text.count("· fix: hostile <@U123> title\n") == 1  # the title line, printed once
    assert "    │ reply in thread" in text


def test_notices_reach_the_terminal_without_escape_sequences():
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    notifier.post_text("console", "Rolled up: fix \x1b]0;owned\x07title \x1b[2J\x1b[31mred\u202e and\x9b1m more")
    notifier.post_text("console", "reply in a thread \x1b[A", thread_id="t1")
    printed = out.getvalue()
    assert not any(ch in printed for ch in "\x1b\x07\x9b\u202e")
    assert "Rolled up: fix ]0;ownedtitle [2J[31mred and1m more\n" in printed
    assert "    │ reply in a thread [A" in printed


def test_log_lines_show_control_characters_as_escapes():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    logger = logging.getLogger("tests.console.escapes")
    logger.addHandler(handler)
    try:
        logger.warning("title \x1b[31mred\x07", extra={"title": "a\x1b]8;;http://x\x1b\\b\u202e", "tab": "x\ty"})
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.count("\n") == 1 and not any(ch in line for ch in "\x1b\x07\u202e\t")
    assert "title \\x1b[31mred\\x07" in line and "\\u202e" in line and "\\x09" in line
