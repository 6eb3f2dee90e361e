"""Feishu/Lark: the app bot (cards, threaded digests, commands) and custom-bot webhooks."""

from bot.chat.feishu.channel import FeishuChannel, build_feishu
from bot.chat.feishu.notifier import FeishuNotifier
from bot.chat.feishu.webhook import FeishuWebhookNotifier, webhook_sign

__all__ = ["FeishuChannel", "FeishuNotifier", "FeishuWebhookNotifier", "build_feishu", "webhook_sign"]
