"""Feishu through the real wiring in-process: encrypted, signed events in; cards in chats and custom-bot webhooks."""

from __future__ import annotations

import json

from bot.entrypoints.cli import build_parser
from bot.entrypoints.cli.subscriptions import manage
from tests.e2e_stack import wait_until
from tests.fake_feishu import FakeFeishu, mention, message_event
from tests.fake_github import file_entry
from tests.testbot import FEISHU_VERIFICATION_TOKEN, feishubot  # noqa: F401 - the fixture

CHAT = "oc_team_chat"


def in_chat(feishu: FakeFeishu) -> list:
    """Messages in the chat: posted to it, or replies to a command typed there (the fake cannot see those)."""
    return [m for m in feishu.messages if m.chat_id == CHAT or (m.reply_to or "").startswith("om_in_")]


def chat_texts(feishu: FakeFeishu) -> list[str]:
    return [json.dumps(message.content, ensure_ascii=False) for message in in_chat(feishu)]


def test_group_command_cards_thread_digest_and_webhook(feishubot, capsys):
    bot, feishu = feishubot.bot, feishubot.feishu
    repo = bot.repo("octo/widgets")
    hook = feishu.hook_url("hooktoken", secret="hook-secret")
    added = manage(build_parser().parse_args([
        "subscriptions", "add", "octo/widgets", "--platform", "feishu_webhook", "--channel", hook,
        "--secret", "hook-secret", "--min", "low"]), bot.app.settings)
    assert added == 0, capsys.readouterr().err
    assert feishubot.say("@_user_1 /subscribe octo/widgets --min low --tz Asia/Shanghai", chat_id=CHAT,
                         chat_type="group", mentions=[mention("@_user_1", feishu.bot_open_id, "commit-radar")]) == 200
    wait_until(lambda: any("octo/widgets" in text for text in chat_texts(feishu)), 10, "the /subscribe reply")
    assert bot.tick() == []  # a new subscription starts at the branch head
    before = len(feishu.messages)
    repo.commit('fix: <at user_id="all">everyone</at> look', files=[file_entry("src/core.py")])
    assert bot.push_event("octo/widgets") == 202
    bot.tick()
    assert len(feishu.messages) == before + 1 and len(feishu.hook_posts) == 1
    card = feishu.messages[before]
    assert card.chat_id == CHAT and card.msg_type == "interactive" and card.content["schema"] == "2.0"
    raw = json.dumps(card.content, ensure_ascii=False) + json.dumps(feishu.hook_posts[0].body, ensure_ascii=False)
    assert '<at user_id="all">' not in raw
    assert feishu.hook_posts[0].body["sign"]  # signed with the webhook's secret
    assert len(bot.llm.calls) == 1  # one analysis (zh) shared by the chat and the webhook

    day = repo.objects[repo.branches["main"]].date[:10]
    assert feishubot.say(f"/digest octo/widgets {day}", chat_id=CHAT, chat_type="p2p") == 200
    wait_until(lambda: any(m.reply_in_thread for m in feishu.messages), 10, "digest replies in a thread")
    replies = [m for m in feishu.messages if m.reply_in_thread]
    assert len({m.reply_to for m in replies}) == 1 and len(replies) >= 1
    assert len(bot.llm.calls) == 1  # the digest reused the analysis


def test_bad_token_or_duplicate_event_runs_nothing_twice(feishubot, caplog):
    bot, feishu = feishubot.bot, feishubot.feishu
    bot.repo("octo/widgets")
    forged = message_event("wrong-token", "/subscribe octo/widgets", app_id=feishu.app_id)
    assert feishubot.send_event(forged) >= 400
    event = message_event(FEISHU_VERIFICATION_TOKEN, "/subscribe octo/widgets", app_id=feishu.app_id, chat_id=CHAT,
                          event_id="ev-dup-1")
    with caplog.at_level("INFO", logger="bot.chat.feishu.events"):
        for _ in range(3):
            assert feishubot.send_event(event) == 200
        wait_until(lambda: chat_texts(feishu), 10, "the reply")
        bot.restart()  # the record of ev-dup-1 survives the restart
        assert feishubot.send_event(event) == 200
    dropped = [record for record in caplog.records if record.getMessage() == "feishu event already handled"]
    assert len(dropped) == 3
    assert len(in_chat(feishu)) == 1 and len(bot.subscriptions()) == 1
