"""The long-running process: HTTP server and/or scheduler, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading

from bot.bootstrap import Bot
from bot.service.http import HttpServer, Router, health_app

log = logging.getLogger(__name__)


def build_router(bot: Bot) -> Router:
    """Mount every HTTP endpoint the bot serves."""
    router = Router()
    router.mount("/healthz", health_app({"database": bot.store.ping}))
    return router


def serve_forever(bot: Bot, http: bool = True, scheduler: bool = True, stop: threading.Event | None = None) -> None:
    """Run until a signal (or `stop`) arrives, then finish in-flight work and return."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: (log.info("signal received", extra={"signal": signum}), stop.set()))
    server = None
    if http:
        server = HttpServer(build_router(bot), bot.settings.host, bot.settings.port, bot.settings.http_threads)
        server.start()
    log.info("ready", extra={"http": http, "scheduler": scheduler})
    stop.wait()
    log.info("shutting down")
    if server is not None:
        server.stop()
    log.info("stopped")
