"""The production HTTP server (waitress) and a path router for the bot's WSGI endpoints."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable

from waitress import wasyncore
from waitress.server import create_server

from bot.causes import clip_middle
from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# waitress buffers a whole body before the app runs (its default cap is 1 GB). GitHub push payloads
# go up to 25 MB, the largest any endpoint accepts; each endpoint keeps its own tighter check.
MAX_REQUEST_BODY = 26 * 1024 * 1024


def json_response(start_response: Callable, status: str, body: dict) -> list[bytes]:
    """Send a JSON body with the given status line."""
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def text_response(start_response: Callable, status: str, body: str, content_type: str = "text/plain; charset=utf-8") -> list[bytes]:
    """Send a text body with the given status line."""
    payload = body.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return [payload]


class Router:
    """Dispatches on exact path to mounted WSGI apps; everything else is 404."""

    def __init__(self) -> None:
        self._routes: dict[str, WSGIApp] = {}

    def mount(self, path: str, app: WSGIApp) -> None:
        """Serve `app` at exactly `path`."""
        self._routes[path.rstrip("/") or "/"] = app

    @property
    def paths(self) -> list[str]:
        """Mounted paths."""
        return sorted(self._routes)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/").rstrip("/") or "/"
        app = self._routes.get(path)
        if app is None:
            return json_response(start_response, "404 Not Found", {"error": "not found", "path": path})
        return app(environ, start_response)


def health_app(checks: dict[str, Callable[[], None]]) -> WSGIApp:
    """`/healthz`: 200 when every check passes, 503 naming the failures otherwise."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a health probe reports every failure, whatever its type
                # A store problem's message is written for operators (no secrets); others show only their type.
                results[name] = f"fail: {exc}" if isinstance(exc, StoreUnavailable) else f"fail: {type(exc).__name__}"
                log.warning("health check failed", extra={"check": name, "error": clip_middle(str(exc), 300)})
        healthy = all(value == "ok" for value in results.values())
        return json_response(start_response, "200 OK" if healthy else "503 Service Unavailable",
                             {"status": "ok" if healthy else "fail", "checks": results})

    return app


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
        return self._server.effective_port  # type: ignore[attr-defined]

    def start(self) -> None:
        """Begin serving in the background."""
        self._thread.start()
        log.info("http server listening", extra={"host": self._server.effective_host, "port": self.port})

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, let in-flight requests finish and flush, then close every connection."""
        server = self._server
        # Sockets belong to the server's loop thread: closing them from here races its select().
        # The trigger runs each step inside that loop.
        server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))  # type: ignore[attr-defined]
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                getattr(channel, "total_outbufs_len", 0) for channel in list(server._map.values())):  # type: ignore[attr-defined]
            time.sleep(0.02)  # responses written by finished requests are still being flushed
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[attr-defined]
        except OSError:
            # The trigger is already closed: the loop has ended and closed everything itself.
            log.debug("http server loop already closed")
        self._thread.join(timeout)
