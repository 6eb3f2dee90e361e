"""`doctor` checks: each service's check says whether it answers and, if not, why and what to check.

Every check runs, whatever the others did; no check ever lets an exception out. What an upstream
said is scrubbed (bot.scrub) before it is cut to length, so a credential the server echoed never
shows, not even the piece of one left at a cut. The checks themselves live beside their adapters
(bot/github/check.py, bot/analysis/check.py, bot/store/check.py, each chat platform's KIND);
bootstrap lists them.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.causes import clip_middle, describe, network_cause, one_line, unreachable_text
from bot.scrub import Scrubber, scrub_text

TIMEOUT = 10
# Long enough for any cause and hint; only an upstream text quoted inside is ever cut (in its middle).
MAX_DETAIL = 600


class CheckFailed(Exception):
    """A check's failure, already worded for the operator."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; `skipped` when the service is not configured."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def line(self) -> str:
        """The printed line: mark, name, detail (scrubbed: it goes to a terminal or a CI log)."""
        mark = "skip" if self.skipped else "ok  " if self.ok else "FAIL"
        return scrub_text(f"{mark} {self.name:<9} {self.detail}")


@dataclass(frozen=True)
class Check:
    """One named check: `run` returns the detail line, or `skipped` says why it does not run."""

    name: str
    run: Callable[[], str] | None = None
    skipped: str | None = None


def run_checks(checks: Iterable[Check], secrets: list[str]) -> Iterator[CheckResult]:
    """Each check's result as it completes; a failure of any kind is a line, never a traceback."""
    scrubber = Scrubber(secrets)
    for check in checks:
        if check.run is None:
            yield CheckResult(check.name, True, check.skipped or "", skipped=True)
            continue
        try:
            detail, ok = check.run(), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # doctor reports any failure as a line, never a traceback
            detail, ok = f"{type(exc).__name__}: {one_line(str(exc)) or describe(exc)}", False
        yield CheckResult(check.name, ok, clip_middle(scrubber.scrub(one_line(detail)), MAX_DETAIL))


def quoted(text: str, secrets: list[str]) -> str:
    """An upstream's words on one line, scrubbed first and only then cut, so no piece of a secret stays at the cut."""
    return clip_middle(Scrubber(secrets).scrub(one_line(text)), 200)


def host_of(url: str) -> str:
    """`host:port` of a URL (the host alone on the default port), for naming a service in a line."""
    parsed = urllib.parse.urlsplit(url)
    if not parsed.hostname:
        return url
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else parsed.hostname


def unreachable(exc: BaseException, host: str, url_setting: str, ca_setting: str, timeout: float) -> CheckFailed:
    """The failure for a service that did not answer: the network cause, the setting to check."""
    cause = network_cause(exc)
    return CheckFailed(unreachable_text(cause, host, url_setting=url_setting, timeout=timeout, ca_setting=ca_setting,
                                        fallback=f"{type(exc).__name__}: {describe(exc)}"))
