"""SlackNotifier: the Notifier port over chat.postMessage, with delivery keys in message metadata."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chat.slack.client import CHANNEL_GONE, delivery_error, error_code
from bot.domain import Card, Digest
from bot.render.rollup import RollupPart, slack_message
from bot.render.slack import card_message, digest_message, text_message
from bot.service.notifier import ChannelUnavailable, TransientDeliveryError

log = logging.getLogger(__name__)

METADATA_EVENT = "commit_radar_delivery"
# Block Kit refusals: the same message as plain text is still worth posting.
BLOCK_ERRORS = {"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"}
HISTORY_PAGE = 200
HISTORY_MAX_PAGES = 10
THREADS_MAX = 20


class SlackNotifier:
    """Posts cards, digests and notices to Slack channels; each post returns the message `ts`."""

    platform = "slack"

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post_card(self, channel: str, card: Card, thread_id: str | None = None, key: str | None = None) -> str:
        """Post one commit card (as a thread reply when `thread_id` is a parent's ts)."""
        return self._post(channel, card_message(card), thread_id, key)

    def post_digest(self, channel: str, digest: Digest, key: str | None = None) -> str:
        """Post a digest's parent message; its entries follow as replies in its thread."""
        return self._post(channel, digest_message(digest), None, key)

    def post_text(self, channel: str, text: str, thread_id: str | None = None, key: str | None = None) -> str:
        """Post a plain-text notice (escaped by the renderer)."""
        return self._post(channel, text_message(text), thread_id, key)

    def post_rollup(self, channel: str, part: RollupPart, thread_id: str | None = None,
                    key: str | None = None) -> str:
        """Post one part of a burst's roll-up (its SHAs linked), as a thread reply when `thread_id` is given."""
        return self._post(channel, slack_message(part), thread_id, key)

    def _post(self, channel: str, payload: dict, thread_id: str | None, key: str | None) -> str:
        extra: dict = {}
        if thread_id:
            extra["thread_ts"] = thread_id
        if key:
            extra["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        try:
            response = self._client.chat_postMessage(channel=channel, **payload, **extra)
        except SlackApiError as exc:
            if error_code(exc) not in BLOCK_ERRORS:
                raise delivery_error(exc, f"chat.postMessage to {channel}") from None
            log.warning("blocks refused; posting as text", extra={"channel": channel, "error": error_code(exc)})
            text_only = {"text": payload["text"], "unfurl_links": False, "unfurl_media": False}
            try:
                response = self._client.chat_postMessage(channel=channel, **text_only, **extra)
            except (SlackApiError, SlackClientError, OSError) as retry_exc:
                raise delivery_error(retry_exc, f"chat.postMessage (text) to {channel}") from None
        except (SlackClientError, OSError) as exc:
            raise delivery_error(exc, f"chat.postMessage to {channel}") from None
        return str(response["ts"])

    def find_delivered(self, channel: str, key: str, since: datetime) -> str | None:
        """The ts of a message (or thread reply) we posted with `key` since `since`, from the channel history."""
        if since.tzinfo is None or since.utcoffset() is None:
            # Stores hand back naive UTC (SQLite); .timestamp() would read it as the host's local time.
            since = since.replace(tzinfo=UTC)
        oldest = f"{since.timestamp() - 1:.6f}"
        threads: list[str] = []
        cursor = None
        for _ in range(HISTORY_MAX_PAGES):
            page = self._call("conversations.history", self._client.conversations_history,
                              channel=channel, oldest=oldest, include_all_metadata=True, limit=HISTORY_PAGE,
                              cursor=cursor)
            if page is None:
                return None
            for message in page.get("messages", []):
                if _key_of(message) == key:
                    return str(message["ts"])
                if _key_of(message) and message.get("reply_count"):
                    threads.append(str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        # Digest entries are thread replies, which the history does not list: look inside our own threads.
        for parent in threads[:THREADS_MAX]:
            replies = self._call("conversations.replies", self._client.conversations_replies,
                                 channel=channel, ts=parent, oldest=oldest, include_all_metadata=True,
                                 limit=HISTORY_PAGE)
            for message in (replies or {}).get("messages", []):
                if _key_of(message) == key:
                    return str(message["ts"])
        return None

    def _call(self, method: str, call, **kwargs) -> dict | None:
        channel = kwargs["channel"]
        try:
            return call(**kwargs).data
        except SlackApiError as exc:
            code = error_code(exc)
            if code in CHANNEL_GONE and code != "not_in_channel":
                raise ChannelUnavailable(f"{code}: {CHANNEL_GONE[code]}") from None
            error = delivery_error(exc, f"{method} of {channel}")
            if isinstance(error, TransientDeliveryError):
                raise error from None
            # Missing scope (channels:history) or no membership: the history cannot tell us.
            log.warning("cannot read channel history to find a delivery", extra={"channel": channel, "error": code})
            return None
        except (SlackClientError, OSError) as exc:
            raise delivery_error(exc, f"{method} of {channel}") from None


def _key_of(message: dict) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None
