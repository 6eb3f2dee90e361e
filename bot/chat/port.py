"""The notifier port: what services need from a chat platform, and the errors it may raise."""

from __future__ import annotations

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
    """Rate limited or the platform is failing; retry in a later cycle."""


class Notifier(Protocol):
    """Posts to one chat platform; returns the platform's message id (Slack ts, Feishu message_id)."""

    platform: str

    def post_card(self, channel: str, card: Card, thread_id: str | None = None) -> str:
        """Post one commit card, optionally as a reply in a thread."""
        ...

    def post_digest(self, channel: str, digest: Digest) -> str:
        """Post a digest's parent message (date, counts, commit table); replies follow as cards."""
        ...

    def post_text(self, channel: str, text: str, thread_id: str | None = None) -> str:
        """Post plain (untrusted, to be escaped) text."""
        ...
