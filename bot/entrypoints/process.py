"""The long-running process: HTTP server, scheduler and chat connections, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import IO

from bot.bootstrap import Application
from bot.entrypoints.http import HttpServer

log = logging.getLogger(__name__)


def _stop_on_signals(stop: threading.Event) -> None:
    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal received", extra={"signal": signum})
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)


def serve_forever(app: Application, http: bool = True, scheduler: bool = True, console: bool = False,
                  stop: threading.Event | None = None, console_input: IO[str] | None = None,
                  inbound: bool | None = None) -> None:
    """Run until a signal, `stop` or the console's /quit arrives, then finish in-flight work and return."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _stop_on_signals(stop)
    if scheduler:
        app.health["scheduler"] = app.scheduler.alive
    # The web role takes people's messages and GitHub's pushes; a worker serves only /healthz and /metrics.
    inbound = http and (inbound if inbound is not None else True)
    server = None
    if http:
        router = app.router if inbound else app.ops_router
        server = HttpServer(router, app.settings.host, app.settings.port, app.settings.http_threads)
        server.start()
    if scheduler:
        app.scheduler.start()
    # Inbound connections belong to the web role: a separate worker must not also receive events.
    if inbound:
        app.start_inbound()
    log.info("ready", extra={"http": http, "scheduler": scheduler, "console": console,
                             "platforms": ",".join(app.deliverer.platforms)})
    if console:
        _start_console(app, stop, console_input)
    stop.wait()
    log.info("shutting down")
    try:
        if server is not None:
            server.stop()  # no new requests; requests in flight finish
    finally:
        # Even if the HTTP server failed to stop cleanly, the scheduler must not keep the process alive.
        if scheduler:
            app.scheduler.stop()  # waits for running polls and deliveries
    log.info("stopped")


def _start_console(app: Application, stop: threading.Event, console_input: IO[str] | None) -> None:
    """Read commands on a thread; its /quit sets `stop`, which shuts down like SIGTERM."""
    from bot.chat.console import ConsolePlatform
    from bot.entrypoints.console import ConsoleSession

    console = app.platform("console")
    if not isinstance(console, ConsolePlatform):
        raise RuntimeError("the console session needs the console platform")
    # Logs go to stderr, the prompt to stdout: flush the log first so "ready" never lands on the prompt line.
    for handler in logging.getLogger().handlers:
        handler.flush()
    session = ConsoleSession(app.handler, console.notifier, stdin=console_input, stop=stop)
    threading.Thread(target=session.run, name="console", daemon=True).start()
