"""Typed GitHub failures, built from the response, so callers decide by kind rather than by status code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone

from bot.domain import RepoRef

SECONDARY_LIMIT_HINTS = ("secondary rate limit", "please retry your request again later",
                         "please wait a few minutes before you try again", "abuse detection")


class GitHubError(Exception):
    """Base of every GitHub failure; `kind` is the short name stored on the cursor."""

    kind = "github"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(GitHubError):
    """404 (or 422 for an unknown SHA): the repository, branch or commit does not exist or is not visible."""

    kind = "not_found"


class Forbidden(GitHubError):
    """403 that is not a rate limit: the token may not read this resource."""

    kind = "forbidden"


class Moved(GitHubError):
    """The repository was renamed or transferred; `new_repo` is its current name."""

    kind = "moved"

    def __init__(self, message: str, new_repo: RepoRef, status: int | None = 301) -> None:
        super().__init__(message, status)
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
                 retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.reset_at = reset_at
        self.retry_after = retry_after


class Unavailable(GitHubError):
    """5xx answers, timeouts or refused connections that outlasted the retries."""

    kind = "unavailable"


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
        return datetime.fromtimestamp(int(float(value)), timezone.utc) if value else None
    except (ValueError, OverflowError):
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (GitHub sends delta-seconds)."""
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def error_for(status: int, headers: Mapping[str, str], body: str, what: str) -> GitHubError:
    """The typed error for an unsuccessful answer about `what` (e.g. `owner/name@main`)."""
    message = body_message(body) or f"HTTP {status}"
    text = f"{what}: {message} (HTTP {status})"
    if status == 401:
        return BadCredentials(text, status)
    if is_rate_limit(status, headers, body):
        return RateLimited(text, status, reset_at=reset_time(headers), retry_after=retry_after(headers))
    if status == 403:
        return Forbidden(text, status)
    if status in (404, 410) or (status == 422 and "no commit found" in message.lower()):
        return NotFound(text, status)
    if status == 409:
        return EmptyRepository(text, status)
    if status >= 500:
        return Unavailable(text, status)
    return GitHubError(text, status)
