"""Where a delivery stands and what one attempt at it did; imports nothing of the bot.

String enums: the stored status column keeps its plain text values ("pending", "sent", ...).
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryState(StrEnum):
    """The stored status of one (subscription, kind, item) delivery."""

    PENDING = "pending"  # claimed; its outcome is not known yet
    SENT = "sent"
    FAILED = "failed"  # refused for good, or given up: never retried
    SKIPPED = "skipped"  # nothing was due (or it was named in a roll-up)


class DeliveryOutcome(StrEnum):
    """What one attempt to deliver did."""

    SENT = "sent"
    ALREADY = "already"  # delivered (or given up) earlier: nothing to do
    DEFERRED = "deferred"  # transient trouble: the claim stays pending and a later cycle retries
    PAUSED = "paused"  # the channel is gone: the subscription is paused
    FAILED = "failed"  # refused for good (recorded, not retried)
    NO_PLATFORM = "no_platform"  # the subscription's platform is not configured in this process
