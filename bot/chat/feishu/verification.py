"""What makes a `/feishu/events` request trustworthy: its signature and age, then its decryption and token.

With an Encrypt Key set, Feishu signs each event: `X-Lark-Signature` is the hex SHA-256 of
timestamp + nonce + encrypt_key + raw body (`X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce`).
The signature and the timestamp's age are checked before anything is decrypted, so a forged or
replayed body never reaches the cipher.

The one request that comes unsigned is the `url_verification` challenge sent when the URL is
saved in the developer console (lark-oapi answers it without a signature too). Its body must be
decrypted to be checked at all, so that path is built to teach a prober nothing: a wrong key, bad
base64, a bad length or padding, garbage plaintext, another kind of event and a wrong token all
end in the same `Refused`, padding is checked without an early exit and the plaintext is parsed
either way, and only a few unsigned requests a minute are decrypted at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from Crypto.Cipher import AES

MAX_AGE = 300  # seconds either way, as Slack allows
UNSIGNED_PER_MINUTE = 30  # challenges come once per save of the URL; a padding oracle needs thousands
URL_VERIFICATION = "url_verification"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_BLOCK = AES.block_size


class Refused(Exception):
    """The request is not shown to come from Feishu; `reason` is for the log, never for the answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    """A request that passed every check: the event as JSON and as bytes for the dispatcher."""

    event: dict
    plaintext: bytes

    @property
    def challenge(self) -> str | None:
        """The value to echo when this is a `url_verification` request."""
        if "schema" not in self.event and self.event.get("type") == URL_VERIFICATION:
            value = self.event.get("challenge")
            return value if isinstance(value, str) else None
        return None


class Allowance:
    """At most `limit` uses per `per` seconds, all callers together."""

    def __init__(self, limit: int, per: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._per = per
        self._clock = clock
        self._used: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one, or False when none is left in this window."""
        now = self._clock()
        with self._lock:
            while self._used and now - self._used[0] >= self._per:
                self._used.popleft()
            if len(self._used) >= self._limit:
                return False
            self._used.append(now)
            return True


class FeishuVerifier:
    """Checks one request; `verify` returns it as `Verified` or raises `Refused`."""

    def __init__(self, encrypt_key: str | None, verification_token: str, now: Callable[[], float] = time.time,
                 unsigned: Allowance | None = None) -> None:
        self._key = encrypt_key or ""
        self._aes_key = hashlib.sha256(self._key.encode("utf-8")).digest()
        self._token = verification_token.encode("utf-8")
        self._now = now
        self._unsigned = unsigned or Allowance(UNSIGNED_PER_MINUTE)

    def verify(self, headers: Mapping[str, str], body: bytes, outer: dict) -> Verified:
        """`headers` by lower-case name, the raw `body` and its JSON object `outer`."""
        timestamp, nonce, signature = (headers.get(name) for name in
                                       ("x-lark-request-timestamp", "x-lark-request-nonce", "x-lark-signature"))
        if not self._key:
            if "encrypt" in outer:
                raise Refused("encrypted body but no FEISHU_ENCRYPT_KEY")
            return self._with_token(outer, body)
        if any(part is not None for part in (timestamp, nonce, signature)):
            self._check_signature(timestamp, nonce, signature, body)
            event, plaintext = self._open(outer, body)
            if event is None:
                raise Refused("signed body cannot be decrypted")
            return self._with_token(event, plaintext)
        if not self._unsigned.take():
            raise Refused("too many unsigned requests")
        event, plaintext = self._open(outer, body)
        # One test for every failure, so they cannot be told apart by their answer.
        if event is None or "schema" in event or event.get("type") != URL_VERIFICATION or not self._token_ok(event):
            raise Refused("unsigned request that is no challenge")
        return Verified(event, plaintext)

    def _check_signature(self, timestamp: str | None, nonce: str | None, signature: str | None, body: bytes) -> None:
        if timestamp is None or nonce is None or signature is None:
            raise Refused("incomplete signature headers")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused("malformed timestamp")
        if abs(self._now() - int(timestamp)) > MAX_AGE:
            raise Refused("stale timestamp")
        expected = hashlib.sha256((timestamp + nonce + self._key).encode("utf-8") + body).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            raise Refused("bad signature")

    def _with_token(self, event: dict, plaintext: bytes) -> Verified:
        if not self._token_ok(event):
            raise Refused("bad verification token")
        return Verified(event, plaintext)

    def _token_ok(self, event: dict) -> bool:
        # Schema 2.0 events carry the token in their header; v1 events and the challenge at the top.
        holder = event.get("header") if "schema" in event else event
        token = holder.get("token") if isinstance(holder, dict) else None
        return (bool(self._token) and isinstance(token, str)
                and hmac.compare_digest(token.encode("utf-8", "replace"), self._token))

    def _open(self, outer: dict, body: bytes) -> tuple[dict | None, bytes]:
        """The event inside `outer` (decrypted when it is encrypted), or None when it is unreadable."""
        if "encrypt" not in outer:
            return outer, body
        plaintext, padded = self._decrypt(outer["encrypt"])
        try:
            event = json.loads(plaintext.decode("utf-8"))
        except (ValueError, RecursionError):
            event = None
        if not padded or not isinstance(event, dict):
            return None, b""
        return event, plaintext

    def _decrypt(self, text: object) -> tuple[bytes, bool]:
        # AES-256-CBC, key SHA-256(encrypt key), the IV in front, PKCS#7 padding, base64.
        if not isinstance(text, str):
            return b"", False
        try:
            raw = base64.b64decode(text)
        except ValueError:
            return b"", False
        if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
            return b"", False
        padded = AES.new(self._aes_key, AES.MODE_CBC, raw[:_BLOCK]).decrypt(raw[_BLOCK:])
        # The padding is checked in full whatever its first byte says, and the caller parses the
        # plaintext either way: bad padding takes the same path as a bad plaintext.
        pad = padded[-1]
        size = pad if 1 <= pad <= _BLOCK else _BLOCK
        valid = hmac.compare_digest(padded[-size:], bytes([pad]) * size) and pad == size
        return padded[:-size], valid
