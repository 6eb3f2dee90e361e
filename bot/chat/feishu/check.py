"""`doctor`'s Feishu check: the app credentials get a tenant access token."""

from __future__ import annotations

from bot.checks import TIMEOUT, CheckFailed, host_of, quoted, unreachable
from bot.config import Settings


def check_feishu(settings: Settings, timeout: float = TIMEOUT) -> str:
    """Feishu issues a tenant access token for the app credentials."""
    import requests

    assert settings.feishu_app_secret is not None
    host = host_of(settings.feishu_domain)
    try:
        response = requests.post(
            settings.feishu_domain.rstrip("/") + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": settings.feishu_app_id, "app_secret": settings.feishu_app_secret.get_secret_value()},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise unreachable(exc, host, "FEISHU_DOMAIN", "REQUESTS_CA_BUNDLE", timeout) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        said = quoted(response.text, settings.secret_values())
        raise CheckFailed(f"{host} answered HTTP {response.status_code}: {said}; check FEISHU_DOMAIN") from None
    if answer.get("code") != 0:
        said = quoted(str(answer.get("msg") or ""), settings.secret_values())
        raise CheckFailed(f"{host} refused the app credentials (code {answer.get('code')}: {said}); "
                          f"check FEISHU_APP_ID and FEISHU_APP_SECRET")
    return "tenant access token issued"
