"""WSGI pieces every HTTP endpoint shares: the app type, JSON answers, the path router and /healthz."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from bot.causes import clip_middle
from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def json_response(start_response: Callable, status: str, body: dict) -> list[bytes]:
    """Send a JSON body with the given status line."""
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
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
