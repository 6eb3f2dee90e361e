"""The shipped Slack manifest and the README agree with what the app registers."""

from __future__ import annotations

import re
from pathlib import Path

from bot.chat.commands.table import SLASH_COMMANDS

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = (ROOT / "slack-manifest.yml").read_text()
README = (ROOT / "README.md").read_text()
SLACK_SECTION = README[README.index("## Slack app"):README.index("## Feishu")]


def scopes() -> list[str]:
    block = MANIFEST[MANIFEST.index("    bot:\n"):MANIFEST.index("settings:")]
    return re.findall(r"^\s+- ([a-z_.:]+)", block, re.MULTILINE)


def manifest_slash_commands() -> list[dict[str, str]]:
    """Each `slash_commands` entry of the manifest as its fields (quotes around values dropped)."""
    block = MANIFEST[MANIFEST.index("  slash_commands:\n"):MANIFEST.index("  unfurl_domains:")]
    entries = []
    for entry in block.split("    - ")[1:]:
        fields = re.findall(r"^\s*(\w+): (.*)$", entry, re.MULTILINE)
        entries.append({name: value.strip().strip('"') for name, value in fields})
    return entries


def test_manifest_lists_exactly_the_command_tables_slash_commands():
    # A command added to the table (or its description changed) without the manifest fails here.
    declared = [(entry["command"], entry["description"], entry.get("usage_hint"))
                for entry in manifest_slash_commands()]
    assert declared == [(slash.command, slash.description, slash.usage_hint) for slash in SLASH_COMMANDS]


def test_manifest_declares_every_slash_command_at_the_events_url():
    assert all(entry["url"] == "https://YOUR-HOST/slack/events" for entry in manifest_slash_commands())
    assert MANIFEST.count("url: https://YOUR-HOST/slack/events") == len(SLASH_COMMANDS) + 2
    assert "should_escape: true" not in MANIFEST
    assert re.search(r"bot_events:\n\s+- link_shared\n\s+- app_mention\n", MANIFEST)
    assert "unfurl_domains:\n    - github.com" in MANIFEST


def test_readme_lists_the_manifest_scopes_and_commands():
    assert {"chat:write", "chat:write.public", "commands", "links:read", "links:write",
            "channels:history", "groups:history", "app_mentions:read"} == set(scopes())
    for scope in scopes():
        assert f"`{scope}`" in SLACK_SECTION
    for slash in SLASH_COMMANDS:
        assert f"`{slash.command}`" in SLACK_SECTION
    assert "`link_shared`" in SLACK_SECTION and "slack-manifest.yml" in SLACK_SECTION
    assert "`app_mention`" in SLACK_SECTION
