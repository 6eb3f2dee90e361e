"""`/subscribe … --feishu-webhook URL [--secret S]`: an outbound-only subscription owned by the webhook."""

from __future__ import annotations

import logging
from datetime import time

import pytest

from bot.chat.commands import CommandContext, CommandHandler, CommandServices, Defaults
from bot.config import Settings
from tests.fakes import FakeAnalyser, FakeDigests, FakeSource

HOOK = "https://open.feishu.cn/open-apis/bot/v2/hook/2f7a-secret-token"
CONSOLE = CommandContext(platform="console", channel="console", user_id="operator")


@pytest.fixture
def handler(store) -> CommandHandler:
    source = FakeSource()
    source.add_repo("octo/widgets")
    return CommandHandler(CommandServices(store=store, source=source, analyser=FakeAnalyser(), digests=FakeDigests(),
                                          defaults=Defaults(time(9, 0), "UTC", "en")))


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


def test_lark_hooks_are_accepted_and_the_reply_stays_private(handler, store):
    reply = handler.handle("/subscribe octo/widgets --feishu-webhook https://open.larksuite.com/open-apis/bot/v2/hook/a "
                           "--secret s3cr3t", CONSOLE)
    assert len(store.subscriptions.list(platform="feishu_webhook")) == 1
    assert reply.public is False
    assert "hook/a" not in reply.text and "s3cr3t" not in reply.text


def test_a_channel_subscription_reply_is_still_public(handler, store):
    assert handler.handle("/subscribe octo/widgets", CONSOLE).public is True


def test_the_configured_feishu_domain_host_is_accepted_too(store):
    source = FakeSource()
    source.add_repo("octo/widgets")
    settings = Settings(_env_file=None, feishu_domain="https://lark.corp.example:8443", language="en")
    defaults = Defaults.from_settings(settings)
    assert defaults.webhook_hosts == ("lark.corp.example:8443",)
    handler = CommandHandler(CommandServices(store=store, source=source, analyser=FakeAnalyser(),
                                             digests=FakeDigests(), defaults=defaults))

    handler.handle("/subscribe octo/widgets --feishu-webhook https://lark.corp.example:8443/open-apis/bot/v2/hook/a",
                   CONSOLE)
    refused = handler.handle("/subscribe octo/widgets --feishu-webhook "
                             "https://lark.corp.example:9999/open-apis/bot/v2/hook/b", CONSOLE)

    assert [sub.channel for sub in store.subscriptions.list()] == [
        "https://lark.corp.example:8443/open-apis/bot/v2/hook/a"]
    assert "custom-bot webhook URL" in refused.text


def test_a_plain_http_feishu_domain_adds_no_host():
    assert Defaults.from_settings(Settings(_env_file=None, feishu_domain="http://127.0.0.1:9000")).webhook_hosts == ()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/open-apis/bot/v2/hook/b",
    "https://127.0.0.1:8080/open-apis/bot/v2/hook/b",
    "https://localhost/open-apis/bot/v2/hook/b",
    "http://[::1]:8080/open-apis/bot/v2/hook/b",
    "https://127.0.0.1:8080\\@open.feishu.cn/open-apis/bot/v2/hook/b",
    "https://user@open.feishu.cn/open-apis/bot/v2/hook/b",
    "https://open.feishu.cn:8443/open-apis/bot/v2/hook/b",
    "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/b",
    "https://evil.feishu.cn/open-apis/bot/v2/hook/b",
    "https://open.feishu.cn/other/open-apis/bot/v2/hook/b",
    "https://open.feishu.cn/open-apis/bot/v2/hook/b?x=1",
    "https://open.feishu.cn/open-apis/bot/v2/hook/",
    "https://[open.feishu.cn/open-apis/bot/v2/hook/b",
])
def test_chat_cannot_point_the_bot_at_other_addresses(handler, store, url):
    reply = handler.quick(f"/subscribe octo/widgets --feishu-webhook '{url}'")

    assert reply is not None and "custom-bot webhook URL" in reply.text
    assert "hook/b" not in reply.text
    assert handler.handle(f"/subscribe octo/widgets --feishu-webhook '{url}'", CONSOLE).text == reply.text
    assert store.subscriptions.list() == []


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
