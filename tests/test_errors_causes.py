"""bot.causes: the cause found in an exception chain, and text bounded without losing its ends."""

from __future__ import annotations

import socket

from bot.causes import DNS, REFUSED, TIMEOUT, clip_middle, describe, network_cause, redact


class DriverError(Exception):
    """Like psycopg's OperationalError: nothing but text."""


def wrapped(inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise RuntimeError("the library's own words, repeating the URL") from exc
    except RuntimeError as outer:
        return outer


def test_the_innermost_operating_system_answer_is_found_under_the_library_layers():
    assert network_cause(wrapped(ConnectionRefusedError(111, "Connection refused"))).kind == REFUSED
    assert network_cause(wrapped(socket.gaierror(-2, "Name or service not known"))).kind == DNS
    assert network_cause(wrapped(TimeoutError("timed out"))).kind == TIMEOUT
    assert network_cause(ValueError("not a network problem")) is None


def test_text_only_driver_errors_are_read_for_the_cause():
    refused = DriverError('connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server')
    assert network_cause(refused).kind == REFUSED
    assert describe(refused) == "connection refused"
    assert network_cause(DriverError("failed to resolve host 'db.x.invalid': [Errno -2] ...")).kind == DNS


def test_describe_gives_an_os_error_its_file():
    assert describe(wrapped(FileNotFoundError(2, "No such file or directory", "/proc/nope"))) == \
        "No such file or directory: /proc/nope"


def test_clip_middle_keeps_both_ends_within_the_limit():
    text = "start " + "x" * 1000 + " the end"
    clipped = clip_middle(text, 60)
    assert len(clipped) <= 60 and clipped.startswith("start ") and clipped.endswith(" the end") and " … " in clipped
    assert clip_middle("short", 60) == "short"


def test_redact_hides_the_longer_secret_first():
    assert redact("token abc12345 and abc123456789", ["abc12345", "abc123456789"]) == "token *** and ***"
