"""End to end on Feishu: the real `commit-radar run` process, encrypted signed events, cards in chats and webhooks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e_stack import WEBHOOK_SECRET, Bot, wait_until
from tests.fake_feishu import FakeFeishu, mention, message_event, signed_request
from tests.fake_github import FakeGitHub, file_entry
from tests.fake_openai import FakeOpenAI, valid
from tests.test_e2e_slack import push

pytestmark = pytest.mark.e2e
ENCRYPT_KEY = "e2e-encrypt-key"
VERIFICATION_TOKEN = "e2e-verification-token"
CHAT = "oc_team_chat"


@pytest.fixture
def stack(tmp_path):
    github = FakeGitHub.serve(threads=8)
    feishu_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    feishu_server.start()
    feishu = FakeFeishu(feishu_server)
    llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    llm_server.start()
    llm = FakeOpenAI(llm_server, otherwise=valid())
    bot = Bot(tmp_path, {
        "GITHUB_API_URL": github.api_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FEISHU_APP_ID": feishu.app_id, "FEISHU_APP_SECRET": feishu.app_secret, "FEISHU_DOMAIN": feishu.base_url,
        "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN, "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
        "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-e2e", "LLM_MODEL": "fake-model",
        "POLL_INTERVAL": "5", "LANGUAGE": "zh",
    })
    yield github, feishu, llm, bot
    bot.stop()
    for server in (feishu_server, llm_server):
        server.stop()
    github.stop()


def say(bot: Bot, feishu: FakeFeishu, text: str, **kwargs) -> int:
    body, headers = signed_request(message_event(VERIFICATION_TOKEN, text, app_id=feishu.app_id, **kwargs),
                                   ENCRYPT_KEY)
    status, _ = bot.post("/feishu/events", body, headers)
    return status


def in_chat(feishu: FakeFeishu) -> list:
    """Messages in the chat: posted to it, or replies to a command typed there (the fake cannot see those)."""
    return [m for m in feishu.messages if m.chat_id == CHAT or (m.reply_to or "").startswith("om_in_")]


def chat_texts(feishu: FakeFeishu) -> list[str]:
    return [json.dumps(message.content, ensure_ascii=False) for message in in_chat(feishu)]


def test_group_command_cards_thread_digest_and_webhook(stack):
    github, feishu, llm, bot = stack
    repo = github.add_repo("octo/widgets")
    bot.start()
    hook = feishu.hook_url("hooktoken", secret="hook-secret")
    added = subprocess.run([sys.executable, "-m", "bot", "subscriptions", "add", "octo/widgets", "--platform",
                            "feishu_webhook", "--channel", hook, "--secret", "hook-secret", "--min", "low"],
                           cwd=bot.tmp_path, env=bot.env, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert say(bot, feishu, "@_user_1 /subscribe octo/widgets --min low --tz Asia/Shanghai", chat_id=CHAT,
               chat_type="group", mentions=[mention("@_user_1", feishu.bot_open_id, "commit-radar")]) == 200
    wait_until(lambda: any("octo/widgets" in text for text in chat_texts(feishu)), 30, "the /subscribe reply")
    wait_until(lambda: any(seen.path == "/repos/octo/widgets/commits" for seen in github.seen), 30, "the first poll")
    before = len(feishu.messages)
    repo.commit('fix: <at user_id="all">everyone</at> look', files=[file_entry("src/core.py")])
    assert push(bot, "octo/widgets") == 202
    wait_until(lambda: len(feishu.messages) > before, 40, "a card in the chat")
    wait_until(lambda: feishu.hook_posts, 40, "a card through the webhook")
    card = feishu.messages[before]
    assert card.chat_id == CHAT and card.msg_type == "interactive" and card.content["schema"] == "2.0"
    raw = json.dumps(card.content, ensure_ascii=False) + json.dumps(feishu.hook_posts[0].body, ensure_ascii=False)
    assert '<at user_id="all">' not in raw
    assert feishu.hook_posts[0].body["sign"]  # signed with the webhook's secret
    assert len(llm.requests) == 1  # one analysis (zh) shared by the chat and the webhook

    day = repo.objects[repo.branches["main"]].date[:10]  # the fake's commit dates are in 2024
    assert say(bot, feishu, f"/digest octo/widgets {day}", chat_id=CHAT, chat_type="p2p") == 200
    wait_until(lambda: any(m.reply_in_thread for m in feishu.messages), 30, "digest replies in a thread")
    replies = [m for m in feishu.messages if m.reply_in_thread]
    parents = {m.reply_to for m in replies}
    assert len(parents) == 1 and len(replies) >= 1
    assert len(llm.requests) == 1  # the digest reused the analysis


def test_bad_token_or_duplicate_event_runs_nothing_twice(stack):
    github, feishu, llm, bot = stack
    github.add_repo("octo/widgets")
    bot.start()
    forged, headers = signed_request(message_event("wrong-token", "/subscribe octo/widgets", app_id=feishu.app_id),
                                     ENCRYPT_KEY)
    status, _ = bot.post("/feishu/events", forged, headers)
    assert status >= 400
    event = message_event(VERIFICATION_TOKEN, "/subscribe octo/widgets", app_id=feishu.app_id, chat_id=CHAT,
                          event_id="ev-dup-1")
    for _ in range(3):
        body, headers = signed_request(event, ENCRYPT_KEY)
        assert bot.post("/feishu/events", body, headers)[0] == 200
    wait_until(lambda: chat_texts(feishu), 30, "the reply")
    bot.stop()
    bot.start()  # the record of ev-dup-1 survives the restart
    body, headers = signed_request(event, ENCRYPT_KEY)
    assert bot.post("/feishu/events", body, headers)[0] == 200
    wait_until(lambda: bot.log_text().count("feishu event already handled") >= 3, 10, "the re-pushed event dropped")
    assert len(in_chat(feishu)) == 1
