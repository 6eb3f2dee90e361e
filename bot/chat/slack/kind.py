"""How bootstrap and `doctor` find Slack: on when SLACK_BOT_TOKEN is set."""

from __future__ import annotations

from bot.chat.platform import Inbound, Platform, PlatformKind
from bot.config import Settings


def _build(settings: Settings, inbound: Inbound) -> Platform:
    from bot.chat.slack.channel import build_slack

    return build_slack(settings, inbound.handler, inbound.store)


def _check(settings: Settings, timeout: float) -> str:
    from bot.chat.slack.check import check_slack

    return check_slack(settings, timeout)


def _skip_check(settings: Settings) -> str | None:
    return None if settings.slack_bot_token else "not configured (SLACK_BOT_TOKEN unset)"


def _enabled(settings: Settings) -> bool:
    return settings.slack_bot_token is not None


def _warnings(settings: Settings) -> list[str]:
    parts = [name.upper() for name in ("slack_signing_secret", "slack_app_token") if getattr(settings, name)]
    if parts and not settings.slack_bot_token:
        return [f"Slack is off: {' and '.join(parts)} set but SLACK_BOT_TOKEN is not"]
    return []


KIND = PlatformKind(name="slack", enabled=_enabled, answers=_enabled, warnings=_warnings, build=_build,
                    check=_check, skip_check=_skip_check)
