"""A thin WSGI endpoint around `App.dispatch`, mounted by the bot's HTTP router at `/slack/events`.

The request is verified here, on the raw bytes, before Bolt sees it: Bolt parses the body
before it checks the signature, and a non-numeric timestamp or an odd body made it raise (HTTP
500 and a traceback per request). Bad or missing signatures and stale timestamps are 401,
malformed requests 400; each refusal is one rate-limited WARNING line (bot/refusals.py).
Bolt's own verification stays on behind this one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.chat.slack.priority import ForegroundFirst
from bot.refusals import RefusalLog, client_of
from bot.wsgi import json_response

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # Slack payloads are a few KB; anything bigger is not Slack
MAX_AGE = 300  # seconds either way, as Slack documents
CONTENT_TYPES = ("application/x-www-form-urlencoded", "application/json")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _headers(environ: dict) -> dict[str, str | Sequence[str]]:  # BoltRequest's type: a name may repeat
    headers: dict[str, str | Sequence[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.lower().replace("_", "-")] = value
    return headers


def signature_problem(secret: str, environ: dict, body: bytes, now: float) -> str | None:
    """Why the request's `X-Slack-Signature` does not hold (v0 HMAC-SHA256 over `v0:ts:body`), or None."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    if not timestamp or not signature:
        return "missing signature headers"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > MAX_AGE:
        return "stale timestamp"
    expected = "v0=" + hmac.new(secret.encode("utf-8"), b"v0:" + timestamp.encode("ascii") + b":" + body,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


def _is_ssl_check(media_type: str, body: bytes) -> bool:
    # Slack's certificate check of the request URL; Bolt answers it (200, nothing runs) unverified.
    return (media_type == CONTENT_TYPES[0] and body.startswith(b"ssl_check=")
            and parse_qs(body.decode("latin-1"), keep_blank_values=True).get("ssl_check") == ["1"])


def slack_wsgi(app: App, gate: ForegroundFirst | None = None, *, signing_secret: str,
               now: Callable[[], float] = time.time,
               refusals: RefusalLog | None = None) -> Callable[[dict, Callable], Iterable[bytes]]:
    """POST only; verifies the signature (401 when bad or stale), refuses malformed requests (400), then Bolt routes.

    `signing_secret` is the app's; `now` and `refusals` are there for tests.
    """
    gate = gate or ForegroundFirst()
    secret = signing_secret
    refusals = refusals or RefusalLog(log, "/slack/events")

    def refuse(environ: dict, start_response: Callable, status: int, reason: str) -> list[bytes]:
        refusals.refused(client_of(environ), reason)
        error = "invalid request" if status == 401 else HTTPStatus(status).phrase.lower()
        return json_response(start_response, f"{status} {HTTPStatus(status).phrase}", {"error": error})

    def endpoint(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return refuse(environ, start_response, 405, "not a POST")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refuse(environ, start_response, 400, "bad Content-Length")
        if length < 0:
            return refuse(environ, start_response, 400, "bad Content-Length")
        if length > MAX_BODY:
            return refuse(environ, start_response, 413, "body too large")
        media_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if media_type not in CONTENT_TYPES:
            return refuse(environ, start_response, 400, "unexpected content type")
        raw = environ["wsgi.input"].read(length) if length else b""
        if secret and not _is_ssl_check(media_type, raw):
            problem = signature_problem(secret, environ, raw, now())
            if problem:
                return refuse(environ, start_response, 401, problem)
        try:
            body = raw.decode("utf-8")
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=_headers(environ))
        except Exception:  # Bolt parses the body as it builds the request; whatever it chokes on is malformed
            return refuse(environ, start_response, 400, "unparseable body")
        with gate.foreground():
            response = app.dispatch(request)
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
