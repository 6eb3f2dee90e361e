"""The Feishu/Lark platform assembled from Settings: notifiers, the event endpoint and the long connection."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from bot.chat.feishu.policy import FeishuRetry
from bot.chat.feishu.webhook import DEFAULT_TIMEOUT, FeishuWebhookNotifier, WebhookLimiter
from bot.config import ConfigError, Settings
from bot.service.notifier import Notifier
from bot.wsgi import WSGIApp

if TYPE_CHECKING:
    import lark_oapi as lark

    from bot.chat.feishu.events import FeishuEvents
    from bot.chat.feishu.longconn import LongConnection
    from bot.chat.feishu.notifier import FeishuNotifier

log = logging.getLogger(__name__)


@dataclass
class FeishuPlatform:
    """Everything Feishu: `notifier` (app bot, platform "feishu", None without app credentials),
    `webhook_notifier` (custom bots, platform "feishu_webhook", always there), `wsgi_app` for
    `/feishu/events` (None in long-connection mode or without an app)."""

    name: ClassVar[str] = "feishu"

    notifier: FeishuNotifier | None
    webhook_notifier: FeishuWebhookNotifier
    wsgi_app: WSGIApp | None = None
    events: FeishuEvents | None = None
    long_connection: LongConnection | None = None
    mode: str = "http"
    client: lark.Client | None = field(default=None, repr=False)
    _started: bool = field(default=False, repr=False)

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        """Notifiers by Subscription.platform, for the Deliverer."""
        found: dict[str, Notifier] = {"feishu_webhook": self.webhook_notifier}
        if self.notifier is not None:
            found["feishu"] = self.notifier
        return found

    def routes(self) -> Mapping[str, WSGIApp]:
        """`/feishu/events` for the app bot over HTTP; none in long-connection mode or without an app."""
        return {"/feishu/events": self.wsgi_app} if self.wsgi_app is not None else {}

    def start(self) -> None:
        """In `FEISHU_MODE=ws`, open the long connection (a no-op in HTTP mode)."""
        if self.long_connection is not None and not self._started:
            self.long_connection.start()
            self._started = True

    def stop(self) -> None:
        """Close the long connection and finish commands already queued."""
        if self.long_connection is not None and self._started:
            self.long_connection.stop()
        if self.events is not None:
            self.events.close()


def _fetch_bot_open_id(client: lark.Client) -> str:
    from lark_oapi.core.enum import AccessTokenType, HttpMethod
    from lark_oapi.core.model import BaseRequest

    request = (BaseRequest.builder().http_method(HttpMethod.GET).uri("/open-apis/bot/v3/info")
               .token_types({AccessTokenType.TENANT}).build())
    response = client.request(request)
    body = json.loads(response.raw.content) if response.raw is not None and response.raw.content else {}
    open_id = (body.get("bot") or {}).get("open_id")
    if body.get("code") != 0 or not open_id:
        raise RuntimeError(f"bot/v3/info answered code {body.get('code')}")
    return open_id


def _is_command_of(handler: Any) -> Callable[[str], bool]:
    check: Callable[[str], bool] | None = getattr(handler, "is_command", None)
    if check is not None:
        return check
    from bot.chat.commands import is_command  # the command layer's module-level test
    return is_command


def build_feishu(settings: Settings, handler: Any | None, store, *,
                 timeout: float = DEFAULT_TIMEOUT, policy: FeishuRetry | None = None,
                 limiter: WebhookLimiter | None = None) -> FeishuPlatform:
    """Build the Feishu platform; raises ConfigError naming the variable that is missing.

    lark-oapi (seconds to import) is loaded only when an app is configured: custom-bot webhooks
    need nothing but requests.
    """
    policy = policy or FeishuRetry()

    def webhook_secret(url: str) -> str | None:
        subs = store.subscriptions.list(platform="feishu_webhook", channel=url)
        return next((sub.webhook_secret for sub in subs if sub.webhook_secret), None)

    webhooks = FeishuWebhookNotifier(webhook_secret, limiter=limiter, policy=policy, timeout=timeout)
    if not (settings.feishu_app_id and settings.feishu_app_secret):
        return FeishuPlatform(notifier=None, webhook_notifier=webhooks, mode=settings.feishu_mode)

    import lark_oapi as lark

    from bot.chat.feishu.endpoint import event_endpoint
    from bot.chat.feishu.events import BotIdentity, FeishuEvents
    from bot.chat.feishu.longconn import LongConnection
    from bot.chat.feishu.notifier import FeishuNotifier, build_client

    secret = settings.feishu_app_secret.get_secret_value()
    client = build_client(settings.feishu_app_id, secret, settings.feishu_domain, timeout)
    notifier = FeishuNotifier(client, policy)
    channel = FeishuPlatform(notifier=notifier, webhook_notifier=webhooks, mode=settings.feishu_mode, client=client)
    if handler is None:
        return channel

    identity = BotIdentity(lambda: _fetch_bot_open_id(client))
    events = FeishuEvents(handler, notifier, lambda event_id: store.events.first_time("feishu", event_id),
                          _is_command_of(handler), identity.open_id, services=getattr(handler, "services", None))
    token = settings.feishu_verification_token.get_secret_value() if settings.feishu_verification_token else ""
    key = settings.feishu_encrypt_key.get_secret_value() if settings.feishu_encrypt_key else ""
    if settings.feishu_mode == "http" and not token:
        # Without it lark-oapi would accept any request claiming to be Feishu.
        raise ConfigError("FEISHU_VERIFICATION_TOKEN: required for /feishu/events (or set FEISHU_MODE=ws)")
    dispatcher = (lark.EventDispatcherHandler.builder(key, token)
                  .register_p2_im_message_receive_v1(events.on_message).build())
    channel.events = events
    if settings.feishu_mode == "ws":
        channel.long_connection = LongConnection(settings.feishu_app_id, secret, settings.feishu_domain, dispatcher)
    else:
        channel.wsgi_app = event_endpoint(dispatcher, encrypt_key=key, verification_token=token)
    return channel
