"""The shipped Slack manifest and the README agree with what the app registers."""

from __future__ import annotations

import re
from pathlib import Path

from bot.chat.slack.app import SLASH_COMMANDS

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = (ROOT / "slack-manifest.yml").read_text()
README = (ROOT / "README.md").read_text()
SLACK_SECTION = README[README.index("## Slack app"):README.index("## Feishu")]


def scopes() -> list[str]:
    block = MANIFEST[MANIFEST.index("    bot:\n"):MANIFEST.index("settings:")]
    return re.findall(r"^\s+- ([a-z.:]+)", block, re.MULTILINE)


def test_manifest_declares_every_slash_command_at_the_events_url():
    assert tuple(re.findall(r"- command: (/\w+)", MANIFEST)) == SLASH_COMMANDS
    assert MANIFEST.count("url: https://YOUR-HOST/slack/events") == len(SLASH_COMMANDS) + 2
    assert "should_escape: true" not in MANIFEST
    assert re.search(r"bot_events:\n\s+- link_shared\n", MANIFEST)
    assert "unfurl_domains:\n    - github.com" in MANIFEST


def test_readme_lists_the_manifest_scopes_and_commands():
    assert {"chat:write", "chat:write.public", "commands", "links:read", "links:write",
            "channels:history", "groups:history"} == set(scopes())
    for scope in scopes():
        assert f"`{scope}`" in SLACK_SECTION
    for command in SLASH_COMMANDS:
        assert f"`{command}`" in SLACK_SECTION
    assert "`link_shared`" in SLACK_SECTION and "slack-manifest.yml" in SLACK_SECTION
