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


KIND = PlatformKind(name="slack", enabled=lambda settings: settings.slack_bot_token is not None, build=_build,
                    check=_check, skip_check=_skip_check)
