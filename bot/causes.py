"""Why a call to another service failed, in a few words: the cause behind an exception chain, and bounded text.

HTTP libraries wrap the operating system's answer in two or three layers (requests around
urllib3 around socket; openai around httpx around httpcore; psycopg's text). The layers' own
messages repeat the URL and bury the cause, so the chain is walked down to the answer that says
what happened. Library types are recognised by class name, so this module imports none of them.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.scrub import Scrubber

DNS = "dns"
REFUSED = "refused"
UNREACHABLE = "unreachable"
CONNECT_TIMEOUT = "connect_timeout"
TIMEOUT = "timeout"
TLS = "tls"
DROPPED = "dropped"

_TEXT = {
    DNS: "the name does not resolve",
    REFUSED: "connection refused",
    UNREACHABLE: "no route to the host",
    CONNECT_TIMEOUT: "connecting timed out",
    TIMEOUT: "no answer in time",
    DROPPED: "the connection closed before the answer was complete",
}
# Drivers that only give text (psycopg, some proxies): the operating system's words inside it.
_TEXT_PATTERNS = (
    (DNS, re.compile(r"name or service not known|nodename nor servname|temporary failure in name resolution|"
                     r"could not translate host name|failed to resolve host|no address associated with hostname|"
                     r"getaddrinfo failed", re.IGNORECASE)),
    (REFUSED, re.compile(r"connection refused", re.IGNORECASE)),
    (UNREACHABLE, re.compile(r"network is unreachable|no route to host", re.IGNORECASE)),
    (TLS, re.compile(r"certificate verify failed|ssl error|tls", re.IGNORECASE)),
    (TIMEOUT, re.compile(r"timeout expired|timed out", re.IGNORECASE)),
)
_DROPPED_NAMES = {"RemoteDisconnected", "ProtocolError", "ChunkedEncodingError", "RemoteProtocolError",
                  "IncompleteRead", "ReadError", "WriteError"}
_SSL_NOISE = re.compile(r"^\[SSL(?:: [A-Z_]+)?\]\s*|\s*\(_ssl\.c:\d+\)$")


@dataclass(frozen=True)
class Cause:
    """One failure's kind (a constant of this module) and a few words for people."""

    kind: str
    text: str


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and all it wraps (`__cause__`, `__context__`, `.reason`, exception args), outermost first."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None),
                 *getattr(current, "args", ())]
        pending.extend(item for item in inner if isinstance(item, BaseException))


def network_cause(exc: BaseException) -> Cause | None:
    """The network, TLS or timeout cause somewhere in `exc`'s chain; None when it is none of those."""
    found: dict[str, Cause] = {}
    for item in chain(exc):
        cause = _typed_cause(item)
        if cause is not None:
            found.setdefault(cause.kind, cause)
    if not found:
        for item in chain(exc):
            for kind, pattern in _TEXT_PATTERNS:
                if pattern.search(str(item)):
                    found.setdefault(kind, Cause(kind, _TEXT.get(kind) or _tls_words(str(item))))
    # The most specific answer wins: a resolver or a refusal says more than the timeout that followed.
    for kind in (DNS, REFUSED, UNREACHABLE, TLS, CONNECT_TIMEOUT, TIMEOUT, DROPPED):
        if kind in found:
            return found[kind]
    return None


def describe(exc: BaseException) -> str:
    """A short line for any failure: its network cause, else the innermost message that says something."""
    cause = network_cause(exc)
    if cause is not None:
        return cause.text
    for item in reversed(list(chain(exc))):
        if isinstance(item, OSError) and item.strerror:
            return f"{item.strerror}: {item.filename}" if item.filename else item.strerror
    for item in chain(exc):
        text = first_line(str(item))
        if text:
            return text
    return type(exc).__name__


def first_line(text: str) -> str:
    """The first non-empty line, whitespace collapsed."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def one_line(text: str) -> str:
    """All of `text` on one line, whitespace runs collapsed to one space."""
    return " ".join(text.split())


def clip_middle(text: str, limit: int) -> str:
    """`text` at most `limit` characters, cutting the middle so its start and its end both stay."""
    if len(text) <= limit:
        return text
    marker = " … "
    keep = max(0, limit - len(marker))
    head = keep - keep // 3
    return text[:head].rstrip() + marker + text[len(text) - (keep - head):].lstrip()


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longest first, so a secret inside another goes too) and token shown as ***."""
    return Scrubber(secrets).scrub(text)


def _names(exc: BaseException) -> set[str]:
    return {klass.__name__ for klass in type(exc).__mro__}


def _typed_cause(exc: BaseException) -> Cause | None:
    names = _names(exc)
    if isinstance(exc, socket.gaierror) or "NameResolutionError" in names:
        return Cause(DNS, _TEXT[DNS])
    if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        return Cause(REFUSED, _TEXT[REFUSED])
    if getattr(exc, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return Cause(UNREACHABLE, _TEXT[UNREACHABLE])
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or "certificate verify failed"
        return Cause(TLS, f"the server's TLS certificate is not trusted ({detail})")
    if isinstance(exc, ssl.SSLError):
        return Cause(TLS, _tls_words(str(exc)))
    if names & {"ConnectTimeout", "ConnectTimeoutError"}:
        return Cause(CONNECT_TIMEOUT, _TEXT[CONNECT_TIMEOUT])
    if isinstance(exc, TimeoutError) or any("Timeout" in name for name in names):
        return Cause(TIMEOUT, _TEXT[TIMEOUT])
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or names & _DROPPED_NAMES:
        return Cause(DROPPED, _TEXT[DROPPED])
    return None


def _tls_words(text: str) -> str:
    detail = _SSL_NOISE.sub("", first_line(text)).strip()
    return f"the TLS handshake failed ({detail})" if detail else "the TLS handshake failed"


def unreachable_text(cause: Cause | None, host: str, *, url_setting: str, timeout: float | None = None,
                     timeout_setting: str | None = None, ca_setting: str = "REQUESTS_CA_BUNDLE", tries: str = "",
                     fallback: str = "") -> str:
    """What happened and what to check, for a request to `host` that got no answer.

    `url_setting` names the variable holding the address, `timeout_setting` the one holding the
    timeout (when the operator may raise it), `ca_setting` where trusted certificates come from.
    """
    kind = cause.kind if cause else None
    text = cause.text if cause else ""
    within = f" within {timeout:g} s" if timeout else ""
    if kind == DNS:
        return f"cannot reach {host}: {text}{tries}; check {url_setting} and this machine's DNS"
    if kind == REFUSED:
        return f"cannot reach {host}: {text}{tries}; check {url_setting} and that the server is up"
    if kind in (UNREACHABLE, CONNECT_TIMEOUT):
        return f"cannot reach {host}: {text}{within}{tries}; check {url_setting}, the network and any proxy"
    if kind == TIMEOUT:
        raise_it = f", or raise {timeout_setting}" if timeout_setting else ""
        return f"no answer from {host}{within}{tries}; check the network and any proxy{raise_it}"
    if kind == TLS:
        return (f"no secure connection to {host}: {text}{tries}; check {url_setting} (https:// on a "
                f"plain-HTTP port?) and the trusted certificates ({ca_setting})")
    if kind == DROPPED:
        return f"{host} dropped the connection: {text}{tries}; check the network and any proxy"
    return f"the request to {host} failed{': ' + fallback if fallback else ''}{tries}"
