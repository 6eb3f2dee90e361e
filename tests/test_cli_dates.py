"""Dates at the edges: `digest --date` bounded, and a local day's window computed for any date in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain import RepoRef
from bot.entrypoints.cli import build_parser, main
from bot.entrypoints.cli.parser import _FIRST_DAY
from bot.service.digest import FIRST_DAY, DigestService, day_window
from tests.fakes import FakeAnalyser, FakeClock

# UTC+14 (both spellings), UTC+9 (whose year-1 offset is local mean time) and UTC-12.
ZONES = ["Pacific/Kiritimati", "Etc/GMT-14", "Asia/Tokyo", "Etc/GMT+12"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_digest_dates_outside_the_range_are_one_line_exit_2(capsys, day):
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        assert main(["digest", "octo/widgets", "--date", day, "--tz", zone]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "argument --date: expected a date from 2000-01-01 to " in err and repr(day) in err


def test_digest_dates_in_the_range_are_taken():
    parser = build_parser()
    tomorrow_at_utc_plus_14 = datetime.now(timezone(timedelta(hours=14))).date() + timedelta(days=1)
    for day in (date(2000, 1, 1), date.today(), tomorrow_at_utc_plus_14):
        assert parser.parse_args(["digest", "o/r", "--date", day.isoformat()]).date == day
    assert _FIRST_DAY == FIRST_DAY  # the parser keeps its own copy so that --help does not load the store


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", [date.min, date(1, 1, 2), FIRST_DAY, date(9999, 12, 30), date.max])
def test_a_day_window_never_overflows(zone, day):
    start, end = day_window(day, zone)
    assert start.tzinfo == UTC and end.tzinfo == UTC
    assert timedelta(0) < end - start <= timedelta(days=1, hours=1)


@pytest.mark.parametrize("zone", ZONES)
def test_a_digest_of_the_first_or_last_representable_day_is_built_empty(store, zone):
    clock = FakeClock(datetime(2026, 1, 9, 1, 0, tzinfo=UTC))
    service = DigestService(store, FakeAnalyser(), None, clock)  # building posts nothing: no deliverer
    for day in (date.min, date.max):
        digest = service.build(RepoRef.parse("octo/widgets"), "main", day, zone, "en")
        assert digest.entries == () and digest.day == day
