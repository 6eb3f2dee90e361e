"""Delivery with a unique key per (subscription, kind, item): claim, post, record — never twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from bot.chat.port import ChannelUnavailable, DeliveryError, Notifier, TransientDeliveryError
from bot.clock import Clock
from bot.domain import Analysis, Commit, Digest, Subscription
from bot.render.card import build_card
from bot.service.metrics import Metrics
from bot.store import Store
from bot.store.deliveries import PENDING

log = logging.getLogger(__name__)

# Outcomes of one delivery attempt.
SENT = "sent"
ALREADY = "already"  # delivered (or given up) earlier: nothing to do
DEFERRED = "deferred"  # transient trouble: the claim stays pending and a later cycle retries
PAUSED = "paused"  # the channel is gone: the subscription is paused
FAILED = "failed"  # refused for good (recorded, not retried)
NO_PLATFORM = "no_platform"


class Deliverer:
    """Posts cards, digests and notices to subscriptions' channels exactly once each."""

    def __init__(self, store: Store, notifiers: Mapping[str, Notifier], clock: Clock,
                 metrics: Metrics | None = None) -> None:
        self._store = store
        self._notifiers = dict(notifiers)
        self._clock = clock
        self._metrics = metrics or Metrics()

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
                     kind: str = "card", item: str | None = None) -> str:
        """Post one commit card; returns the outcome (SENT, ALREADY, DEFERRED, PAUSED, FAILED)."""
        card = build_card(commit, analysis, sub.timezone, sub.language)
        return self._deliver(sub, kind, item or commit.sha,
                             lambda notifier, key: notifier.post_card(sub.channel, card, thread_id=thread_id, key=key))

    def deliver_text(self, sub: Subscription, kind: str, item: str, text: str, thread_id: str | None = None) -> str:
        """Post one plain-text notice (roll-ups, failure reports)."""
        return self._deliver(sub, kind, item,
                             lambda notifier, key: notifier.post_text(sub.channel, text, thread_id=thread_id, key=key))

    def deliver_digest_parent(self, sub: Subscription, digest: Digest, item: str) -> str | None:
        """Post a digest's parent message once; returns its message id (also when posted earlier)."""
        self._deliver(sub, "digest", item,
                      lambda notifier, key: notifier.post_digest(sub.channel, digest, key=key))
        record = self._store.deliveries.get(sub.id, "digest", item)
        return record.message_id if record and record.status == "sent" else None

    def _deliver(self, sub: Subscription, kind: str, item: str, post: Callable[[Notifier, str], str]) -> str:
        notifier = self.notifier_for(sub)
        if notifier is None or sub.id is None:
            log.warning("no notifier for platform", extra={"platform": sub.platform, "subscription": sub.id})
            return NO_PLATFORM
        record, created = self._store.deliveries.claim(sub.id, kind, item, sub.platform, sub.channel)
        if record.status != PENDING:
            return ALREADY
        key = f"{kind}:{sub.id}:{item}"
        if not created:
            # A claim left pending: an earlier run crashed between posting and recording.
            found = notifier.find_delivered(sub.channel, key, since=record.created_at)
            if found:
                self._store.deliveries.mark_sent(record.id, found)
                log.info("delivery recovered after crash", extra={"subscription": sub.id, "kind": kind, "item": item})
                return ALREADY
        context = {"subscription": sub.id, "platform": sub.platform, "kind": kind, "item": item}
        try:
            message_id = post(notifier, key)
        except ChannelUnavailable as exc:
            self._store.subscriptions.set_paused(sub.id, True, exc.reason)
            self._metrics.errors.labels("channel_unavailable").inc()
            log.warning("channel unavailable; subscription paused", extra={**context, "reason": exc.reason})
            return PAUSED
        except TransientDeliveryError as exc:
            # Left pending: the next cycle retries (after checking find_delivered).
            self._metrics.errors.labels("delivery_transient").inc()
            log.warning("delivery deferred", extra={**context, "error": str(exc)[:200]})
            return DEFERRED
        except DeliveryError as exc:
            self._store.deliveries.mark_failed(record.id)
            self._metrics.errors.labels("delivery_failed").inc()
            log.error("delivery failed", extra={**context, "error": str(exc)[:200]})
            return FAILED
        self._store.deliveries.mark_sent(record.id, message_id)
        self._metrics.deliveries.labels(sub.platform, kind).inc()
        log.info("delivered", extra={**context, "message_id": message_id})
        return SENT
