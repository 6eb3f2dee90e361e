"""`/feishu/events`: the WSGI endpoint in front of lark-oapi's event dispatcher.

lark-oapi decrypts (`FEISHU_ENCRYPT_KEY`), checks the verification token and the
`X-Lark-Signature`, answers the `url_verification` challenge and calls the registered
callbacks. A request that fails a check runs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus

import lark_oapi as lark
from lark_oapi.core.model import RawRequest

MAX_BODY = 1024 * 1024
# lark-oapi answers every refusal with HTTP 500 and one of these messages; they are refusals of
# the caller, so they become 401 (anything else stays as lark-oapi answered).
_REFUSALS = ("signature verification failed", "invalid verification_token", "encrypt_key not found",
             "webhook credentials provider failed")


def _respond(start_response: Callable, status: int, body: bytes, content_type: str = "application/json") -> list[bytes]:
    start_response(f"{status} {HTTPStatus(status).phrase}",
                   [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _error(start_response: Callable, status: int, message: str) -> list[bytes]:
    return _respond(start_response, status, json.dumps({"msg": message}).encode())


def _headers(environ: dict) -> dict[str, str]:
    headers = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers["-".join(part.capitalize() for part in name[5:].split("_"))] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers


def event_endpoint(dispatcher: lark.EventDispatcherHandler) -> Callable[[dict, Callable], Iterable[bytes]]:
    """A WSGI app that hands each POSTed event to `dispatcher` and returns its answer."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(start_response, 405, "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(start_response, 400, "bad Content-Length")
        if length <= 0:
            return _error(start_response, 400, "empty body")
        if length > MAX_BODY:
            return _error(start_response, 413, "body too large")
        body = environ["wsgi.input"].read(length)
        try:
            if not isinstance(json.loads(body), dict):
                raise ValueError("not an object")
        except ValueError:
            return _error(start_response, 400, "body is not a JSON object")
        request = RawRequest()
        request.uri = environ.get("PATH_INFO", "/")
        request.headers = _headers(environ)
        request.body = body
        response = dispatcher.do(request)
        status = response.status_code or 500
        content = response.content or b""
        if status == 500 and any(refusal.encode() in content for refusal in _REFUSALS):
            status = 401
        return _respond(start_response, status, content, "application/json; charset=utf-8")

    return app
