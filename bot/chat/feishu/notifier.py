"""The Feishu/Lark app bot as a Notifier: cards 2.0 through `im/v1/messages`, digests with threaded replies."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)
from lark_oapi.core.exception import ObtainAccessTokenException

from bot.chat.feishu.errors import APP_PROBLEMS, CARD_REFUSED, CHANNEL_GONE, Answer
from bot.chat.feishu.policy import FeishuRetry
from bot.domain import Card, Digest
from bot.render.feishu import card_json, digest_card, text_message
from bot.render.rollup import RollupPart, feishu_card, plain_text
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

# Feishu de-duplicates sends that carry the same `uuid` for an hour; the field takes at most 50
# characters, so the delivery key is mapped to a name-based UUID (36 characters, stable).
KEY_NAMESPACE = uuid.UUID("6f1e1d3c-9a55-4b5e-9d0e-2f8f3f0c7a11")
DEFAULT_TIMEOUT = 10.0


def request_uuid(key: str | None) -> str:
    """The `uuid` field for a send: stable for a delivery key, random (but fixed across retries) without one."""
    return str(uuid.uuid5(KEY_NAMESPACE, key)) if key else str(uuid.uuid4())


def build_client(app_id: str, app_secret: str, domain: str, timeout: float = DEFAULT_TIMEOUT) -> lark.Client:
    """A lark-oapi client for one app; every request it makes times out after `timeout` seconds."""
    return (lark.Client.builder().app_id(app_id).app_secret(app_secret).domain(domain.rstrip("/"))
            .timeout(timeout).log_level(lark.LogLevel.WARNING).build())


def _answer(response) -> Answer:
    raw = response.raw
    return Answer(status=raw.status_code if raw is not None else 0, code=response.code,
                  msg=response.msg or "", headers=dict(raw.headers) if raw is not None else {})


class FeishuNotifier:
    """Posts to Feishu chats (by chat_id) as the app bot; message ids are Feishu `message_id`s."""

    platform = "feishu"

    def __init__(self, client: lark.Client, policy: FeishuRetry | None = None) -> None:
        self._client = client
        self._policy = policy or FeishuRetry()

    # --- the Notifier port ---

    def post_card(self, channel: str, card: Card, thread_id: str | None = None, key: str | None = None) -> str:
        """Post a commit card; with `thread_id` (a message id) it is a reply in that message's thread."""
        payload = card_json(card)
        try:
            return self._send(channel, "interactive", payload, thread_id, key, in_thread=True)
        except _CardRefused as refused:
            # An invalid card must not lose the news: the same facts go out as plain text.
            log.warning("feishu refused the card; sending text instead", extra={"sha": card.sha,
                                                                              "error": refused.answer.describe()})
            text = card.fallback_text or card.title
            return self._send(channel, "text", text_message(text), thread_id,
                              f"{key}:text" if key else None, in_thread=True)

    def post_digest(self, channel: str, digest: Digest, key: str | None = None) -> str:
        """Post a digest's parent card; its per-commit cards follow as `post_card` replies to the returned id."""
        return self._send_or_refuse(channel, "interactive", digest_card(digest), None, key, in_thread=True)

    def post_text(self, channel: str, text: str, thread_id: str | None = None, key: str | None = None) -> str:
        """Post a notice as a text message (any `<at …>` in it is made inert)."""
        return self._send_or_refuse(channel, "text", text_message(text), thread_id, key, in_thread=True)

    def post_rollup(self, channel: str, part: RollupPart, thread_id: str | None = None,
                    key: str | None = None) -> str:
        """Post one part of a burst's roll-up as a card (as text if the card is refused), in `thread_id`'s thread."""
        try:
            return self._send(channel, "interactive", feishu_card(part), thread_id, key, in_thread=True)
        except _CardRefused:
            return self._send_or_refuse(channel, "text", text_message(plain_text(part)), thread_id,
                                        f"{key}:text" if key else None, in_thread=True)

    def find_delivered(self, channel: str, key: str, since: datetime) -> str | None:
        """Always None: Feishu cannot be searched by key.

        A re-post after a crash is still safe within an hour: it carries the same request `uuid`,
        which Feishu de-duplicates, so at most one message appears.
        """
        return None

    # --- replies to a command message (not part of the port) ---

    def reply_card(self, message_id: str, card: Card, in_thread: bool = False, key: str | None = None) -> str:
        """Answer a message with a card, quoted (or in its thread when `in_thread`)."""
        return self._send_or_refuse("", "interactive", card_json(card), message_id, key, in_thread=in_thread)

    def reply_text(self, message_id: str, text: str, in_thread: bool = False, key: str | None = None) -> str:
        """Answer a message with plain text, quoted (or in its thread when `in_thread`)."""
        return self._send_or_refuse("", "text", text_message(text), message_id, key, in_thread=in_thread)

    # --- sending ---

    def _send_or_refuse(self, channel, msg_type, payload, thread_id, key, in_thread) -> str:
        try:
            return self._send(channel, msg_type, payload, thread_id, key, in_thread)
        except _CardRefused as refused:
            raise DeliveryError(f"Feishu refused the message: {refused.answer.describe()}") from None

    def _send(self, channel: str, msg_type: str, payload: dict, thread_id: str | None, key: str | None,
              in_thread: bool) -> str:
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        request_id = request_uuid(key)
        if thread_id:
            body = (ReplyMessageRequestBody.builder().msg_type(msg_type).content(content)
                    .reply_in_thread(in_thread).uuid(request_id).build())
            what = "message reply"

            def call():
                request = ReplyMessageRequest.builder().message_id(thread_id).request_body(body).build()
                return self._client.im.v1.message.reply(request)
        else:
            body = (CreateMessageRequestBody.builder().receive_id(channel).msg_type(msg_type).content(content)
                    .uuid(request_id).build())
            what = "message create"

            def call():
                request = CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build()
                return self._client.im.v1.message.create(request)

        answer, response = self._policy.run(lambda: self._attempt(call), what)
        if answer.ok:
            message_id = response.data.message_id if response.data else None
            if not message_id:
                raise TransientDeliveryError(f"Feishu {what}: success without a message_id")
            return message_id
        raise self._error(answer, msg_type)

    @staticmethod
    def _attempt(call):
        try:
            response = call()
        except ObtainAccessTokenException as exc:
            # The token request failed: a rate limit or 5xx is retried, bad credentials are reported.
            answer = Answer(status=200, code=exc.code, msg=str(exc.msg or ""), headers={})
            return answer, None
        except (ValueError, TypeError):
            # lark-oapi parses every body as JSON: an HTML error page from a proxy lands here.
            return Answer(status=502, code=None, msg="unreadable answer", headers={}), None
        return _answer(response), response

    @staticmethod
    def _error(answer: Answer, msg_type: str) -> Exception:
        if answer.code in CHANNEL_GONE:
            return ChannelUnavailable(f"{CHANNEL_GONE[answer.code]} (Feishu code {answer.code})")
        if answer.code in APP_PROBLEMS:
            return TransientDeliveryError(f"{APP_PROBLEMS[answer.code]} (Feishu code {answer.code})")
        if msg_type == "interactive" and answer.code in CARD_REFUSED:
            return _CardRefused(answer)
        return DeliveryError(f"Feishu refused the message: {answer.describe()}")


class _CardRefused(Exception):
    """The card was refused as content; the caller may fall back to text."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.describe())
        self.answer = answer
