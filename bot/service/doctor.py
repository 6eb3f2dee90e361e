"""`commit-radar doctor`: one line per configured service saying whether it answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.store import Store

TIMEOUT = 10


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str


def check_database(store: Store) -> str:
    """The database answers a query."""
    store.ping()
    return f"{store.engine.dialect.name} reachable"


def check_github(settings: Settings) -> str:
    """GitHub answers /rate_limit with the configured credentials."""
    from github import Auth, Github

    auth = Auth.Token(settings.github_token.get_secret_value()) if settings.github_token else None
    client = Github(base_url=settings.github_api_url, auth=auth, timeout=TIMEOUT, retry=None)
    try:
        core = client.get_rate_limit().resources.core
        who = client.get_user().login if auth else "anonymous"
    finally:
        client.close()
    return f"{who}, rate limit {core.remaining}/{core.limit}"


def check_slack(settings: Settings) -> str:
    """Slack's auth.test accepts the bot token."""
    from slack_sdk import WebClient

    assert settings.slack_bot_token is not None
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                       timeout=TIMEOUT)
    answer = client.auth_test()
    return f"team {answer.get('team')}, bot user {answer.get('user')}"


def check_llm(settings: Settings) -> str:
    """The OpenAI-compatible server lists its models with the configured key."""
    from openai import OpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    client = OpenAI(api_key=key, base_url=settings.openai_base_url, timeout=TIMEOUT, max_retries=0)
    models = [model.id for model in client.models.list()]
    listed = "listed" if settings.llm_model in models else "not listed"
    return f"{len(models)} models, {settings.llm_model} {listed}"


def check_feishu(settings: Settings) -> str:
    """Feishu issues a tenant access token for the app credentials."""
    import requests

    assert settings.feishu_app_secret is not None
    answer = requests.post(
        settings.feishu_domain.rstrip("/") + "/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": settings.feishu_app_id, "app_secret": settings.feishu_app_secret.get_secret_value()},
        timeout=TIMEOUT,
    ).json()
    if answer.get("code") != 0:
        raise RuntimeError(f"code {answer.get('code')}: {answer.get('msg')}")
    return "tenant access token issued"


def run_checks(settings: Settings, store: Store) -> list[CheckResult]:
    """Check the database, GitHub, and each configured chat platform and LLM."""
    checks: list[tuple[str, Callable[[], str]]] = [
        ("database", lambda: check_database(store)),
        ("github", lambda: check_github(settings)),
    ]
    if settings.slack_bot_token:
        checks.append(("slack", lambda: check_slack(settings)))
    if settings.feishu_app_id and settings.feishu_app_secret:
        checks.append(("feishu", lambda: check_feishu(settings)))
    if settings.openai_api_key or settings.openai_base_url:
        checks.append(("llm", lambda: check_llm(settings)))
    results = []
    for name, check in checks:
        try:
            results.append(CheckResult(name, True, check()))
        except Exception as exc:  # doctor reports any failure as a line, never a traceback
            detail = " ".join(str(exc).split())[:200] or type(exc).__name__
            results.append(CheckResult(name, False, f"{type(exc).__name__}: {detail}"))
    return results
