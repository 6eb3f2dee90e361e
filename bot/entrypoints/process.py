"""The long-running process: HTTP server, scheduler and chat connections, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from typing import IO

from bot.bootstrap import Bot
from bot.domain import RepoRef
from bot.github.webhook import github_webhook_app
from bot.entrypoints.http import HttpServer
from bot.wsgi import Router, health_app
from bot.service.metrics import metrics_app

log = logging.getLogger(__name__)


def build_router(bot: Bot, scheduler=None) -> Router:
    """Mount every HTTP endpoint this process serves."""
    checks = {"database": bot.store.ping}
    if scheduler is not None:
        checks["scheduler"] = scheduler.alive
    router = Router()
    router.mount("/healthz", health_app(checks))
    router.mount("/metrics", metrics_app(bot.metrics))
    secret = bot.settings.github_webhook_secret

    def on_push(repo: RepoRef, branch: str) -> None:
        # Recorded in the store: the worker that polls may be another process.
        bot.store.cursors.request_poll(repo, branch, bot.clock())

    def is_watched(repo: RepoRef, branch: str) -> bool:
        # GitHub names are case-insensitive; the payload may spell the repo differently from /subscribe.
        wanted = (repo.full_name.lower(), branch)
        return any((watched.full_name.lower(), b) == wanted for watched, b in bot.store.subscriptions.watched())

    router.mount("/github/webhook", github_webhook_app(secret.get_secret_value() if secret else None,
                                                        on_push, is_watched))
    if bot.slack is not None and bot.slack.wsgi_app is not None:
        router.mount("/slack/events", bot.slack.wsgi_app)
    if bot.feishu is not None and bot.feishu.wsgi_app is not None:
        router.mount("/feishu/events", bot.feishu.wsgi_app)
    return router


def serve_forever(bot: Bot, http: bool = True, scheduler: bool = True, console: bool = False,
                  stop: threading.Event | None = None, console_input: IO[str] | None = None) -> None:
    """Run until a signal, `stop` or the console's /quit arrives, then finish in-flight work and return."""
    from bot.service.scheduler import Scheduler

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: (log.info("signal received", extra={"signal": signum}), stop.set()))
    jobs = None
    if scheduler:
        jobs = Scheduler(bot.store, bot.watcher, bot.digests, bot.clock, bot.settings.poll_interval)
        bot.on_subscriptions_changed(jobs.sync)
    server = None
    if http:
        server = HttpServer(build_router(bot, jobs), bot.settings.host, bot.settings.port, bot.settings.http_threads)
        server.start()
    if jobs is not None:
        jobs.start()
    # Inbound connections belong to the web role: a separate worker must not also receive events.
    if http and bot.slack is not None and bot.slack.socket_mode:
        bot.slack.start_socket_mode()
    if http and bot.feishu is not None:
        bot.feishu.start_long_connection()
    log.info("ready", extra={"http": http, "scheduler": scheduler, "console": console,
                             "platforms": ",".join(bot.deliverer.platforms) if bot.deliverer else ""})
    if console:
        _start_console(bot, stop, console_input)
    stop.wait()
    log.info("shutting down")
    try:
        if server is not None:
            server.stop()  # no new requests; requests in flight finish
    finally:
        # Even if the HTTP server failed to stop cleanly, the scheduler must not keep the process alive.
        if jobs is not None:
            jobs.stop()  # waits for running polls and deliveries
    log.info("stopped")


def _start_console(bot: Bot, stop: threading.Event, console_input: IO[str] | None) -> None:
    """Read commands on a thread; its /quit sets `stop`, which shuts down like SIGTERM."""
    from bot.chat.console import ConsoleSession

    # Logs go to stderr, the prompt to stdout: flush the log first so "ready" never lands on the prompt line.
    for handler in logging.getLogger().handlers:
        handler.flush()
    session = ConsoleSession(bot.handler, bot.console, stdin=console_input, stop=stop)
    threading.Thread(target=session.run, name="console", daemon=True).start()
