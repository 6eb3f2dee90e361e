"""Slack: the Bolt app (HTTP at /slack/events, or Socket Mode), the notifier, and link unfurls."""

from bot.chat.slack.channel import SlackChannel, build_slack
from bot.chat.slack.notifier import SlackNotifier

__all__ = ["SlackChannel", "SlackNotifier", "build_slack"]
