"""Background answers wait for a lull in incoming requests, but never longer than max_wait."""

from __future__ import annotations

import threading

from bot.chat.slack.priority import ForegroundFirst


def waiter(gate: ForegroundFirst) -> threading.Event:
    done = threading.Event()
    threading.Thread(target=lambda: (gate.wait_for_lull(), done.set()), daemon=True).start()
    return done


def test_no_requests_means_no_wait():
    gate = ForegroundFirst(quiet=0.02, max_wait=30)
    assert waiter(gate).wait(5)


def test_background_starts_once_the_request_in_flight_is_answered():
    gate = ForegroundFirst(quiet=0.0, max_wait=30)
    release = threading.Event()
    inside = threading.Event()

    def request():
        with gate.foreground():
            inside.set()
            release.wait(5)

    threading.Thread(target=request, daemon=True).start()
    assert inside.wait(5)
    done = waiter(gate)
    assert not done.wait(0.05)  # still answering the request
    release.set()
    assert done.wait(5)


def test_a_request_that_never_ends_delays_background_at_most_max_wait():
    gate = ForegroundFirst(quiet=0.0, max_wait=0.05)
    blocked = threading.Event()
    entered = threading.Event()

    def request():
        with gate.foreground():
            entered.set()
            blocked.wait(5)

    threading.Thread(target=request, daemon=True).start()
    assert entered.wait(5)
    assert waiter(gate).wait(5)
    blocked.set()
