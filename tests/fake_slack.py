"""A fake Slack Web API and `response_url` receiver on 127.0.0.1 (pytest-httpserver), plus request signing.

Reusable by the end-to-end test: `FakeSlack.serve()` starts it; `fake.api_url` goes into SLACK_API_URL;
`fake.response_url()` makes a response_url for a slash command; `signed_headers()` / `command_body()`
build what Slack would send to /slack/events. Every call is recorded in `fake.calls`; failures are
scripted per method with `fake.fail(method, ...)`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from slack_sdk.signature import SignatureVerifier
from werkzeug import Request, Response

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


@dataclass
class Call:
    """One request the fake received."""

    method: str  # Web API method (e.g. "chat.postMessage") or "response_url"
    params: dict
    headers: dict
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    body: dict | str
    headers: dict


class FakeSlack:
    """Slack's Web API as far as the bot uses it: auth.test, chat.postMessage, chat.unfurl,
    conversations.history/replies, apps.connections.open; and response_url endpoints."""

    def __init__(self, server: HTTPServer, token: str = "xoxb-test-token") -> None:
        self.server = server
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}  # channel -> posted messages, oldest first
        self.failures: dict[str, list[Failure]] = {}
        self.channel_errors: dict[str, str] = {}  # channel -> error every post to it gets
        self.history_error: str | None = None
        self.socket_url: str | None = None  # what apps.connections.open answers (a ws:// URL for Socket Mode)
        # Slack's per-channel posting limit: with a rate set, a post sooner than 1/rate s after the
        # channel's last accepted one gets 429 with Retry-After (None: no limit).
        self.posts_per_second: float | None = None
        self.throttled = 0  # posts answered 429 by that limit
        self._last_post: dict[str, float] = {}
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self._response_channels: dict[str, str] = {}  # response_url path -> channel its in_channel answers land in
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        server.expect_request(re.compile(r"^/api/[\w.]+$")).respond_with_handler(self._api)
        server.expect_request(re.compile(r"^/response/\d+$"), method="POST").respond_with_handler(self._response)

    @classmethod
    def serve(cls, threaded: bool = True, token: str = "xoxb-test-token") -> FakeSlack:
        """Start a fake on a free port of 127.0.0.1; call `stop()` when done."""
        server = HTTPServer(host="127.0.0.1", port=0, threaded=threaded)
        server.start()
        return cls(server, token)

    def stop(self) -> None:
        """Stop the server."""
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL."""
        return self.server.url_for("/api/")

    def response_url(self, channel: str | None = None) -> str:
        """A fresh response_url whose posts are recorded as `response_url` calls; with `channel`, an in_channel
        answer also becomes a message of that channel (with a ts, as the bot's), as Slack shows it."""
        url = self.server.url_for(f"/response/{next(self._response_ids)}")
        if channel is not None:
            self._response_channels[urlsplit(url).path] = channel
        return url

    def reset(self) -> None:
        """Forget every call, message and scripted failure (to share one server between tests)."""
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self._response_channels.clear()
            self.failures.clear()
            self.channel_errors.clear()
            self.history_error = None
            self.socket_url = None
            self.posts_per_second = None
            self.throttled = 0
            self._last_post.clear()

    # --- scripting ---

    def fail(self, method: str, error: str | None = None, status: int = 200, headers: dict | None = None,
             body: dict | str | None = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (Slack answers errors as 200 + ok:false)."""
        payload = body if body is not None else {"ok": False, "error": error}
        with self._lock:
            self.failures.setdefault(method, []).extend([Failure(status, payload, headers or {})] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls get 429 with Retry-After."""
        self.fail(method, "ratelimited", status=429, headers={"Retry-After": str(retry_after)}, times=times)

    # --- reading what happened ---

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` arrived (the bot answers from background threads)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.calls_to(method)) >= count, timeout):
                raise AssertionError(f"expected {count} {method} call(s), got {len(self.calls_to(method))}")
            return self.calls_to(method)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        return [call for call in self.calls if call.method == method]

    def posts(self, channel: str | None = None) -> list[dict]:
        """chat.postMessage parameters that were accepted, optionally for one channel."""
        return [m for ch, msgs in self.messages.items() if channel in (None, ch) for m in msgs]

    def delivery_keys(self) -> list[tuple[str, str | None]]:
        """(channel, delivery key from the message metadata) of every accepted post, oldest first per channel."""
        with self._lock:
            return [(channel, ((message.get("metadata") or {}).get("event_payload") or {}).get("key"))
                    for channel, messages in self.messages.items() for message in messages]

    # --- handlers ---

    def _record(self, method: str, request: Request) -> dict:
        params: dict = dict(parse_qsl(request.query_string.decode()))
        raw = request.get_data(as_text=True)
        if request.mimetype == "application/json" and raw:
            params.update(json.loads(raw))
        elif raw:
            params.update(dict(parse_qsl(raw)))
        for name in ("metadata", "blocks", "unfurls"):
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        with self._lock:
            self.calls.append(Call(method, params, dict(request.headers)))
            self._arrived.notify_all()
        return params

    def _scripted(self, method: str) -> Response | None:
        with self._lock:
            queue = self.failures.get(method)
            failure = queue.pop(0) if queue else None
        if failure is None:
            return None
        body = failure.body if isinstance(failure.body, str) else json.dumps(failure.body)
        return Response(body, status=failure.status, headers=failure.headers,
                        content_type="application/json" if not isinstance(failure.body, str) else "text/plain")

    @staticmethod
    def _json(body: dict) -> Response:
        return Response(json.dumps(body), content_type="application/json")

    def _api(self, request: Request) -> Response:
        method = request.path.rsplit("/", 1)[-1]
        params = self._record(method, request)
        if request.headers.get("Authorization", "") != f"Bearer {self.token}" and method != "apps.connections.open":
            return self._json({"ok": False, "error": "invalid_auth"})
        scripted = self._scripted(method)
        if scripted is not None:
            return scripted
        if method == "chat.postMessage" and self._over_rate(params.get("channel", "")):
            return Response(json.dumps({"ok": False, "error": "ratelimited"}), status=429,
                            headers={"Retry-After": "1"}, content_type="application/json")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._json({"ok": False, "error": "unknown_method"})
        return self._json(handler(params))

    def _over_rate(self, channel: str) -> bool:
        if self.posts_per_second is None:
            return False
        now = time.monotonic()
        with self._lock:
            if now - self._last_post.get(channel, float("-inf")) < 1 / self.posts_per_second:
                self.throttled += 1
                return True
            self._last_post[channel] = now
            return False

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "commit-radar",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}

    def _chat_postMessage(self, params: dict) -> dict:
        channel = params.get("channel", "")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        with self._lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message = {**params, "ts": ts, "user": BOT_USER, "type": "message"}
            self.messages.setdefault(channel, []).append(message)
            parent = params.get("thread_ts")
            if parent:
                for other in self.messages[channel]:
                    if other["ts"] == parent:
                        other["reply_count"] = other.get("reply_count", 0) + 1
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}

    def _chat_unfurl(self, params: dict) -> dict:
        return {"ok": True}

    def _visible(self, message: dict, params: dict) -> dict:
        shown = {key: message[key] for key in ("ts", "text", "user", "bot_id", "type", "thread_ts", "reply_count")
                 if key in message}
        if params.get("include_all_metadata") in (True, "true", "1", 1) and "metadata" in message:
            shown["metadata"] = message["metadata"]
        return shown

    def _conversations_history(self, params: dict) -> dict:
        if self.history_error:
            return {"ok": False, "error": self.history_error}
        oldest = float(params.get("oldest") or 0)
        top = [m for m in self.messages.get(params.get("channel", ""), [])
               if not m.get("thread_ts") and float(m["ts"]) > oldest]
        return {"ok": True, "messages": [self._visible(m, params) for m in reversed(top)], "has_more": False,
                "response_metadata": {"next_cursor": ""}}

    def _conversations_replies(self, params: dict) -> dict:
        parent = params.get("ts")
        thread = [m for m in self.messages.get(params.get("channel", ""), [])
                  if m["ts"] == parent or m.get("thread_ts") == parent]
        return {"ok": True, "messages": [self._visible(m, params) for m in thread], "has_more": False}

    def _apps_connections_open(self, params: dict) -> dict:
        if not self.socket_url:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_url}

    def _response(self, request: Request) -> Response:
        params = json.loads(request.get_data(as_text=True) or "{}")
        params["_path"] = request.path
        scripted = self._scripted("response_url")
        with self._lock:
            self.calls.append(Call("response_url", params, dict(request.headers)))
            channel = self._response_channels.get(request.path)
            if scripted is None and channel is not None and params.get("response_type") == "in_channel":
                ts = f"{int(time.time())}.{next(self._ts):06d}"
                self.messages.setdefault(channel, []).append(
                    {**params, "ts": ts, "user": BOT_USER, "bot_id": BOT_ID, "type": "message"})
            self._arrived.notify_all()
        return scripted if scripted is not None else Response("ok", content_type="text/plain")

    def responses(self, url: str | None = None) -> list[dict]:
        """What was posted to response_urls (to one of them when `url` is given)."""
        path = urlsplit(url).path if url else None
        return [call.params for call in self.calls_to("response_url") if path in (None, call.params["_path"])]


# --- what Slack sends to /slack/events ---


def signed_headers(secret: str, body: str, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers of a request signed with the signing secret (v0 HMAC-SHA256 over `v0:ts:body`)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def command_body(command: str, text: str, response_url: str, channel: str = "C0001", user: str = "U0001") -> str:
    """A slash command's form body as Slack posts it."""
    return urlencode({
        "token": "legacy", "team_id": TEAM, "team_domain": "fake", "channel_id": channel, "channel_name": "general",
        "user_id": user, "user_name": "ada", "command": command, "text": text, "api_app_id": "A0001",
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": "1.2.3",
    })


def event_body(event: dict, event_id: str = "Ev0001") -> str:
    """An Events API callback as JSON."""
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0001", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})


@pytest.fixture(scope="module")
def shared_fake():
    """One fake Slack per test module (starting a server costs time)."""
    server = FakeSlack.serve()
    yield server
    server.stop()


@pytest.fixture
def fake(shared_fake):
    """The module's fake Slack, emptied for this test."""
    shared_fake.reset()
    return shared_fake


def mention_event(text: str, thread_ts: str | None, channel: str = "C0001", user: str = "U0001",
                  ts: str = "1767225600.000100") -> dict:
    """An app_mention event as Slack sends it for `text` (which should hold `<@UBOT>`), in a thread when given."""
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event
