"""The production HTTP server: waitress serving the router on a background thread."""

from __future__ import annotations

import logging
import threading
import time

from waitress import wasyncore
from waitress.server import create_server

from bot.wsgi import WSGIApp

log = logging.getLogger(__name__)

# waitress buffers a whole body before the app runs (its default cap is 1 GB). GitHub push payloads
# go up to 25 MB, the largest any endpoint accepts; each endpoint keeps its own tighter check.
MAX_REQUEST_BODY = 26 * 1024 * 1024


class PortUnavailable(Exception):
    """The HTTP server could not bind its address (in use, or not allowed)."""


class HttpServer:
    """waitress serving the router on a background thread until `stop()`."""

    def __init__(self, app: WSGIApp, host: str, port: int, threads: int = 16,
                 max_body: int = MAX_REQUEST_BODY) -> None:
        try:
            self._server = create_server(app, host=host, port=port, threads=threads,
                                         channel_timeout=30, connection_limit=1000, ident="commit-radar",
                                         max_request_body_size=max_body)
        except OSError as exc:
            raise PortUnavailable(exc.strerror or str(exc)) from None
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        return self._server.effective_port

    def start(self) -> None:
        """Begin serving in the background."""
        self._thread.start()
        log.info("http server listening", extra={"host": self._server.effective_host, "port": self.port})

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, let in-flight requests finish and flush, then close every connection."""
        server = self._server
        # Sockets belong to the server's loop thread: closing them from here races its select().
        # The trigger runs each step inside that loop.
        server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                getattr(channel, "total_outbufs_len", 0) for channel in list(server._map.values())):
            time.sleep(0.02)  # responses written by finished requests are still being flushed
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            # The trigger is already closed: the loop has ended and closed everything itself.
            log.debug("http server loop already closed")
        self._thread.join(timeout)
