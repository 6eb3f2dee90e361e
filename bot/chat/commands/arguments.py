"""Argument checks: each turns one typed word into a value or a UsageError saying what is wrong."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from bot.chat.commands.links import parse_commit_url, parse_repo_url
from bot.chat.commands.messages import Message
from bot.chat.commands.syntax import UsageError
from bot.config import check_timezone, parse_hhmm
from bot.domain import Importance, RepoRef, check_sha
from bot.domain.filters import MAX_PATTERNS, PatternError, check_patterns
from bot.domain.values import EVERY, check_weekday, parse_week, week_label
from bot.service.digest import FIRST_DAY

MAX_LIST_ITEMS = 50
_BRANCH_BAD = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//|\.lock$|^[-/.]|[/.]$")
_OWNER_WILDCARD = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]{0,38})/\*")
_GLOB_BAD = re.compile(r"[\s~^:\\]|\.\.|@\{|//|\.lock$|^[-/.]|[/.]$")
WEBHOOK_HOSTS = ("open.feishu.cn", "open.larksuite.com")
_WEBHOOK_URL = re.compile(r"https://([A-Za-z0-9.-]+(?::[0-9]{1,5})?)/open-apis/bot/v2/hook/[A-Za-z0-9_-]{1,128}")


def repo(command: str, text: str) -> RepoRef:
    """`owner/name` (a github.com or GHES repository URL is accepted too)."""
    try:
        return RepoRef.parse(text)
    except ValueError:
        from_url = parse_repo_url(text)
        if from_url is not None:
            return from_url
        raise UsageError(command, Message("arg.repo", value=text.strip())) from None


def sha(command: str, text: str) -> str:
    """A SHA prefix of 4-40 hex digits, lower-cased."""
    try:
        return check_sha(text)
    except ValueError:
        raise UsageError(command, Message("arg.sha", value=(text or "").strip())) from None


def commit_target(command: str, text: str) -> tuple[RepoRef | None, str]:
    """A SHA, or a pasted commit URL giving both the repo and the SHA."""
    from_url = parse_commit_url(text)
    if from_url is not None:
        return from_url
    return None, sha(command, text)


def branch(command: str, text: str) -> str:
    """A git branch name (no spaces, `..`, control or glob characters)."""
    if len(text) > 255 or _BRANCH_BAD.search(text) or any(ord(ch) < 32 for ch in text):
        raise UsageError(command, Message("arg.branch", value=text))
    return text


def owner_wildcard(text: str) -> str | None:
    """The owner of `owner/*` (every repository of an organisation or user), else None."""
    match = _OWNER_WILDCARD.fullmatch(text.strip())
    return match.group(1) if match else None


def branch_glob(command: str, text: str) -> str:
    """A branch pattern such as `release/*`: a branch name in which *, ? and [...] may stand for characters."""
    if len(text) > 255 or _GLOB_BAD.search(text) or any(ord(ch) < 32 for ch in text):
        raise UsageError(command, Message("arg.branch_glob", value=text))
    return text


def hhmm(command: str, text: str) -> time:
    """`HH:MM`, 24-hour."""
    try:
        return parse_hhmm(text)
    except ValueError:
        raise UsageError(command, Message("arg.hhmm", value=text)) from None


def timezone(command: str, text: str) -> str:
    """A real IANA timezone such as `Asia/Shanghai` or `UTC`."""
    try:
        return check_timezone(text)
    except ValueError:
        raise UsageError(command, Message("arg.timezone", value=text)) from None


def language(command: str, text: str) -> str:
    """`zh` or `en`."""
    value = text.strip().lower()
    if value not in ("zh", "en"):
        raise UsageError(command, Message("arg.language", value=text))
    return value


def threshold(command: str, text: str) -> Importance:
    """`high`, `medium` or `low`."""
    try:
        return Importance(text.strip().lower())
    except ValueError:
        raise UsageError(command, Message("arg.threshold", value=text)) from None


def name_list(command: str, option: str, text: str) -> list[str]:
    """Comma-separated words (globs or author names), blanks dropped; `--paths` globs within the filter's limits."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise UsageError(command, Message("arg.list_empty", option=option))
    limit = MAX_PATTERNS if option == "--paths" else MAX_LIST_ITEMS
    if len(items) > limit:
        raise UsageError(command, Message("arg.list_long", option=option, limit=limit, count=len(items)))
    if option == "--paths":
        _check_globs(command, option, items)
    for item in items:
        if len(item) > 200 or any(ord(ch) < 32 for ch in item):
            raise UsageError(command, Message("arg.list_item", option=option, value=item[:60]))
    return items


def _check_globs(command: str, option: str, patterns: list[str]) -> None:
    try:
        check_patterns(patterns)
    except PatternError as exc:
        key = {"length": "arg.path_long", "wildcards": "arg.path_wildcards"}.get(exc.kind, "arg.list_long")
        raise UsageError(command, Message(key, option=option, limit=exc.limit, count=exc.count,
                                          **({"value": exc.pattern[:60]} if exc.pattern else {}))) from None


def feishu_webhook(command: str, text: str, extra_hosts: tuple[str, ...] = ()) -> str:
    """A Feishu/Lark custom-bot webhook URL. Errors never echo it: it is a secret.

    Anyone in a chat can type this and the bot will POST to it, so only the exact shape
    `https://HOST/open-apis/bot/v2/hook/TOKEN` is accepted, HOST being Feishu's, Lark's or the
    configured FEISHU_DOMAIN's: no userinfo, port, backslash or query that could make an HTTP client
    connect somewhere other than HOST. The CLI (operator-trusted) takes any URL.
    """
    value = text.strip()
    allowed = {*WEBHOOK_HOSTS, *(host.lower() for host in extra_hosts)}
    match = _WEBHOOK_URL.fullmatch(value)
    if match is None or match.group(1).lower() not in allowed or not _connects_to(value, match.group(1)):
        raise UsageError(command, Message("arg.webhook"))
    return value


def _connects_to(url: str, netloc: str) -> bool:
    """True when urllib3 (what `requests` connects with) reads the same host and port as the pattern did."""
    try:
        parsed = parse_url(url)
    except LocationParseError:
        return False
    seen = (parsed.host or "").lower() + (f":{parsed.port}" if parsed.port else "")
    return parsed.auth is None and seen == netloc.lower()


def day(command: str, text: str) -> date:
    """A calendar date `YYYY-MM-DD`, from FIRST_DAY on (later bounds depend on the subscription's timezone)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UsageError(command, Message("arg.day", value=text))
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UsageError(command, Message("arg.not_a_day", value=text)) from None
    if value < FIRST_DAY:
        raise UsageError(command, Message("arg.day_early", value=text, first=FIRST_DAY.isoformat()))
    return value


def every(command: str, text: str) -> str:
    """`day` or `week`: how often a digest is posted."""
    value = text.strip().lower()
    if value not in EVERY:
        raise UsageError(command, Message("arg.every", value=text))
    return value


def weekday(command: str, text: str) -> str:
    """`mon` … `sun` (or the full English name): the day a weekly digest is posted."""
    try:
        return check_weekday(text)
    except ValueError:
        raise UsageError(command, Message("arg.weekday", value=text)) from None


def week(command: str, text: str) -> date:
    """The Monday of an ISO week `YYYY-Www`, from FIRST_DAY's week on."""
    if not re.fullmatch(r"\d{4}-[Ww]\d{2}", text):
        raise UsageError(command, Message("arg.week", value=text))
    try:
        monday = parse_week(text)
    except ValueError:
        raise UsageError(command, Message("arg.not_a_week", value=text)) from None
    if monday + timedelta(days=6) < FIRST_DAY:
        raise UsageError(command, Message("digest.week_early", value=text, first=week_label(FIRST_DAY)))
    return monday


def looks_like_week(text: str) -> bool:
    """True for words shaped like `YYYY-Www` (valid or not)."""
    return re.fullmatch(r"\d{4}-[Ww]\d{1,2}", text) is not None


def looks_like_day(text: str) -> bool:
    """True for words shaped like `YYYY-MM-DD` (valid or not)."""
    return re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text) is not None
