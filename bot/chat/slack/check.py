"""`doctor`'s Slack check: auth.test accepts the bot token."""

from __future__ import annotations

from bot.checks import TIMEOUT, CheckFailed, host_of, unreachable
from bot.config import Settings

SLACK_TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


def check_slack(settings: Settings, timeout: float = TIMEOUT) -> str:
    """Slack's auth.test accepts the bot token."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    assert settings.slack_bot_token is not None
    host = host_of(settings.slack_api_url)
    # No retry handlers: slack_sdk's default retries a refused connection, and doctor reports the first answer.
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                       timeout=max(1, int(timeout)), retry_handlers=[])
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if code in SLACK_TOKEN_ERRORS:
            raise CheckFailed(f"{host} refused the token ({code}); check SLACK_BOT_TOKEN (xoxb-…)") from None
        said = code or f"HTTP {exc.response.status_code}"
        raise CheckFailed(f"{host} answered {said}; check SLACK_API_URL and SLACK_BOT_TOKEN") from None
    except Exception as exc:
        raise unreachable(exc, host, "SLACK_API_URL", "SSL_CERT_FILE", timeout) from None
    return f"team {answer.get('team')}, bot user {answer.get('user')}"
