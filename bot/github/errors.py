"""Typed GitHub failures, built from the response, so callers decide by kind rather than by status code.

Each error's text says what happened and what to check, and names its target (`owner/name@ref`)
once: `str(exc)` is `target: message`, and `message` alone reads well after a caller's own prefix.
Upstream words quoted in a message are scrubbed when the error is made (bot.scrub), so no
credential an upstream echoed reaches a cursor, a log line, a notice or a reply through one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.causes import clip_middle, network_cause, one_line, redact, unreachable_text
from bot.domain import RepoRef
from bot.scrub import scrub_text

SECONDARY_LIMIT_HINTS = ("secondary rate limit", "please retry your request again later",
                         "please wait a few minutes before you try again", "abuse detection")
# An upstream body is quoted, not pasted: a proxy's HTML page must not push the hint off the line.
QUOTED_BODY = 200


@dataclass(frozen=True)
class Endpoint:
    """Where requests go, for error texts: the host as configured, the timeout, and what must never be echoed."""

    host: str = "GitHub"
    timeout: float | None = None
    secrets: tuple[str, ...] = ()


class GitHubError(Exception):
    """Base of every GitHub failure; `kind` is the short name stored on the cursor."""

    kind = "github"

    def __init__(self, message: str, status: int | None = None, *, target: str = "") -> None:
        message = scrub_text(message)
        super().__init__(f"{target}: {message}" if target else message)
        self.message = message
        self.status = status
        self.target = target

    def text_for(self, known: str) -> str:
        """The text for a reader already told about `known` (`owner/name` or `owner/name@branch`).

        The target is named only as far as it adds to `known`: `commit abc123: ...` under a branch.
        """
        target, known = self.target, known.strip()
        if not target or target.lower() == known.lower():
            return self.message
        repo = known.split("@", 1)[0]
        for prefix in (known, repo):
            if target.lower().startswith(prefix.lower()) and target[len(prefix):len(prefix) + 1] in ("", " ", "@"):
                rest = target[len(prefix):].lstrip(" @")
                if not rest:
                    return self.message
                word = "commit " if _looks_like_sha(rest.split(" ", 1)[0]) else ""
                return f"{word}{rest}: {self.message}"
        return str(self)


class NotFound(GitHubError):
    """404 (or 422 for an unknown SHA): the repository, branch or commit does not exist or is not visible."""

    kind = "not_found"


class Forbidden(GitHubError):
    """403 that is not a rate limit: the token may not read this resource."""

    kind = "forbidden"


class Moved(GitHubError):
    """The repository was renamed or transferred; `new_repo` is its current name."""

    kind = "moved"

    def __init__(self, message: str, new_repo: RepoRef, status: int | None = 301, *, target: str = "") -> None:
        super().__init__(message, status, target=target)
        self.new_repo = new_repo


class EmptyRepository(GitHubError):
    """409: the repository has no commits yet."""

    kind = "empty"


class BadCredentials(GitHubError):
    """401: the token is wrong, expired or revoked."""

    kind = "bad_credentials"


class RateLimited(GitHubError):
    """A primary or secondary rate limit whose wait is longer than we are willing to block for."""

    kind = "rate_limited"

    def __init__(self, message: str, status: int | None = None, reset_at: datetime | None = None,
                 retry_after: float | None = None, *, target: str = "") -> None:
        super().__init__(message, status, target=target)
        self.reset_at = reset_at
        self.retry_after = retry_after


class Unavailable(GitHubError):
    """5xx answers, timeouts or refused connections that outlasted the retries."""

    kind = "unavailable"


class UnexpectedResponse(GitHubError):
    """A successful answer (200) whose body is empty, not JSON, or not the shape the bot reads.

    A proxy or a server that is not GitHub's API answering in its place, or an API change: counted
    and reported like any other poll failure, never a crash.
    """

    kind = "unexpected_response"


def unexpected_text(host: str, path: str, problem: str, status: int = 200) -> str:
    """The message of an UnexpectedResponse: who answered which path, what was wrong, what to check."""
    return (f"{host} answered {path} (HTTP {status}) with {problem}; check GITHUB_API_URL "
            f"(GitHub Enterprise Server: https://HOST/api/v3) and any proxy in between")


def body_message(body: str) -> str:
    """The `message` field of a GitHub error body, or the start of the raw text."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return body[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return body[:200]


def is_rate_limit(status: int, headers: Mapping[str, str], body: str) -> bool:
    """True for 429, or for a 403 that GitHub marks as a primary or secondary limit."""
    if status == 429:
        return True
    if status != 403:
        return False
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    message = body_message(body).lower()
    return message.startswith("api rate limit exceeded") or any(hint in message for hint in SECONDARY_LIMIT_HINTS)


def is_secondary_limit(body: str) -> bool:
    """True when the body names a secondary (abuse) limit rather than the hourly budget."""
    message = body_message(body).lower()
    return any(hint in message for hint in SECONDARY_LIMIT_HINTS)


def reset_time(headers: Mapping[str, str]) -> datetime | None:
    """X-RateLimit-Reset as an aware UTC datetime."""
    value = headers.get("x-ratelimit-reset")
    try:
        return datetime.fromtimestamp(int(float(value)), UTC) if value else None
    except (ValueError, OverflowError, OSError):
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (GitHub sends delta-seconds)."""
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def quoted_body(body: str, secrets: tuple[str, ...] = ()) -> str:
    """What the server said, on one line, secrets hidden, a long text cut in its middle."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    said = data["message"] if isinstance(data, dict) and isinstance(data.get("message"), str) else body
    return clip_middle(redact(one_line(said), secrets), QUOTED_BODY)


def error_for(status: int, headers: Mapping[str, str], body: str, what: str, endpoint: Endpoint | None = None,
              attempts: int = 1) -> GitHubError:
    """The typed error for an unsuccessful answer about `what` (`owner/name@main`), naming the cause and the fix."""
    endpoint = endpoint or Endpoint()
    host = endpoint.host
    said = quoted_body(body, endpoint.secrets)
    answer = f"HTTP {status}: {said}" if said else f"HTTP {status}"
    if status == 401:
        return BadCredentials(f"{host} rejected the credentials ({answer}); check GITHUB_TOKEN: "
                              f"it is wrong, expired or revoked", status, target=what)
    if is_rate_limit(status, headers, body):
        return RateLimited(_rate_limit_text(host, answer, headers), status, reset_at=reset_time(headers),
                           retry_after=retry_after(headers), target=what)
    if status == 403:
        return Forbidden(f"{host} refused access ({answer}); {_forbidden_hint(headers)}", status, target=what)
    if status in (404, 410) or (status == 422 and "no commit found" in body_message(body).lower()):
        return NotFound(f"not found on {host} ({answer}); the repository, branch or commit does not "
                        f"exist, or the repository is private and GITHUB_TOKEN cannot see it", status, target=what)
    if status == 409:
        return EmptyRepository(f"the repository has no commits yet ({answer})", status, target=what)
    if status >= 500:
        return Unavailable(f"{host} failed with {answer}{_tries(attempts)}; a problem on the server's side, "
                           f"try again later", status, target=what)
    return GitHubError(f"{host} answered {answer}", status, target=what)


def transport_error(exc: BaseException, what: str, endpoint: Endpoint | None = None, attempts: int = 1) -> Unavailable:
    """Unavailable for a request that got no answer, naming the cause found in `exc` and what to check."""
    endpoint = endpoint or Endpoint()
    text = unreachable_text(network_cause(exc), endpoint.host, url_setting="GITHUB_API_URL", timeout=endpoint.timeout,
                            timeout_setting="GITHUB_TIMEOUT", tries=_tries(attempts), fallback=type(exc).__name__)
    return Unavailable(text, target=what)


def _tries(attempts: int) -> str:
    return f" (tried {attempts} times)" if attempts > 1 else ""


def _rate_limit_text(host: str, answer: str, headers: Mapping[str, str]) -> str:
    text = f"{host} rate limit exceeded ({answer})"
    wait, reset = retry_after(headers), reset_time(headers)
    if wait is not None:
        text += f"; retry after {wait:g} s"
    elif reset is not None:
        text += f"; it resets at {reset:%Y-%m-%d %H:%M:%S} UTC"
    if headers.get("x-ratelimit-limit") == "60":
        text += "; without GITHUB_TOKEN the limit is 60 requests an hour: set it for 5,000"
    return text


def _forbidden_hint(headers: Mapping[str, str]) -> str:
    if "x-github-sso" in headers:
        return "authorise GITHUB_TOKEN for the organisation's SAML single sign-on (token settings, Configure SSO)"
    needed = [scope.strip() for scope in headers.get("x-accepted-oauth-scopes", "").split(",") if scope.strip()]
    granted = {scope.strip() for scope in headers.get("x-oauth-scopes", "").split(",") if scope.strip()}
    if needed and not granted & set(needed):
        return (f"GITHUB_TOKEN lacks the scope {' or '.join(needed)} "
                f"(it has {', '.join(sorted(granted)) or 'none'})")
    return ("check that GITHUB_TOKEN may read this repository: a missing scope or permission, "
            "or single sign-on not authorised for it")


def _looks_like_sha(text: str) -> bool:
    return 7 <= len(text) <= 40 and all(char in "0123456789abcdef" for char in text.lower())
