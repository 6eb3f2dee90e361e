"""The notifier port the delivery services post through, and the errors a chat platform may raise."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain import Card, Digest


class DeliveryError(Exception):
    """A message could not be delivered."""


class ChannelUnavailable(DeliveryError):
    """The bot cannot post to the channel any more (removed, archived, no permission): pause it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Rate limited beyond the retry budget or the platform is failing; retry in a later cycle."""


class Notifier(Protocol):
    """Posts to one chat platform; each post returns the platform's message id (Slack ts, Feishu message_id).

    `key` is the delivery's unique key (e.g. "card:<sub id>:<sha>"); a platform that can, attaches it to
    the message (Slack message metadata, Feishu request uuid) so `find_delivered` can tell after a crash
    whether a post went out before its record was written.
    """

    platform: str

    def post_card(self, channel: str, card: Card, thread_id: str | None = None, key: str | None = None) -> str:
        """Post one commit card, optionally as a reply in a thread."""
        ...

    def post_digest(self, channel: str, digest: Digest, key: str | None = None) -> str:
        """Post a digest's parent message (date, counts, commit table); replies follow as cards."""
        ...

    def post_text(self, channel: str, text: str, thread_id: str | None = None, key: str | None = None) -> str:
        """Post plain (untrusted, escaped by the platform) text."""
        ...

    def find_delivered(self, channel: str, key: str, since: datetime) -> str | None:
        """The id of a message posted with `key` since `since`, or None if none (or if the platform cannot tell)."""
        ...
