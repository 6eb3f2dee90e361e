"""How bootstrap and `doctor` find Feishu: custom-bot webhooks always, the app bot with FEISHU_APP_ID and _SECRET."""

from __future__ import annotations

from bot.chat.platform import Inbound, Platform, PlatformKind
from bot.config import Settings


def _build(settings: Settings, inbound: Inbound) -> Platform:
    from bot.chat.feishu.channel import build_feishu

    return build_feishu(settings, inbound.handler, inbound.store)


def _check(settings: Settings, timeout: float) -> str:
    from bot.chat.feishu.check import check_feishu

    return check_feishu(settings, timeout)


def _skip_check(settings: Settings) -> str | None:
    if settings.feishu_app_id and settings.feishu_app_secret:
        return None
    return "not configured (FEISHU_APP_ID and FEISHU_APP_SECRET unset)"


# Always built: a custom-bot webhook subscription needs no app credentials.
KIND = PlatformKind(name="feishu", enabled=lambda settings: True, build=_build, check=_check,
                    skip_check=_skip_check)
