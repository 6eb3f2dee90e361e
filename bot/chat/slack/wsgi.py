"""A thin WSGI endpoint around `App.dispatch`, mounted by the bot's HTTP router at `/slack/events`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.chat.slack.priority import ForegroundFirst
from bot.service.http import json_response

MAX_BODY = 1_000_000  # Slack payloads are a few KB; anything bigger is not Slack


def _headers(environ: dict) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.lower().replace("_", "-")] = value
    return headers


def slack_wsgi(app: App, gate: ForegroundFirst | None = None) -> Callable[[dict, Callable], Iterable[bytes]]:
    """POST only; Bolt verifies the signature (401 when bad or stale) and routes the request."""
    gate = gate or ForegroundFirst()

    def endpoint(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return json_response(start_response, "405 Method Not Allowed", {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return json_response(start_response, "413 Payload Too Large", {"error": "body too large"})
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else ""
        with gate.foreground():
            response = app.dispatch(BoltRequest(body=body, query=environ.get("QUERY_STRING", ""),
                                                headers=_headers(environ)))
        payload = (response.body or "").encode("utf-8")
        headers = [(name, value) for name, values in response.headers.items() for value in values
                   if name.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(f"{response.status} {_phrase(response.status)}", headers)
        return [payload]

    return endpoint


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"
