"""Slack: the Bolt app (HTTP at /slack/events, or Socket Mode), the notifier, and link unfurls.

Names are loaded on first use: bootstrap reads `bot.chat.slack.kind` without paying for slack_bolt
when Slack is not configured.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "SlackPlatform": "bot.chat.slack.channel",
    "build_slack": "bot.chat.slack.channel",
    "SlackNotifier": "bot.chat.slack.notifier",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
