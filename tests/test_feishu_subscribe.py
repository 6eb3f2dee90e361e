"""`/subscribe … --feishu-webhook URL [--secret S]`: an outbound-only subscription owned by the webhook."""

from __future__ import annotations

import logging
from datetime import time

import pytest

from bot.chat.commands import CommandContext, CommandHandler, CommandServices, Defaults
from tests.fakes import FakeAnalyser, FakeDigests, FakeSource

HOOK = "https://open.feishu.cn/open-apis/bot/v2/hook/2f7a-secret-token"
CONSOLE = CommandContext(platform="console", channel="console", user_id="operator")


@pytest.fixture
def handler(store) -> CommandHandler:
    source = FakeSource()
    source.add_repo("octo/widgets")
    return CommandHandler(CommandServices(store=store, source=source, analyser=FakeAnalyser(), digests=FakeDigests(),
                                          defaults=Defaults(time(9, 0), "UTC", "zh")))


def test_subscribe_a_webhook_with_its_secret(handler, store, caplog):
    with caplog.at_level(logging.INFO):
        reply = handler.handle(f"/subscribe octo/widgets --min medium --feishu-webhook {HOOK} --secret s3cr3t", CONSOLE)

    [sub] = store.subscriptions.list()
    assert (sub.platform, sub.channel, sub.webhook_secret) == ("feishu_webhook", HOOK, "s3cr3t")
    assert sub.threshold.value == "medium"
    assert "custom-bot webhook" in reply.text
    assert "secret-token" not in reply.text and "s3cr3t" not in reply.text
    assert "secret-token" not in caplog.text
    assert store.subscriptions.list(platform="console") == []


def test_lark_and_local_hooks_are_accepted(handler, store):
    handler.handle("/subscribe octo/widgets --feishu-webhook https://open.larksuite.com/open-apis/bot/v2/hook/a", CONSOLE)
    handler.handle("/subscribe octo/widgets --feishu-webhook http://127.0.0.1:8080/open-apis/bot/v2/hook/b", CONSOLE)
    assert len(store.subscriptions.list(platform="feishu_webhook")) == 2


def test_running_it_again_updates_the_same_webhook_subscription(handler, store):
    handler.handle(f"/subscribe octo/widgets --feishu-webhook {HOOK}", CONSOLE)
    reply = handler.handle(f"/subscribe octo/widgets --feishu-webhook {HOOK} --secret later", CONSOLE)

    [sub] = store.subscriptions.list()
    assert sub.webhook_secret == "later"
    assert reply.text.startswith("Updated")


@pytest.mark.parametrize("command, problem", [
    ("/subscribe octo/widgets --secret s3cr3t", "--secret goes with --feishu-webhook"),
    ("/subscribe octo/widgets --feishu-webhook http://open.feishu.cn/open-apis/bot/v2/hook/x", "custom-bot webhook URL"),
    ("/subscribe octo/widgets --feishu-webhook https://example.com/not-a-hook", "custom-bot webhook URL"),
    ("/subscribe octo/widgets --feishu-webhook https://intranet.example/open-apis/bot/v2/hook/x", "custom-bot webhook URL"),
])
def test_bad_webhook_options_are_refused_without_echoing_the_url(handler, store, command, problem):
    reply = handler.handle(command, CONSOLE)

    assert problem in reply.text
    assert "hook/x" not in reply.text and "not-a-hook" not in reply.text and "intranet" not in reply.text
    assert store.subscriptions.list() == []
