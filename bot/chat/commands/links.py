"""GitHub web links to commits and repositories, as pasted in chat."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from bot.domain import RepoRef, check_sha

_COMMIT_PATH = re.compile(r"^/([^/]+)/([^/]+)/commit/([0-9a-fA-F]{4,40})/?$")
_REPO_PATH = re.compile(r"^/([^/]+)/([^/]+?)(?:\.git)?/?$")


def web_host(api_url: str) -> str:
    """The web host whose links point at the configured GitHub (`github.com` or the GHES host)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return "github.com" if host in ("api.github.com", "") else host


def parse_commit_url(text: str, hosts: tuple[str, ...] | None = None) -> tuple[RepoRef, str] | None:
    """(repo, sha) for `https://HOST/owner/repo/commit/<sha>` (any host when `hosts` is None), else None."""
    parts = _split(text.strip())
    if parts is None:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if hosts is not None and parts.hostname.lower() not in hosts:
        return None
    match = _COMMIT_PATH.match(parts.path)
    if not match:
        return None
    try:
        return RepoRef.parse(f"{match.group(1)}/{match.group(2)}"), check_sha(match.group(3))
    except ValueError:
        return None


def parse_repo_url(text: str) -> RepoRef | None:
    """The repo of `https://HOST/owner/repo` (or `HOST/owner/repo`), else None."""
    candidate = text.strip()
    if not re.match(r"^https?://", candidate):
        if not re.match(r"^[\w.-]+\.[a-z]{2,}/", candidate, re.IGNORECASE):
            return None
        candidate = "https://" + candidate
    parts = _split(candidate)
    match = _REPO_PATH.match(parts.path) if parts is not None else None
    if not match:
        return None
    return RepoRef.parse_or_none(f"{match.group(1)}/{match.group(2)}")


def _split(text: str) -> SplitResult | None:
    # urlsplit raises ValueError on a malformed bracketed host (`https://[x/…`): that is "not a link".
    try:
        return urlsplit(text)
    except ValueError:
        return None
