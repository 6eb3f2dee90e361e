"""`POST /github/webhook`: a signed push to a watched branch triggers an immediate poll (WSGI app).

The payload's commit list is never used: a push only says "look now"; polling stays the source
of truth. Without a configured secret the endpoint answers 403 to everything, because accepting
unsigned pushes would let anyone make the bot spend its API budget; 403 (not 404) tells the
operator in GitHub's delivery log that the endpoint exists but is not enabled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.domain import RepoRef
from bot.refusals import RefusalLog, client_of

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
CHUNK = 64 * 1024
BRANCH_PREFIX = "refs/heads/"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _digest_matches(expected: str, header: str | None) -> bool:
    # Constant time: how much of a guessed signature matches must not show in the answer's timing.
    if not header:
        return False
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _read_signed(stream, length: int, secret: str) -> tuple[bytes, str]:
    # Read and hash in chunks, stopping at a short body, so the digest needs no second pass.
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    parts: list[bytes] = []
    left = length
    while left > 0:
        part = stream.read(min(CHUNK, left))
        if not part:
            break
        mac.update(part)
        parts.append(part)
        left -= len(part)
    return b"".join(parts), "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class _Refusal:
    """Why a request is refused, and how: the status line and any extra headers."""

    status: str
    reason: str
    headers: tuple[tuple[str, str], ...] = ()


def _signed_body(environ: dict[str, Any], secret: str) -> bytes | _Refusal:
    """The body of a POST whose signature matches `secret`, or why it is refused."""
    if environ.get("REQUEST_METHOD") != "POST":
        return _Refusal("405 Method Not Allowed", "POST only", (("Allow", "POST"),))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _Refusal("400 Bad Request", "bad Content-Length")
    if length > MAX_BODY:
        return _Refusal("413 Payload Too Large", "payload too large")
    body, digest = _read_signed(environ["wsgi.input"], length, secret)
    if not _digest_matches(digest, environ.get("HTTP_X_HUB_SIGNATURE_256")):
        return _Refusal("401 Unauthorized", "invalid signature")
    return body


def _pushed_branch(body: bytes, content_type: str) -> tuple[RepoRef, str] | None | _Refusal:
    """The repository and branch a push payload names; None for a tag push or a deleted branch."""
    try:
        payload = json.loads(_json_text(body, content_type))
        name, ref = payload["repository"]["full_name"], payload["ref"]
        if not isinstance(name, str) or not isinstance(ref, str):
            raise TypeError("full_name and ref must be strings")
        repo = RepoRef.parse(name)
    except (ValueError, KeyError, TypeError):
        return _Refusal("400 Bad Request", "not a push payload")
    if not ref.startswith(BRANCH_PREFIX) or payload.get("deleted"):
        return None
    return repo, ref[len(BRANCH_PREFIX):]


def github_webhook_app(secret: str | None, on_push: Callable[[RepoRef, str], None],
                       is_watched: Callable[[RepoRef, str], bool], refusals: RefusalLog | None = None) -> WSGIApp:
    """The webhook endpoint: 401 unsigned, 200 ping, 204 ignored, 202 when a watched branch was pushed."""
    refusals = refusals or RefusalLog(log, "/github/webhook")

    def refuse(environ: dict[str, Any], start_response: Callable[..., Any], refusal: _Refusal) -> list[bytes]:
        refusals.refused(client_of(environ), refusal.reason)
        return _answer(start_response, refusal.status, {"error": refusal.reason}, list(refusal.headers))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if secret is None:
            return refuse(environ, start_response,
                          _Refusal("403 Forbidden", "webhook disabled: GITHUB_WEBHOOK_SECRET not set"))
        body = _signed_body(environ, secret)
        if isinstance(body, _Refusal):
            return refuse(environ, start_response, body)
        event = environ.get("HTTP_X_GITHUB_EVENT", "")
        if event == "ping":
            return _answer(start_response, "200 OK", {"ok": True})
        if event != "push":
            return _answer(start_response, "204 No Content", None)
        pushed = _pushed_branch(body, environ.get("CONTENT_TYPE", ""))
        if isinstance(pushed, _Refusal):
            return refuse(environ, start_response, pushed)
        if pushed is None or not is_watched(*pushed):
            return _answer(start_response, "204 No Content", None)
        repo, branch = pushed
        on_push(repo, branch)
        log.info("github push: poll requested", extra={"repo": str(repo), "branch": branch,
                                                       "delivery": environ.get("HTTP_X_GITHUB_DELIVERY", "")[:64]})
        return _answer(start_response, "202 Accepted", {"queued": f"{repo}@{branch}"})

    return app


def _json_text(body: bytes, content_type: str) -> bytes | str:
    # A hook may be configured to send form-encoded `payload=<json>` instead of a JSON body.
    if content_type.startswith("application/x-www-form-urlencoded"):
        return urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("payload", [""])[0]
    return body


def _answer(start_response: Callable, status: str, body: dict | None,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    payload = json.dumps(body).encode() if body is not None else b""
    extra = [("Content-Type", "application/json")] if body is not None else []
    start_response(status, extra + [("Content-Length", str(len(payload)))] + (headers or []))
    return [payload]
