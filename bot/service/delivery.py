"""Delivery with a unique key per (subscription, kind, item): claim, post, record — never twice.

A pending claim is either being posted right now (by a thread here, or by a job still running on
a live worker: leave it) or left over from a job that ended, died or was deferred (recover it:
look, then post). A claim names the job that made it, so "still running" is asked of the queue,
not guessed from the claim's age; claims made outside any job fall back to their age.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from bot.causes import clip_middle
from bot.clock import Clock
from bot.domain import Analysis, Commit, Digest, Subscription
from bot.domain.delivery import DeliveryOutcome, DeliveryState
from bot.render.card import build_card
from bot.render.rollup import RollupPart, plain_text
from bot.scrub import scrub_fields, scrub_text
from bot.service.metrics import Metrics
from bot.service.notifier import ChannelUnavailable, DeliveryError, Notifier, TransientDeliveryError
from bot.store import Store
from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)

# A pending claim of another process younger than this is taken to be in progress there; an
# older one is taken to be abandoned (that process died or gave up) and is recovered here.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class _Hold:
    maybe_posted: bool  # an earlier attempt may have reached the platform: look before posting
    nested: bool  # the calling thread already held the claim (a digest reserves before building)


class ClaimOwners(Protocol):
    """Who holds a claim: the job queue knows which job runs on this thread and which jobs still run."""

    def current_job(self) -> str | None:
        """The running job's id on this thread, if any."""
        ...

    def is_running(self, job_id: str) -> bool | None:
        """Whether that job still runs on a live worker; None when this queue cannot tell."""
        ...


@runtime_checkable
class RollupNotifier(Protocol):
    """A notifier that renders roll-up parts itself (links on the SHAs); others get the part as plain text."""

    def post_rollup(self, channel: str, part: RollupPart, thread_id: str | None = None,
                    key: str | None = None) -> str:
        """Post one part of a burst's roll-up, optionally as a reply in a thread."""
        ...


class Deliverer:
    """Posts cards, digests and notices to subscriptions' channels exactly once each."""

    def __init__(self, store: Store, notifiers: Mapping[str, Notifier], clock: Clock,
                 metrics: Metrics | None = None, lease: timedelta = LEASE,
                 owners: ClaimOwners | None = None) -> None:
        self._store = store
        self._notifiers = dict(notifiers)
        self._clock = clock
        self._metrics = metrics or Metrics()
        self._lease = lease
        self._owners = owners
        # Claims up to this id existed before this process: a pending one is a crash leftover. Ids,
        # not timestamps, so a restart recovers at once whatever the clocks of the two processes say.
        self._started_after = store.deliveries.last_id()
        self._lock = threading.Lock()
        self._holders: dict[int, int] = {}  # claim id -> the thread posting (or about to post) it
        self._mine: dict[int, bool] = {}  # pending claims this process owns -> a post may have gone out
        self._problems: dict[int, str] = {}  # subscription id -> its last transient delivery error

    def register(self, platform: str, notifier: Notifier) -> None:
        """Add a platform adapter (the composition root builds them after the services)."""
        self._notifiers[platform] = notifier

    @property
    def platforms(self) -> list[str]:
        """Platforms this process can deliver to."""
        return sorted(self._notifiers)

    def notifier_for(self, sub: Subscription) -> Notifier | None:
        """The platform adapter for a subscription, if that platform is configured here."""
        return self._notifiers.get(sub.platform)

    def deliver_card(self, sub: Subscription, commit: Commit, analysis: Analysis, thread_id: str | None = None,
                     kind: str = "card", item: str | None = None) -> DeliveryOutcome:
        """Post one commit card; returns what the attempt did."""
        # The note can carry an upstream error (an LLM failure reason): no credential may ride along.
        analysis = scrub_fields(analysis, "note")
        card = build_card(commit, analysis, sub.timezone, sub.language)
        return self._deliver(sub, kind, item or commit.sha,
                             lambda notifier, key: notifier.post_card(sub.channel, card, thread_id=thread_id, key=key))

    def deliver_text(self, sub: Subscription, kind: str, item: str, text: str,
                     thread_id: str | None = None) -> DeliveryOutcome:
        """Post one plain-text notice (roll-ups, failure reports)."""
        text = scrub_text(text)
        return self._deliver(sub, kind, item,
                             lambda notifier, key: notifier.post_text(sub.channel, text, thread_id=thread_id, key=key))

    def deliver_rollup(self, sub: Subscription, item: str, part: RollupPart,
                       thread_id: str | None = None) -> tuple[DeliveryOutcome, str | None]:
        """Post one part of a roll-up once; returns what the attempt did and the part's message id once posted."""
        part = part.with_titles(scrub_text)

        def post(notifier: Notifier, key: str) -> str:
            if isinstance(notifier, RollupNotifier):
                return notifier.post_rollup(sub.channel, part, thread_id=thread_id, key=key)
            return notifier.post_text(sub.channel, plain_text(part), thread_id=thread_id, key=key)

        outcome = self._deliver(sub, "rollup", item, post)
        record = self._store.deliveries.get(sub.key, "rollup", item) if sub.id is not None else None
        return outcome, record.message_id if record and record.status == DeliveryState.SENT else None

    def deliver_digest_parent(self, sub: Subscription, digest: Digest, item: str) -> str | None:
        """Post a digest's parent message once; returns its message id (also when posted earlier)."""
        self._deliver(sub, "digest", item,
                      lambda notifier, key: notifier.post_digest(sub.channel, digest, key=key))
        record = self._store.deliveries.get(sub.key, "digest", item)
        return record.message_id if record and record.status == DeliveryState.SENT else None

    def last_problem(self, subscription_id: int) -> str | None:
        """The latest transient error posting to this subscription's channel (cleared by a success)."""
        with self._lock:
            return self._problems.get(subscription_id)

    def give_up(self, sub: Subscription, kind: str, item: str, reason: str) -> bool:
        """Record a delivery not yet made as failed for good with `reason`; False when it was settled already."""
        if sub.id is None:
            return False
        record, _ = self._claim(sub, kind, item)
        if record.status != DeliveryState.PENDING:
            return False
        self._store.deliveries.mark_failed(record.id, reason)
        self._settled(record.id)
        self._metrics.given_up.labels(sub.platform, kind).inc()
        return True

    def hold(self, sub: Subscription, kind: str, item: str) -> bool:
        """Claim a delivery for the calling thread before its content is built; False while another run has it."""
        if self.notifier_for(sub) is None or sub.id is None:
            return True  # nothing is claimed: delivering reports NO_PLATFORM
        record, created = self._claim(sub, kind, item)
        return record.status != DeliveryState.PENDING or self._take(record, created) is not None

    def release_held(self) -> None:
        """Let go of the calling thread's claims; pending ones stay this process's to resume."""
        me = threading.get_ident()
        with self._lock:
            for claim_id in [claim_id for claim_id, holder in self._holders.items() if holder == me]:
                del self._holders[claim_id]

    def _claim(self, sub: Subscription, kind: str, item: str) -> tuple[Delivery, bool]:
        assert sub.id is not None
        owner = self._owners.current_job() if self._owners is not None else None
        return self._store.deliveries.claim_at(sub.id, kind, item, sub.platform, sub.channel, self._clock(), owner)

    def _take(self, record: Delivery, created: bool) -> _Hold | None:
        """Make the calling thread the claim's holder, unless another run is delivering it."""
        me = threading.get_ident()
        with self._lock:
            holder = self._holders.get(record.id)
            if holder is not None and holder != me:
                return None  # another thread of this process is on it right now
            if holder is None and not created and record.id not in self._mine and not self._abandoned(record):
                return None  # a fresh claim of another live process
            maybe_posted = self._mine.setdefault(record.id, not created)
            self._holders[record.id] = me
        if not created and self._owners is not None:
            current = self._owners.current_job()
            if current is not None and current != record.claimed_by:
                self._store.deliveries.take_over(record.id, current)
        return _Hold(maybe_posted=maybe_posted, nested=holder == me)

    def _abandoned(self, record: Delivery) -> bool:
        if record.claimed_by is not None and self._owners is not None:
            running = self._owners.is_running(record.claimed_by)
            if running is not None:
                return not running  # the queue knows: its job ended or its worker stalled
        return record.id <= self._started_after or self._clock() - record.created_at >= self._lease

    def _settled(self, claim_id: int) -> None:
        with self._lock:
            self._mine.pop(claim_id, None)

    def _deliver(self, sub: Subscription, kind: str, item: str,
                 post: Callable[[Notifier, str], str]) -> DeliveryOutcome:
        notifier = self.notifier_for(sub)
        if notifier is None or sub.id is None:
            log.warning("no notifier for platform", extra={"platform": sub.platform, "subscription": sub.id})
            return DeliveryOutcome.NO_PLATFORM
        record, created = self._claim(sub, kind, item)
        if record.status != DeliveryState.PENDING:
            self._settled(record.id)
            return DeliveryOutcome.ALREADY
        hold = self._take(record, created)
        if hold is None:
            log.info("delivery in progress elsewhere", extra={"subscription": sub.id, "kind": kind, "item": item})
            return DeliveryOutcome.DEFERRED
        try:
            return self._attempt(notifier, sub, kind, item, record, hold.maybe_posted, post)
        finally:
            if not hold.nested:
                with self._lock:
                    self._holders.pop(record.id, None)

    def _attempt(self, notifier: Notifier, sub: Subscription, kind: str, item: str, record: Delivery,
                 maybe_posted: bool, post: Callable[[Notifier, str], str]) -> DeliveryOutcome:
        key = f"{kind}:{sub.id}:{item}"
        if maybe_posted:
            # An earlier attempt died or timed out between posting and recording: look first.
            found = notifier.find_delivered(sub.channel, key, since=record.created_at)
            if found:
                self._store.deliveries.mark_sent(record.id, found)
                self._settled(record.id)
                log.info("delivery recovered after crash", extra={"subscription": sub.id, "kind": kind, "item": item})
                return DeliveryOutcome.ALREADY
        with self._lock:
            self._mine[record.id] = True
        context = {"subscription": sub.id, "platform": sub.platform, "kind": kind, "item": item}
        begun = time.monotonic()
        try:
            message_id = post(notifier, key)
        except ChannelUnavailable as exc:
            self._store.subscriptions.set_paused(sub.key, True, exc.reason)
            self._metrics.errors.labels("channel_unavailable").inc()
            log.warning("channel unavailable; subscription paused", extra={**context, "reason": exc.reason})
            return DeliveryOutcome.PAUSED
        except TransientDeliveryError as exc:
            # Left pending: the next cycle retries (after checking find_delivered).
            self._metrics.errors.labels("delivery_transient").inc()
            with self._lock:
                self._problems[sub.key] = clip_middle(str(exc), 300)
            log.warning("delivery deferred", extra={**context, "error": clip_middle(str(exc), 300)})
            return DeliveryOutcome.DEFERRED
        except DeliveryError as exc:
            self._store.deliveries.mark_failed(record.id, clip_middle(str(exc), 300))
            self._settled(record.id)
            self._metrics.errors.labels("delivery_failed").inc()
            self._metrics.given_up.labels(sub.platform, kind).inc()
            log.error("delivery failed", extra={**context, "error": clip_middle(str(exc), 300)})
            return DeliveryOutcome.FAILED
        self._metrics.delivery_seconds.labels(sub.platform).observe(time.monotonic() - begun)
        self._store.deliveries.mark_sent(record.id, message_id)
        self._settled(record.id)
        with self._lock:
            self._problems.pop(sub.key, None)
        self._metrics.deliveries.labels(sub.platform, kind).inc()
        log.info("delivered", extra={**context, "message_id": message_id})
        return DeliveryOutcome.SENT
