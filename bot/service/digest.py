"""Digests: one parent message per subscription and day (or ISO week), the analyses as thread replies.

A daily digest's thread carries every commit's analysis; a weekly one's only the high-importance ones
(its parent gives the week's counts, most changed areas and top commits). Delivery keys name the
period: `2026-01-08` for a day, `2026-W48` for a week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.analysis.port import Analyses
from bot.clock import Clock
from bot.domain import Commit, Digest, DigestEntry, Importance, Language, RepoRef, Subscription
from bot.domain.delivery import DeliveryOutcome, DeliveryState
from bot.domain.filters import skip_marked
from bot.domain.values import week_label, week_monday
from bot.service.delivery import Deliverer
from bot.store import Store

log = logging.getLogger(__name__)

# Where a day's commits come from, given its [start, end) in UTC: the store (what the watcher saw)
# for chat digests, GitHub's listing (fetched and stored) for `commit-radar digest`.
DayCommits = Callable[[datetime, datetime], Iterable[Commit]]


@dataclass(frozen=True)
class DigestDay:
    """Which digest: one local day (or, `weekly`, the ISO week of `day`) of a repository's branch (None: its
    default branch), for a reader."""

    repo: RepoRef
    branch: str | None
    day: date
    timezone: str
    language: Language
    weekly: bool = False


@dataclass(frozen=True)
class DigestOutcome:
    """What one digest delivery did."""

    posted: bool
    entries: int
    reason: str


# The earliest day a digest or report may be asked for: older dates are typos, not history to report.
FIRST_DAY = date(2000, 1, 1)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def day_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC (so a DST day is 23 or 25 hours long)."""
    zone = ZoneInfo(timezone)
    start = _midnight_utc(day, zone)
    if day < date.max:
        return start, _midnight_utc(day + timedelta(days=1), zone)
    try:  # the day after 9999-12-31 has no date; its midnight may still have a UTC time
        return start, start + timedelta(days=1)
    except OverflowError:
        return start, _LATEST


def week_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local ISO week (Monday to Sunday) that `day` falls in."""
    monday = week_monday(day)
    return day_window(monday, timezone)[0], day_window(monday + timedelta(days=6), timezone)[1]


def period_key(day: date, weekly: bool = False) -> str:
    """The delivery item of a digest: `2026-01-08` for a day, `2026-W48` for the week `day` is in."""
    return week_label(day) if weekly else day.isoformat()


def previous_local_week(now: datetime, timezone: str) -> date:
    """The Monday of the last full ISO week in `timezone` as seen at `now`."""
    return week_monday(now.astimezone(ZoneInfo(timezone)).date()) - timedelta(days=7)


def _midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    try:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    except OverflowError:  # midnight of 0001-01-01 east of UTC is before datetime.min in UTC
        return _EARLIEST


def previous_local_day(now: datetime, timezone: str) -> date:
    """Yesterday in `timezone` as seen at `now`."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


def build_digest(wanted: DigestDay, commits: DayCommits, analyser: Analyses,
                 on_step: Callable[[int], None] | None = None) -> Digest:
    """The period's commits, newest first, each with its analysis (cached analyses cost no LLM call).

    Commits carrying the skip marker are counted, not analysed. `on_step` hears of each commit once it is done.
    """
    if wanted.weekly:
        start, end = week_window(wanted.day, wanted.timezone)
    else:
        start, end = day_window(wanted.day, wanted.timezone)
    entries = []
    skipped = 0
    for commit in commits(start, end):
        if skip_marked(commit.message):
            skipped += 1  # its author asked for no entry: counted, never analysed
            continue
        entries.append(DigestEntry(commit=commit, analysis=analyser.analyse(commit, wanted.language)))
        if on_step is not None:
            on_step(1)
    entries.sort(key=lambda entry: entry.commit.committed_at, reverse=True)
    day = week_monday(wanted.day) if wanted.weekly else wanted.day
    return Digest(repo=wanted.repo, branch=wanted.branch or "", day=day, timezone=wanted.timezone,
                  language=wanted.language, entries=tuple(entries), skipped=skipped, weekly=wanted.weekly)


def digest_settled(store: Store, subscription_id: int, day: date, weekly: bool = False) -> bool:
    """Whether the scheduled digest of `day` (or its week) is done: its parent and every reply sent, failed or
    skipped."""
    item = period_key(day, weekly)
    parent = store.deliveries.get(subscription_id, "digest", item)
    if parent is None or parent.status == DeliveryState.PENDING:
        return False
    # Replies are claimed before the parent is posted, so a run cut short leaves some pending.
    return parent.status != DeliveryState.SENT or store.deliveries.unfinished(subscription_id, "digest-entry",
                                                                  f"{item}:") == 0


def threaded_entries(digest: Digest) -> tuple[DigestEntry, ...]:
    """The entries whose analyses go in the digest's thread: all of a day's, a week's high-importance ones."""
    if not digest.weekly:
        return digest.entries
    # A week holds too many commits for a thread of them all: its parent counts them and names the top ones.
    return tuple(entry for entry in digest.entries if entry.analysis.importance == Importance.HIGH)


class DigestService:
    """Builds digests from stored commits and delivers them once per (subscription, day)."""

    def __init__(self, store: Store, analyser: Analyses, deliverer: Deliverer, clock: Clock) -> None:
        self._store = store
        self._analyser = analyser
        self._deliverer = deliverer
        self._clock = clock

    def build(self, repo: RepoRef, branch: str | None, day: date, timezone: str, language: Language,
              sub: Subscription | None = None, weekly: bool = False) -> Digest:
        """The digest of the commits stored for one local day (or its week) on `branch`, those `sub` wants when
        given (marked ones counted as skipped)."""
        def stored(start: datetime, end: datetime) -> list[Commit]:
            commits = self._store.commits.between(repo, start, end, branch=branch)
            return [commit for commit in commits if sub is None or sub.wants(commit, branch, skipped_too=True)]

        return build_digest(DigestDay(repo, branch, day, timezone, language, weekly), stored, self._analyser)

    def deliver(self, sub: Subscription, day: date, force: bool = False, weekly: bool = False) -> DigestOutcome:
        """Post the digest of `day` (`weekly`: of the ISO week it is in); a scheduled one posts once ever, a forced
        (on-demand) one each time.

        A re-run of a scheduled digest posts only what an earlier, interrupted run did not.
        """
        if weekly:
            day = week_monday(day)
        item = period_key(day, weekly)
        if force:
            item = f"{item}@{self._clock().strftime('%Y%m%d%H%M%S%f')}"
        # Claim before building: building can take minutes of LLM calls, and another run started
        # meanwhile (a catch-up) must find this one at work rather than post the digest again.
        if not self._deliverer.hold(sub, "digest", item):
            return DigestOutcome(False, 0, "this digest is being delivered by another run")
        try:
            return self._deliver(sub, day, item, force, weekly)
        finally:
            self._deliverer.release_held()

    def _deliver(self, sub: Subscription, day: date, item: str, force: bool, weekly: bool) -> DigestOutcome:
        digest = self.build(sub.repo, sub.branch, day, sub.timezone, sub.language, sub, weekly)
        if not digest.entries and sub.empty_digest == "skip" and not force:
            self._store.deliveries.record_skipped(sub.key, "digest", item, sub.platform, sub.channel)
            return DigestOutcome(False, 0, "no commits; empty digests are skipped for this subscription")
        threaded = threaded_entries(digest)
        entry_items = [f"{item}:{entry.commit.sha}" for entry in threaded]
        for entry_item in entry_items:
            self._deliverer.hold(sub, "digest-entry", entry_item)
        parent = self._deliverer.deliver_digest_parent(sub, digest, item)
        if parent is None:
            self._give_up_replies_if_parent_failed(sub, item, entry_items)
            return DigestOutcome(False, len(digest.entries), "the digest message could not be posted")
        deferred = 0
        for entry, entry_item in zip(threaded, entry_items, strict=True):
            outcome = self._deliverer.deliver_card(sub, entry.commit, entry.analysis, thread_id=parent,
                                                   kind="digest-entry", item=entry_item)
            deferred += outcome == DeliveryOutcome.DEFERRED
        log.info("digest delivered", extra={"subscription": sub.id, "repo": str(sub.repo), "day": item,
                                            "entries": len(digest.entries), "deferred": deferred})
        reason = "posted" if not deferred else f"posted; {deferred} replies deferred"
        return DigestOutcome(True, len(digest.entries), reason)

    def _give_up_replies_if_parent_failed(self, sub: Subscription, item: str, entry_items: list[str]) -> None:
        # Without a parent there is no thread to reply in; a deferred parent keeps them for the retry.
        parent = self._store.deliveries.get(sub.key, "digest", item)
        if parent is not None and parent.status == DeliveryState.FAILED:
            for entry_item in entry_items:
                self._store.deliveries.record_skipped(sub.key, "digest-entry", entry_item, sub.platform, sub.channel)
