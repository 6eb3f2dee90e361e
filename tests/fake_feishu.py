"""A fake Feishu Open API on pytest-httpserver, and real encrypted, signed event payloads.

`FakeFeishu(httpserver)` serves what the bot calls — `auth/v3/tenant_access_token/internal`,
`bot/v3/info`, `im/v1/messages` (create), `im/v1/messages/:id/reply`, custom-bot webhooks at
`/open-apis/bot/v2/hook/<token>` and the long-connection endpoint lookup — records every call,
de-duplicates sends by `uuid` as Feishu does, and can be scripted to fail.

The event builders make payloads the way Feishu makes them: AES-256-CBC with SHA-256 of the
Encrypt Key as the key, a random IV prepended, PKCS#7 padding, base64; and the
`X-Lark-Signature` header = sha256(timestamp + nonce + encrypt_key + body) in hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from Crypto.Cipher import AES
from werkzeug import Request, Response

API = "/open-apis"
WEBHOOK_LIMIT = 20 * 1024


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict
    body: dict | None
    headers: dict


@dataclass
class Message:
    """One message that really appeared in a chat (a `uuid` re-send is not a new one)."""

    message_id: str
    chat_id: str | None
    msg_type: str
    content: dict
    uuid: str | None
    reply_to: str | None = None
    reply_in_thread: bool = False


@dataclass
class HookPost:
    """One accepted custom-bot webhook post."""

    token: str
    body: dict


@dataclass
class Scripted:
    status: int
    body: dict | str
    headers: dict = field(default_factory=dict)


class FakeFeishu:
    """The Open API subset the bot uses; `base_url` goes into FEISHU_DOMAIN."""

    def __init__(self, httpserver, bot_open_id: str = "ou_bot_commit_radar") -> None:
        self.server = httpserver
        self.app_id = f"cli_{uuid.uuid4().hex[:16]}"  # unique: lark-oapi caches tokens per app id
        self.app_secret = "secret-" + uuid.uuid4().hex
        self.token = "t-" + uuid.uuid4().hex
        self.bot_open_id = bot_open_id
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.hook_posts: list[HookPost] = []
        self.hook_secrets: dict[str, str] = {}
        self.ws_url: str | None = None
        self._by_uuid: dict[str, Message] = {}
        self._script: dict[str, list[Scripted]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        httpserver.expect_request(f"{API}/auth/v3/tenant_access_token/internal", method="POST").respond_with_handler(self._token)
        httpserver.expect_request(f"{API}/bot/v3/info", method="GET").respond_with_handler(self._bot_info)
        httpserver.expect_request(f"{API}/im/v1/messages", method="POST").respond_with_handler(self._create)
        httpserver.expect_request(re.compile(rf"^{API}/im/v1/messages/[^/]+/reply$"), method="POST").respond_with_handler(self._reply)
        httpserver.expect_request(re.compile(rf"^{API}/bot/v2/hook/[^/]+$"), method="POST").respond_with_handler(self._hook)
        httpserver.expect_request("/callback/ws/endpoint", method="POST").respond_with_handler(self._ws_endpoint)

    # --- configuration and scripting ---

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, the FEISHU_DOMAIN of the fake."""
        return self.server.url_for("/").rstrip("/")

    def hook_url(self, token: str, secret: str | None = None) -> str:
        """A custom-bot webhook URL; with `secret`, the hook checks signatures like Feishu."""
        if secret:
            self.hook_secrets[token] = secret
        return f"{self.base_url}{API}/bot/v2/hook/{token}"

    def fail_next(self, kind: str, status: int, body: dict | str, headers: dict | None = None, times: int = 1) -> None:
        """Answer the next `times` requests of `kind` (token, info, create, reply, hook) with this."""
        with self._lock:
            self._script.setdefault(kind, []).extend(Scripted(status, body, headers or {}) for _ in range(times))

    def rate_limit_next(self, kind: str, times: int = 1, reset: int = 2) -> None:
        """Feishu's gateway limit: HTTP 429, code 99991400, `x-ogw-ratelimit-reset`."""
        self.fail_next(kind, 429, {"code": 99991400, "msg": "request trigger frequency limit"},
                       {"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": str(reset)}, times)

    def calls_to(self, kind: str) -> list[Call]:
        """Calls of one kind, in order."""
        return [call for call in self.calls if _kind(call.path) == kind]

    # --- handlers ---

    def _record(self, request: Request) -> Call:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        call = Call(request.method, request.path, dict(request.args), body, dict(request.headers))
        with self._lock:
            self.calls.append(call)
        return call

    def _scripted(self, kind: str) -> Response | None:
        with self._lock:
            queue = self._script.get(kind)
            scripted = queue.pop(0) if queue else None
        if scripted is None:
            return None
        if isinstance(scripted.body, str):
            return Response(scripted.body, status=scripted.status, headers=scripted.headers, content_type="text/html")
        return _json(scripted.body, scripted.status, scripted.headers)

    def _token(self, request: Request) -> Response:
        call = self._record(request)
        scripted = self._scripted("token")
        if scripted:
            return scripted
        body = call.body or {}
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            return _json({"code": 10014, "msg": "app secret invalid"}, 400)
        return _json({"code": 0, "msg": "ok", "tenant_access_token": self.token, "expire": 7200})

    def _authorised(self, call: Call) -> bool:
        return call.headers.get("Authorization") == f"Bearer {self.token}"

    def _bot_info(self, request: Request) -> Response:
        call = self._record(request)
        scripted = self._scripted("info")
        if scripted:
            return scripted
        if not self._authorised(call):
            return _json({"code": 99991663, "msg": "Invalid access token"}, 400)
        return _json({"code": 0, "msg": "ok", "bot": {"open_id": self.bot_open_id, "app_name": "commit-radar",
                                                     "activate_status": 2}})

    def _create(self, request: Request) -> Response:
        call = self._record(request)
        scripted = self._scripted("create")
        if scripted:
            return scripted
        if not self._authorised(call):
            return _json({"code": 99991663, "msg": "Invalid access token"}, 400)
        if call.query.get("receive_id_type") != "chat_id":
            return _json({"code": 230001, "msg": "invalid receive_id_type"}, 400)
        body = call.body or {}
        return self._deliver(body, chat_id=body.get("receive_id"), reply_to=None, in_thread=False)

    def _reply(self, request: Request) -> Response:
        call = self._record(request)
        scripted = self._scripted("reply")
        if scripted:
            return scripted
        if not self._authorised(call):
            return _json({"code": 99991663, "msg": "Invalid access token"}, 400)
        parent_id = call.path.split("/")[-2]
        parent = next((m for m in self.messages if m.message_id == parent_id), None)
        body = call.body or {}
        return self._deliver(body, chat_id=parent.chat_id if parent else None, reply_to=parent_id,
                             in_thread=bool(body.get("reply_in_thread")))

    def _deliver(self, body: dict, chat_id: str | None, reply_to: str | None, in_thread: bool) -> Response:
        try:
            content = json.loads(body.get("content") or "")
        except ValueError:
            return _json({"code": 230001, "msg": "invalid message content"}, 400)
        request_uuid = body.get("uuid")
        with self._lock:
            message = self._by_uuid.get(request_uuid) if request_uuid else None
            if message is None:
                message = Message(f"om_{next(self._ids):04d}", chat_id, body.get("msg_type", ""), content,
                                  request_uuid, reply_to, in_thread)
                self.messages.append(message)
                if request_uuid:
                    self._by_uuid[request_uuid] = message
        return _json({"code": 0, "msg": "success", "data": {
            "message_id": message.message_id, "chat_id": message.chat_id, "msg_type": message.msg_type,
            "parent_id": reply_to or "", "root_id": reply_to or ""}})

    def _hook(self, request: Request) -> Response:
        call = self._record(request)
        scripted = self._scripted("hook")
        if scripted:
            return scripted
        if len(request.get_data()) > WEBHOOK_LIMIT or not isinstance(call.body, dict):
            return _json({"code": 9499, "msg": "Bad Request", "data": {}})
        token = call.path.rsplit("/", 1)[-1]
        secret = self.hook_secrets.get(token)
        if secret:
            timestamp = str(call.body.get("timestamp", ""))
            expected = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
            if call.body.get("sign") != expected:
                return _json({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time",
                              "data": {}})
        with self._lock:
            self.hook_posts.append(HookPost(token, call.body))
        return _json({"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"})

    def _ws_endpoint(self, request: Request) -> Response:
        call = self._record(request)
        body = call.body or {}
        if body.get("AppID") != self.app_id or body.get("AppSecret") != self.app_secret or not self.ws_url:
            return _json({"code": 1000040343, "msg": "auth failed"})
        return _json({"code": 0, "msg": "ok", "data": {"URL": self.ws_url, "ClientConfig": {
            "ReconnectCount": 0, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}}})


def _kind(path: str) -> str:
    if path.endswith("/tenant_access_token/internal"):
        return "token"
    if path.endswith("/bot/v3/info"):
        return "info"
    if path.endswith("/reply"):
        return "reply"
    if path.endswith("/im/v1/messages"):
        return "create"
    if "/bot/v2/hook/" in path:
        return "hook"
    return "other"


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json; charset=utf-8")


# --- events, made as Feishu makes them ---------------------------------------------------------


def encrypt(payload: dict, encrypt_key: str) -> dict:
    """`{"encrypt": …}`: AES-256-CBC, key SHA-256(encrypt_key), random IV in front, PKCS#7, base64."""
    plain = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    pad = AES.block_size - len(plain) % AES.block_size
    iv = os.urandom(AES.block_size)
    cipher = AES.new(hashlib.sha256(encrypt_key.encode("utf-8")).digest(), AES.MODE_CBC, iv)
    return {"encrypt": base64.b64encode(iv + cipher.encrypt(plain + bytes([pad]) * pad)).decode("ascii")}


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """`X-Lark-Signature`: hex SHA-256 of timestamp + nonce + encrypt_key + raw body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def signed_request(payload: dict, encrypt_key: str, timestamp: str | None = None,
                   nonce: str | None = None) -> tuple[bytes, dict]:
    """The body and headers Feishu sends for `payload` with encryption on (signed now unless `timestamp`)."""
    timestamp = timestamp or str(int(time.time()))
    body = json.dumps(encrypt(payload, encrypt_key)).encode("utf-8")
    nonce = nonce or uuid.uuid4().hex[:12]
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Lark-Request-Timestamp": timestamp,
               "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": signature(timestamp, nonce, encrypt_key, body)}
    return body, headers


def challenge(token: str, value: str = "ajls384kdjx98XX") -> dict:
    """The `url_verification` request Feishu sends when the event URL is saved."""
    return {"challenge": value, "token": token, "type": "url_verification"}


# One keyword per field of the event a test may want to set; all but the token and text are optional.
def message_event(token: str, text: str, *, event_id: str | None = None, chat_id: str = "oc_chat",  # noqa: PLR0913
                  chat_type: str = "p2p", sender: str = "ou_user", mentions: list[dict] | None = None,
                  thread_id: str | None = None, message_type: str = "text", sender_type: str = "user",
                  app_id: str = "cli_app") -> dict:
    """An `im.message.receive_v1` event (schema 2.0) carrying `text`."""
    message = {
        "message_id": f"om_in_{uuid.uuid4().hex[:10]}", "root_id": "", "parent_id": "",
        "create_time": "1767225600000", "update_time": "1767225600000", "chat_id": chat_id,
        "chat_type": chat_type, "message_type": message_type, "content": json.dumps({"text": text}),
        "mentions": mentions or [],
    }
    if thread_id:
        message["thread_id"] = thread_id
    return {
        "schema": "2.0",
        "header": {"event_id": event_id or uuid.uuid4().hex, "event_type": "im.message.receive_v1",
                   "create_time": "1767225600000", "token": token, "app_id": app_id, "tenant_key": "tenant"},
        "event": {"sender": {"sender_id": {"open_id": sender, "union_id": "on_x", "user_id": "u_x"},
                             "sender_type": sender_type, "tenant_key": "tenant"},
                  "message": message},
    }


def mention(key: str, open_id: str, name: str) -> dict:
    """One entry of a message's `mentions`."""
    return {"key": key, "id": {"open_id": open_id, "union_id": "on_m", "user_id": "u_m"}, "name": name,
            "tenant_key": "tenant"}
