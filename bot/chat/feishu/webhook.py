"""Feishu custom-bot webhooks: outbound-only subscriptions, signed and kept within the bot's limits.

The subscription's `channel` is the webhook URL (it carries the bot's token, so it is never logged)
and `webhook_secret` the signing secret, when the bot has signature checking enabled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from bot.chat.feishu.errors import RATE_LIMITED, WEBHOOK_BAD_REQUEST, WEBHOOK_GONE, Answer
from bot.chat.feishu.policy import FeishuRetry, Sleeper
from bot.domain import Card, Digest
from bot.render.feishu import WEBHOOK_LIMIT_BYTES, card_json, digest_card, text_message
from bot.render.rollup import RollupPart, feishu_card
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

PER_SECOND = 5
PER_MINUTE = 100
DEFAULT_TIMEOUT = 10.0


def webhook_sign(timestamp: int, secret: str) -> str:
    """Feishu's custom-bot signature: HMAC-SHA256 keyed with `timestamp + "\\n" + secret` over nothing, base64."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def redact(url: str) -> str:
    """The webhook URL without its token, for logs: `https://host/…/abcd`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(webhook)"
    return f"{parts.scheme}://{parts.netloc}/…{parts.path[-4:]}" if parts.netloc else "(webhook)"


def check_post_url(url: str) -> None:
    """Refuse a webhook address that `requests` (urllib3) would read differently from urllib.

    `https://127.0.0.1:9\\@open.feishu.cn/…` is open.feishu.cn to urlsplit but 127.0.0.1:9 to
    urllib3, which is what connects; userinfo and backslashes have no place in a hook URL.
    """
    problem = ChannelUnavailable("the webhook address is not a plain http(s) URL")
    if "\\" in url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise problem
    try:
        parsed = parse_url(url)
        parts = urlsplit(url)
        split_port = parts.port
    except (LocationParseError, ValueError):
        raise problem from None
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.auth is not None \
            or "@" in parts.netloc or (parts.hostname or "") != parsed.host.lower().strip("[]") \
            or split_port != parsed.port:
        raise problem


class WebhookLimiter:
    """Sliding windows of 5 requests per second and 100 per minute for each webhook.

    Each caller reserves the earliest slot both windows allow and sleeps until it; a slot further
    away than `max_wait` is not waited for (the delivery is retried in a later cycle).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleeper: Sleeper = time.sleep,
                 per_second: int = PER_SECOND, per_minute: int = PER_MINUTE, max_wait: float = 10.0) -> None:
        self._clock = clock
        self._sleep = sleeper
        self._per_second = per_second
        self._per_minute = per_minute
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._slots: dict[str, deque[float]] = {}

    def acquire(self, webhook: str) -> float:
        """Wait for a slot for `webhook`; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slots = self._slots.setdefault(webhook, deque())
            while slots and slots[0] <= now - 60.0:
                slots.popleft()
            at = now
            if len(slots) >= self._per_second:
                at = max(at, slots[-self._per_second] + 1.0)
            if len(slots) >= self._per_minute:
                at = max(at, slots[-self._per_minute] + 60.0)
            wait = at - now
            if wait > self._max_wait:
                raise TransientDeliveryError(f"custom-bot webhook rate budget used up; next slot in {wait:.0f}s")
            slots.append(at)
        if wait > 0:
            self._sleep(wait)
        return wait


class FeishuWebhookNotifier:
    """Posts cards and notices to custom-bot webhooks (`Subscription.platform == "feishu_webhook"`)."""

    platform = "feishu_webhook"

    def __init__(self, secrets: Callable[[str], str | None], limiter: WebhookLimiter | None = None,
                 policy: FeishuRetry | None = None, now: Callable[[], float] = time.time,
                 timeout: float = DEFAULT_TIMEOUT, session: requests.Session | None = None) -> None:
        self._secrets = secrets
        self._limiter = limiter or WebhookLimiter()
        self._policy = policy or FeishuRetry()
        self._now = now
        self._timeout = timeout
        self._session = session or requests.Session()

    def post_card(self, channel: str, card: Card, thread_id: str | None = None, key: str | None = None) -> str:
        """Post a card; custom bots cannot reply in threads, so `thread_id` is ignored and it follows in the chat."""
        return self._post(channel, {"msg_type": "interactive", "card": card_json(card)})

    def post_digest(self, channel: str, digest: Digest, key: str | None = None) -> str:
        """Post a digest's parent card (its per-commit cards follow as ordinary messages)."""
        return self._post(channel, {"msg_type": "interactive", "card": digest_card(digest)})

    def post_text(self, channel: str, text: str, thread_id: str | None = None, key: str | None = None) -> str:
        """Post a notice as a text message."""
        return self._post(channel, {"msg_type": "text", "content": text_message(text)})

    def post_rollup(self, channel: str, part: RollupPart, thread_id: str | None = None,
                    key: str | None = None) -> str:
        """Post one part of a roll-up as a card; like cards, its replies follow in the chat, not in a thread."""
        return self._post(channel, {"msg_type": "interactive", "card": feishu_card(part)})

    def find_delivered(self, channel: str, key: str, since: datetime) -> str | None:
        """Always None: a webhook returns no message id and cannot be searched (a crash may re-post once)."""
        return None

    def _post(self, url: str, message: dict) -> str:
        check_post_url(url)
        secret = self._secrets(url)

        def attempt():
            self._limiter.acquire(url)
            body = dict(message)
            if secret:
                timestamp = int(self._now())
                body = {"timestamp": str(timestamp), "sign": webhook_sign(timestamp, secret), **message}
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            if len(data) > WEBHOOK_LIMIT_BYTES:
                raise DeliveryError(f"message is {len(data)} bytes; custom bots accept at most {WEBHOOK_LIMIT_BYTES}")
            # No redirects: a hook answering 3xx must not steer the bot's POST to another address.
            response = self._session.post(url, data=data, timeout=self._timeout, allow_redirects=False,
                                          headers={"Content-Type": "application/json; charset=utf-8"})
            return _answer(response), None

        answer, _ = self._policy.run(attempt, "custom-bot webhook")
        if answer.ok:
            # A webhook answers without a message id; the receipt only names this post in delivery records.
            return f"webhook-{uuid.uuid4().hex[:16]}"
        if answer.code in WEBHOOK_GONE:
            raise ChannelUnavailable(f"{WEBHOOK_GONE[answer.code]} (Feishu code {answer.code})")
        if answer.code in RATE_LIMITED:
            raise TransientDeliveryError(f"custom-bot webhook rate limited: {answer.describe()}")
        if answer.code == WEBHOOK_BAD_REQUEST:
            raise DeliveryError(f"custom bot refused the message as malformed: {answer.describe()}")
        if answer.status in (404, 410):
            raise ChannelUnavailable(f"the webhook address was not found (HTTP {answer.status})")
        log.warning("custom-bot webhook refused", extra={"webhook": redact(url), "error": answer.describe()})
        raise DeliveryError(f"custom bot refused the message: {answer.describe()}")


def _answer(response: requests.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = None
    code = None
    msg = ""
    if isinstance(body, dict):
        # Current answers carry `code`; older ones only `StatusCode`, which success answers still repeat.
        code = body.get("code", body.get("StatusCode"))
        msg = str(body.get("msg", body.get("StatusMessage", "")))
        code = code if isinstance(code, int) else None
    return Answer(status=response.status_code, code=code, msg=msg, headers=dict(response.headers))
