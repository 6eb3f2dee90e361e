"""`/feishu/events`: the WSGI endpoint that verifies each request and hands real events to lark-oapi's dispatcher.

The checks are ours (bot/chat/feishu/verification.py), made before anything is decrypted;
lark-oapi only routes an event that passed them to the registered callbacks, the way its own
long-connection client hands over events from an authenticated connection. Every request that
fails a check gets the same answer, 401 `{"msg":"unauthorized"}`, and runs nothing; what failed
goes to the log (rate-limited per client), never into the answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus

import lark_oapi as lark
from lark_oapi.core.exception import EventException

from bot.chat.feishu.verification import Allowance, FeishuVerifier, Refused
from bot.refusals import RefusalLog, client_of

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
_JSON = "application/json; charset=utf-8"


def _respond(start_response: Callable, status: int, body: bytes) -> list[bytes]:
    start_response(f"{status} {HTTPStatus(status).phrase}",
                   [("Content-Type", _JSON), ("Content-Length", str(len(body))),
                    ("X-Content-Type-Options", "nosniff")])
    return [body]


def _message(start_response: Callable, status: int, message: str) -> list[bytes]:
    return _respond(start_response, status, json.dumps({"msg": message}).encode())


def challenge_answer(value: str) -> bytes:
    """`{"challenge": value}` as JSON, with `<`, `>` and `&` escaped too so no page can read it as markup."""
    text = json.dumps({"challenge": value})
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("ascii")


def _headers(environ: dict) -> dict[str, str]:
    return {name[5:].lower().replace("_", "-"): value for name, value in environ.items() if name.startswith("HTTP_")}


def _route(dispatcher: lark.EventDispatcherHandler) -> Callable[[bytes], object]:
    # lark-oapi's entry for payloads that are already authenticated (its long-connection client
    # uses it); newer releases add a leading underscore and keep the old name as a deprecated alias.
    return getattr(dispatcher, "_do_without_validation", None) or dispatcher.do_without_validation


def event_endpoint(dispatcher: lark.EventDispatcherHandler, *, encrypt_key: str, verification_token: str,
                   now: Callable[[], float] = time.time,
                   refusals: RefusalLog | None = None,
                   unsigned: Allowance | None = None) -> Callable[[dict, Callable], Iterable[bytes]]:
    """A WSGI app that verifies each POSTed event and hands it to `dispatcher`.

    `encrypt_key` and `verification_token` are the dispatcher's ("" for no encryption); `now`,
    `refusals` and `unsigned` are there for tests (the wall clock, the refusal log, the
    unsigned-request allowance).
    """
    verifier = FeishuVerifier(encrypt_key, verification_token, now=now, unsigned=unsigned)
    route = _route(dispatcher)
    refusals = refusals or RefusalLog(log, "/feishu/events")

    def refuse(environ: dict, start_response: Callable, status: int, reason: str) -> list[bytes]:
        refusals.refused(client_of(environ), reason)
        return _message(start_response, status, "unauthorized" if status == 401 else HTTPStatus(status).phrase.lower())

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return refuse(environ, start_response, 405, "not a POST")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length <= 0:
            return refuse(environ, start_response, 400, "no body or a bad Content-Length")
        if length > MAX_BODY:
            return refuse(environ, start_response, 413, "body too large")
        body = environ["wsgi.input"].read(length)
        try:
            outer = json.loads(body)
        except (ValueError, RecursionError):
            outer = None
        if not isinstance(outer, dict):
            return refuse(environ, start_response, 400, "body is not a JSON object")
        try:
            verified = verifier.verify(_headers(environ), body, outer)
        except Refused as refused:
            return refuse(environ, start_response, 401, refused.reason)
        if verified.challenge is not None:
            return _respond(start_response, 200, challenge_answer(verified.challenge))
        return _dispatch(route, verified.plaintext, start_response)

    return app


def _dispatch(route: Callable[[bytes], object], plaintext: bytes, start_response: Callable) -> list[bytes]:
    try:
        route(plaintext)
    except EventException:
        # A genuine event of a kind the bot does not handle: acknowledged, so Feishu does not re-push it.
        log.info("feishu event of an unhandled kind ignored")
    except Exception:  # a verified event that fails (the event store) is answered 500 so Feishu re-pushes it
        log.exception("feishu event failed")
        return _message(start_response, 500, "internal error")
    return _message(start_response, 200, "success")
