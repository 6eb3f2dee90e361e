"""The console platform: a prompt and help line, commands in, cards and replies out."""

from __future__ import annotations

import io
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.chat.commands import CommandHandler, CommandServices, Defaults
from bot.chat.console import ConsoleNotifier
from bot.domain import DeliveryOutcome, Importance
from bot.entrypoints.console import ConsoleSession
from bot.logs import KeyValueFormatter
from bot.service.delivery import Deliverer
from tests.e2e_stack import wait_until
from tests.fakes import FakeAnalyser, FakeClock, FakeDigests, FakeSource, make_commit


class Terminal(io.StringIO):
    """Typed input: a StringIO that says it is a TTY, as stdin at a terminal does."""

    def isatty(self) -> bool:
        return True


def make_handler(store, language: str = "zh"):
    source = FakeSource()
    source.add_repo("octo/widgets")
    handler = CommandHandler(CommandServices(store=store, source=source, analyser=FakeAnalyser(),
                                             digests=FakeDigests(), clock=FakeClock(),
                                             defaults=Defaults(language=language)))
    return handler, source


def session(store, lines: str, tty: bool = False, language: str = "zh", stop: threading.Event | None = None):
    handler, source = make_handler(store, language)
    commit = source.add_commit(make_commit(message="feat: <!channel> add console\n\nbody"))
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    stdin = Terminal(lines) if tty else io.StringIO(lines)
    ConsoleSession(handler, notifier, stdin=stdin, stop=stop).run()
    return out.getvalue(), commit


def test_welcome_names_the_help_and_quit_commands(store):
    output, _ = session(store, "", tty=True, language="en")
    first_lines = "\n".join(output.splitlines()[:2])
    assert "/help" in first_lines and "/quit" in first_lines


@pytest.mark.parametrize("typed", ["/quit", "/exit", "quit", "exit", "  QUIT  "])
def test_quit_words_stop_the_bot_and_nothing_after_them_runs(store, typed):
    stop = threading.Event()
    output, _ = session(store, f"{typed}\n/subscribe octo/widgets\n", tty=True, language="en", stop=stop)
    assert stop.is_set()
    assert output.rstrip().endswith("commit-radar> Stopping commit-radar. Bye.")
    assert store.subscriptions.list() == []


def test_ctrl_d_at_a_terminal_stops_the_bot_on_a_fresh_line(store):
    stop = threading.Event()
    output, _ = session(store, "/subscriptions\n", tty=True, language="en", stop=stop)
    assert stop.is_set()
    assert output.endswith("commit-radar> \nStopping commit-radar. Bye.\n\n")


def test_end_of_piped_commands_stops_the_bot(store):
    stop = threading.Event()
    output, _ = session(store, "/subscribe octo/widgets\n", language="en", stop=stop)
    assert stop.is_set() and len(store.subscriptions.list()) == 1
    assert "commit-radar> " not in output  # no prompt when nobody is typing
    assert output.rstrip().endswith("Stopping commit-radar. Bye.")


def test_stdin_closed_from_the_start_turns_the_console_off_but_not_the_bot(store, caplog):
    # `commit-radar run < /dev/null`, docker without -i, systemd: a service, not someone who typed Ctrl-D.
    stop = threading.Event()
    with caplog.at_level("INFO", logger="bot.entrypoints.console"):
        output, _ = session(store, "", stop=stop)
    assert not stop.is_set()
    assert output == ""
    assert [r.getMessage() for r in caplog.records if r.name == "bot.entrypoints.console"] == [
        "console off: stdin is closed, so no commands are read; the bot keeps running"]


def test_console_help_lists_quit(store):
    output, _ = session(store, "/help\nhelp commit\n", language="en")
    overview, details = output.split("Usage: /commit", 1)
    assert "/quit (or exit, Ctrl-D)" in overview and "/subscribe" in overview
    assert "/quit" not in details.split("Stopping")[0]  # a command's own help stays about that command


def test_console_speaks_the_configured_language(store):
    zh, _ = session(store, "/commit xyz\n/help\n", tty=True, language="zh")
    en, _ = session(store, "/commit xyz\n/help\n", tty=True, language="en")
    assert zh.startswith("commit-radar 控制台") and "用法：/commit" in zh and "/quit（或 exit、Ctrl-D）" in zh
    assert zh.rstrip().endswith("正在停止 commit-radar，再见。")
    assert en.startswith("commit-radar console") and "Usage: /commit" in en and "Bye." in en
    assert "用法" not in en and "Usage:" not in zh


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
    assert deliverer.deliver_card(sub, commit, FakeAnalyser().analyse(commit, "en")) == DeliveryOutcome.SENT
    assert deliverer.deliver_card(sub, commit, FakeAnalyser().analyse(commit, "en")) != DeliveryOutcome.SENT
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


# --- the console inside the running process (the subprocess itself: tests/test_demo.py) ---


class Screen:
    """One terminal: stdout (cards, prompt) and stderr (log lines) interleaved in the order written."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self.lock:
            return "".join(self.parts)


@contextmanager
def console_process(tmp_path, stdin: io.StringIO) -> Iterator[tuple[threading.Thread, threading.Event, Screen, int]]:
    """`run`'s console mode in-process: serve_forever with HTTP, scheduler and console on a thread, logging to
    the same screen the console prints to. Yields the thread, its stop event, the screen and the HTTP port."""
    from bot.bootstrap import build
    from bot.config import Settings
    from bot.entrypoints.process import serve_forever
    from tests.e2e_stack import free_port

    screen = Screen()
    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/bot.db", host="127.0.0.1", port=port,
                        language="en")
    bot = build(settings, console_out=screen)
    log_handler = logging.StreamHandler(screen)
    log_handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(log_handler)
    root.setLevel(logging.INFO)
    stop = threading.Event()
    runner = threading.Thread(target=serve_forever, args=(bot,),
                              kwargs={"console": True, "stop": stop, "console_input": stdin})
    try:
        runner.start()
        yield runner, stop, screen, port
    finally:
        stop.set()
        runner.join(30)
        root.removeHandler(log_handler)
        root.setLevel(old_level)
        bot.close()


def test_quit_in_the_console_stops_the_whole_process_after_a_ready_line_of_its_own(tmp_path):
    with console_process(tmp_path, Terminal("/quit\n")) as (runner, stop, screen, port):
        runner.join(30)
        assert not runner.is_alive() and stop.is_set()
    text = screen.text()
    ready = text.index(" ready ")
    assert text.index("commit-radar console") > ready and text.index("commit-radar> ") > ready
    assert text[:text.index("commit-radar console")].endswith("\n")  # the ready line ended before the banner
    assert text.index("Stopping commit-radar. Bye.") < text.index(" shutting down") < text.index(" stopped")
    with pytest.raises(OSError):  # the HTTP server is gone with the process's main loop
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_piped_commands_are_answered_and_a_typed_quit_stops_the_process(tmp_path):
    with console_process(tmp_path, io.StringIO("/subscriptions\nquit\n")) as (runner, stop, screen, _):
        runner.join(30)
        assert not runner.is_alive() and stop.is_set()
    text = screen.text()
    assert "no subscriptions" in text and "commit-radar> " not in text  # no prompt when nobody is typing
    assert text.index(" ready ") < text.index("console quit") < text.index(" shutting down") < text.index(" stopped")
    assert text.index("Stopping commit-radar. Bye.") < text.index(" shutting down")


def test_stdin_closed_from_the_start_keeps_the_process_running_until_it_is_stopped(tmp_path):
    # `commit-radar run < /dev/null`: the console goes off, the bot serves on until SIGTERM (which sets `stop`;
    # that a signal does is proven by the process test in tests/test_cli.py).
    with console_process(tmp_path, io.StringIO("")) as (runner, stop, screen, _):
        wait_until(lambda: "console off" in screen.text(), 30, "the console to turn off")
        assert runner.is_alive() and not stop.is_set()  # still serving
        stop.set()
        runner.join(30)
        assert not runner.is_alive()
    text = screen.text()
    assert text.index(" ready ") < text.index("console off") < text.index(" stopped")
    assert "Bye" not in text and "commit-radar> " not in text
