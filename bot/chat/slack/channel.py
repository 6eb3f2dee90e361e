"""Slack as a Platform: its notifier, /slack/events (HTTP mode) or Socket Mode, and its `KIND` for bootstrap."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.chat.commands import CommandHandler
from bot.chat.commands.links import web_host
from bot.chat.slack.app import SlackListeners, build_app
from bot.chat.slack.client import SlackRetry, make_client
from bot.chat.slack.notifier import SlackNotifier
from bot.chat.slack.priority import ForegroundFirst
from bot.chat.slack.wsgi import slack_wsgi
from bot.config import ConfigError, Settings
from bot.service.notifier import Notifier
from bot.store import Store
from bot.wsgi import WSGIApp

log = logging.getLogger(__name__)

# Commands answered at once; more than LLM_CONCURRENCY so quick commands do not queue behind LLM waits.
BACKGROUND_WORKERS = 16


class SlackPlatform:
    """Everything Slack: `/slack/events` in HTTP mode, Socket Mode otherwise, and the notifier for "slack"."""

    name = "slack"

    def __init__(self, app: App, client: WebClient, notifier: SlackNotifier, wsgi_app: WSGIApp | None,
                 executor: ThreadPoolExecutor, app_token: str | None) -> None:
        self.app = app
        self.client = client
        self.notifier = notifier
        self.wsgi_app = wsgi_app
        self._executor = executor
        self._app_token = app_token
        self._socket: SocketModeHandler | None = None

    @property
    def socket_mode(self) -> bool:
        """True when SLACK_APP_TOKEN is set: events arrive over a WebSocket, not HTTP."""
        return self._app_token is not None

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        """Cards for subscriptions whose platform is "slack"."""
        return {"slack": self.notifier}

    def routes(self) -> Mapping[str, WSGIApp]:
        """`/slack/events`, unless events arrive over Socket Mode."""
        return {"/slack/events": self.wsgi_app} if self.wsgi_app is not None else {}

    def start(self) -> None:
        """Open the Socket Mode connection in the background (returns at once); nothing to do over HTTP."""
        if self._app_token is None:
            return
        self._socket = SocketModeHandler(self.app, app_token=self._app_token, web_client=self.client)
        self._socket.connect()
        log.info("slack socket mode connected")

    def stop(self) -> None:
        """Close Socket Mode and let running answers finish."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._executor.shutdown(wait=True, cancel_futures=True)


def build_slack(settings: Settings, handler: CommandHandler, store: Store, sleep: Callable[[float], None] = time.sleep,
                background_workers: int = BACKGROUND_WORKERS) -> SlackPlatform:
    """Build the Slack channel from Settings; nothing connects until the first request (or Socket Mode start)."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN: required for Slack")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    if secret is None and app_token is None:
        raise ConfigError("SLACK_SIGNING_SECRET: required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)")
    policy = SlackRetry(sleep=sleep)
    client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url, policy)
    hosts = tuple(dict.fromkeys(("github.com", web_host(settings.github_api_url))))
    executor = ThreadPoolExecutor(max_workers=background_workers, thread_name_prefix="slack")
    gate = ForegroundFirst()
    listeners = SlackListeners(handler, store, client, policy, hosts, executor, gate)
    app = build_app(secret, client, listeners, executor)
    routes = slack_wsgi(app, gate, signing_secret=secret) if secret else None
    return SlackPlatform(app, client, SlackNotifier(client), routes, executor, app_token)
