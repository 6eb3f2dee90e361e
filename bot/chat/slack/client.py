"""The Slack Web API client: one retry policy (429 Retry-After, 5xx, dropped connections) and error kinds."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.chat.port import ChannelUnavailable, DeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds per Web API request
# Errors meaning the bot cannot post to this channel any more: the subscription is paused with the reason.
CHANNEL_GONE = {
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel; invite it with /invite",
    "is_archived": "the channel is archived",
    "account_inactive": "the bot's Slack account or token is deactivated",
}
RETRYABLE_STATUS = {500, 502, 503, 504}


class SlackRetryPolicy(RateLimitErrorRetryHandler):
    """Retries 429 after exactly its Retry-After (when short enough), 5xx and dropped connections with backoff.

    The sleeper is injected so tests count waits instead of waiting.
    """

    def __init__(self, max_retry_count: int = 3, max_wait: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep
        self.waits: deque[float] = deque(maxlen=100)  # recent waits, for tests and debugging

    @staticmethod
    def _retry_after(response: HttpResponse) -> float | None:
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                try:
                    return max(0.0, float(values[0] if isinstance(values, list) else values))
                except ValueError:
                    return None
        return None

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is not None and response.status_code == 429:
            wait = self._retry_after(response)
            return wait is None or wait <= self.max_wait
        if response is not None:
            return response.status_code in RETRYABLE_STATUS
        return isinstance(error, (URLError, ConnectionResetError, RemoteDisconnected, TimeoutError))

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        if response is not None and response.status_code == 429:
            wait = self._retry_after(response)
            wait = 1.0 if wait is None else wait
        else:
            wait = 0.5 * 2 ** state.current_attempt
        log.info("slack request retried", extra={"status": response.status_code if response else None,
                                                 "wait": wait, "attempt": state.current_attempt + 1})
        self.waits.append(wait)
        self.sleep(wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def make_client(token: str, base_url: str, policy: SlackRetryPolicy, timeout: int = TIMEOUT) -> WebClient:
    """A WebClient pointed at `base_url` (SLACK_API_URL) with the retry policy."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[policy])


def make_webhook(url: str, policy: SlackRetryPolicy, timeout: int = TIMEOUT) -> WebhookClient:
    """A client for one `response_url`."""
    return WebhookClient(url=url, timeout=timeout, retry_handlers=[policy])


def error_code(exc: SlackApiError) -> str:
    """Slack's `error` string (e.g. `not_in_channel`), or `http_<status>`."""
    data = exc.response.data if exc.response is not None else None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    return f"http_{exc.response.status_code}" if exc.response is not None else "unknown"


def delivery_error(exc: Exception, what: str) -> DeliveryError:
    """The port's error for a failed Slack call: channel gone, transient, or refused for good."""
    if isinstance(exc, SlackApiError):
        code = error_code(exc)
        status = exc.response.status_code if exc.response is not None else 0
        if code in CHANNEL_GONE:
            return ChannelUnavailable(f"{code}: {CHANNEL_GONE[code]}")
        if code == "ratelimited" or status == 429 or status >= 500 or code in ("fatal_error", "internal_error",
                                                                               "service_unavailable"):
            return TransientDeliveryError(f"{what}: Slack answered {code} (HTTP {status})")
        return DeliveryError(f"{what}: Slack refused: {code}")
    if isinstance(exc, (SlackClientError, OSError, TimeoutError)):
        return TransientDeliveryError(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
    raise exc
