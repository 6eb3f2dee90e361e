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


def _app(settings: Settings) -> bool:
    return bool(settings.feishu_app_id and settings.feishu_app_secret)


def _skip_check(settings: Settings) -> str | None:
    return None if _app(settings) else "not configured (FEISHU_APP_ID and FEISHU_APP_SECRET unset)"


def _warnings(settings: Settings) -> list[str]:
    parts = [name.upper() for name in ("feishu_app_id", "feishu_app_secret", "feishu_verification_token",
                                       "feishu_encrypt_key") if getattr(settings, name)]
    missing = [name.upper() for name in ("feishu_app_id", "feishu_app_secret") if not getattr(settings, name)]
    if parts and missing:
        return [f"Feishu app bot is off: {' and '.join(parts)} set but {' and '.join(missing)} not"]
    return []


# Always built: a custom-bot webhook subscription needs no app credentials; commands need the app.
KIND = PlatformKind(name="feishu", enabled=lambda settings: True, answers=_app, warnings=_warnings, build=_build,
                    check=_check, skip_check=_skip_check)
