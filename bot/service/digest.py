"""Daily digests: one parent message per subscription and day, the analyses as thread replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from bot.analysis.port import Analyses
from bot.clock import Clock
from bot.domain import Digest, DigestEntry, RepoRef, Subscription
from bot.service.delivery import DEFERRED, Deliverer
from bot.service.filters import wants
from bot.store import Store

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class DigestOutcome:
    """What one digest delivery did."""

    posted: bool
    entries: int
    reason: str


def day_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC (so a DST day is 23 or 25 hours long)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(dt_timezone.utc), end.astimezone(dt_timezone.utc)


def previous_local_day(now: datetime, timezone: str) -> date:
    """Yesterday in `timezone` as seen at `now`."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


class DigestService:
    """Builds digests from stored commits and delivers them once per (subscription, day)."""

    def __init__(self, store: Store, analyser: Analyses, deliverer: Deliverer, clock: Clock) -> None:
        self._store = store
        self._analyser = analyser
        self._deliverer = deliverer
        self._clock = clock

    def build(self, repo: RepoRef, branch: str | None, day: date, timezone: str, language: str,
              sub: Subscription | None = None) -> Digest:
        """The commits of one local day, newest first, each with its analysis (cached ones reused)."""
        start, end = day_window(day, timezone)
        commits = self._store.commits.between(repo, start, end, branch=branch)
        if sub is not None:
            commits = [commit for commit in commits if wants(sub, commit, branch)]
        commits.sort(key=lambda commit: commit.committed_at, reverse=True)
        entries = tuple(DigestEntry(commit=commit, analysis=self._analyser.analyse(commit, language))
                        for commit in commits)
        return Digest(repo=repo, branch=branch or "", day=day, timezone=timezone, language=language, entries=entries)

    def deliver(self, sub: Subscription, day: date, force: bool = False) -> DigestOutcome:
        """Post the digest of `day`; a scheduled one posts once ever, a forced (on-demand) one each time."""
        digest = self.build(sub.repo, sub.branch, day, sub.timezone, sub.language, sub)
        if not digest.entries and sub.empty_digest == "skip" and not force:
            self._store.deliveries.record_skipped(sub.id, "digest", day.isoformat(), sub.platform, sub.channel)
            return DigestOutcome(False, 0, "no commits; empty digests are skipped for this subscription")
        item = day.isoformat()
        if force:
            item = f"{item}@{self._clock().strftime('%Y%m%d%H%M%S%f')}"
        parent = self._deliverer.deliver_digest_parent(sub, digest, item)
        if parent is None:
            return DigestOutcome(False, len(digest.entries), "the digest message could not be posted")
        deferred = 0
        for entry in digest.entries:
            outcome = self._deliverer.deliver_card(sub, entry.commit, entry.analysis, thread_id=parent,
                                                   kind="digest-entry", item=f"{item}:{entry.commit.sha}")
            deferred += outcome == DEFERRED
        log.info("digest delivered", extra={"subscription": sub.id, "repo": str(sub.repo), "day": item,
                                            "entries": len(digest.entries), "deferred": deferred})
        reason = "posted" if not deferred else f"posted; {deferred} replies deferred"
        return DigestOutcome(True, len(digest.entries), reason)
