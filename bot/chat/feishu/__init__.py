"""Feishu/Lark: the app bot (cards, threaded digests, commands) and custom-bot webhooks.

Names are loaded on first use: lark-oapi takes seconds to import and custom-bot webhooks do not need it.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "FeishuPlatform": "bot.chat.feishu.channel",
    "build_feishu": "bot.chat.feishu.channel",
    "FeishuNotifier": "bot.chat.feishu.notifier",
    "FeishuWebhookNotifier": "bot.chat.feishu.webhook",
    "webhook_sign": "bot.chat.feishu.webhook",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
