"""The Slack Web API client: one retry policy (429 Retry-After, 5xx, dropped connections) and error kinds.

Only requests that are safe to send twice are repeated after an answer that leaves their outcome unknown
(a timeout, a dropped connection, a 5xx): a post whose answer was lost may have been posted, and sending it
again would post it twice. Such a post fails as transient instead, and the Deliverer's next cycle asks
`find_delivered` before posting again.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from http.client import RemoteDisconnected
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.causes import describe
from bot.service.notifier import ChannelUnavailable, DeliveryError, TransientDeliveryError

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
# Web API methods that may be sent twice: reads, and those whose repeat changes nothing more. chat.unfurl
# is one: a repeat for the same message "will modify the same attachments, rather than adding more".
READ_VERBS = {"history", "replies", "info", "list", "test"}
IDEMPOTENT_METHODS = {"chat.unfurl", "apps.connections.open"}


def api_method(url: str) -> str:
    """The Web API method a request URL calls (`<base_url>chat.postMessage` -> `chat.postMessage`)."""
    return urlsplit(url).path.rsplit("/", 1)[-1]


def is_idempotent(method: str) -> bool:
    """True for methods safe to send twice; posting methods (chat.postMessage and unknown ones) are not."""
    return method in IDEMPOTENT_METHODS or method.rsplit(".", 1)[-1] in READ_VERBS


def never_sent(error: Exception | None) -> bool:
    """True when the request provably never reached Slack: the connection was refused or the name did not resolve."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


class SlackRetry(RateLimitErrorRetryHandler):
    """Retries 429 after exactly its Retry-After (when short enough); for idempotent methods also 5xx and
    dropped or timed-out connections with backoff; for posts only failures that prove nothing was posted.

    The sleeper is injected so tests count waits instead of waiting.
    """

    def __init__(self, max_retry_count: int = 3, max_wait: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, *, posts_only: bool = False,
                 waits: deque[float] | None = None) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep
        self.posts_only = posts_only  # every request this policy sees posts a message (a response_url)
        self.waits: deque[float] = deque(maxlen=100) if waits is None else waits  # recent waits, for tests

    def for_posts(self) -> SlackRetry:
        """The same policy (sleeper, budget, wait log) for a client whose every request posts (response_url)."""
        return SlackRetry(self.max_retry_count, self.max_wait, self.sleep, posts_only=True, waits=self.waits)

    def may_repeat(self, request: HttpRequest) -> bool:
        """True when sending `request` twice does no harm (a read, chat.unfurl), whatever the first did."""
        return not self.posts_only and is_idempotent(api_method(request.url))

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
            # Rate limited requests are refused before Slack acts on them: safe to repeat, posts included.
            wait = self._retry_after(response)
            return wait is None or wait <= self.max_wait
        if not self.may_repeat(request):
            if response is None and never_sent(error):
                return True
            if response is None or response.status_code in RETRYABLE_STATUS:
                log.info("slack post not repeated: Slack may have posted it",
                         extra={"method": "response_url" if self.posts_only else api_method(request.url),
                                "status": response.status_code if response is not None else None,
                                "error": type(error).__name__ if response is None else None})
            return False
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


def make_client(token: str, base_url: str, policy: SlackRetry, timeout: float = TIMEOUT) -> WebClient:
    """A WebClient pointed at `base_url` (SLACK_API_URL) with the retry policy."""
    if not base_url.endswith("/"):
        base_url += "/"
    # urllib takes fractional seconds although slack_sdk annotates an int.
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[policy])  # type: ignore[arg-type]


def make_webhook(url: str, policy: SlackRetry, timeout: float = TIMEOUT) -> WebhookClient:
    """A client for one `response_url`: every post there adds a message, so it is never repeated blindly."""
    return WebhookClient(url=url, timeout=timeout, retry_handlers=[policy.for_posts()])  # type: ignore[arg-type]


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
        return TransientDeliveryError(f"{what}: {describe(exc)}")
    raise exc
