"""Questions in Feishu: a reply to one of the bot's cards that @mentions the bot gets one answer, in Chinese here."""

from __future__ import annotations

from tests.e2e_stack import wait_until
from tests.fake_feishu import mention, message_event
from tests.fake_github import file_entry
from tests.testbot import FEISHU_VERIFICATION_TOKEN, feishubot  # noqa: F401 - the fixture

CHAT = "oc_team_chat"
PATCH = "@@ -10,3 +10,4 @@ def connect(url):\n-    timeout = 30\n+    timeout = 5\n+    retries = 0\n"


def reply(feishubot, text: str, parent: str, root: str | None = None, mentioned: bool = True) -> str:
    """Someone replies to message `parent` (in the thread of `root`); the id of their message."""
    mentions = [mention("@_user_1", feishubot.feishu.bot_open_id, "commit-radar")] if mentioned else []
    event = message_event(FEISHU_VERIFICATION_TOKEN, ("@_user_1 " if mentioned else "") + text, chat_id=CHAT,
                          chat_type="group", mentions=mentions, app_id=feishubot.feishu.app_id)
    event["event"]["message"].update(parent_id=parent, root_id=root or parent)
    assert feishubot.send_event(event) == 200
    return event["event"]["message"]["message_id"]


def answers_to(feishu, message_id: str) -> list[str]:
    return [m.content.get("text", "") for m in feishu.messages if m.reply_to == message_id]


def card(feishubot) -> str:
    bot, feishu = feishubot.bot, feishubot.feishu
    repo = bot.repo("octo/widgets")
    feishubot.say("@_user_1 /subscribe octo/widgets --min low", chat_id=CHAT, chat_type="group",
                  mentions=[mention("@_user_1", feishu.bot_open_id, "commit-radar")])
    wait_until(lambda: feishu.messages, 10, "the /subscribe reply")
    bot.tick()
    before = len(feishu.messages)
    repo.commit("fix: shorter connect timeout", files=[file_entry("src/client.py", patch=PATCH)])
    bot.tick()
    return feishu.messages[before].message_id


def test_a_reply_to_a_card_that_mentions_the_bot_is_answered_about_that_commit(feishubot):
    card_id = card(feishubot)
    asked = reply(feishubot, "这会影响哪些调用方？", card_id)
    text = wait_until(lambda: answers_to(feishubot.feishu, asked), 10, "the answer")[0]
    assert "It changes src/client.py." in text and "依据的文件：src/client.py" in text
    prompt = "\n".join(message["content"] for message in feishubot.bot.llm.questions[0])
    assert "+    timeout = 5" in prompt and "这会影响哪些调用方？" in prompt and "@_user_1" not in prompt
    # A reply to the answer continues the same thread, with the earlier turn in the prompt.
    answer_id = next(m.message_id for m in feishubot.feishu.messages if m.reply_to == asked)
    follow = reply(feishubot, "重试呢？", answer_id, root=card_id)
    wait_until(lambda: answers_to(feishubot.feishu, follow), 10, "the second answer")
    second = "\n".join(message["content"] for message in feishubot.bot.llm.questions[1])
    assert "Q: 这会影响哪些调用方？\nA: It changes src/client.py." in second


def test_replies_without_the_mention_or_to_messages_not_the_bots_get_no_answer(feishubot):
    card_id = card(feishubot)
    before = len(feishubot.feishu.messages)
    reply(feishubot, "这会影响哪些调用方？", card_id, mentioned=False)
    reply(feishubot, "这会影响哪些调用方？", "om_someone_elses_message")
    assert feishubot.bot.app.platform("feishu").events.drain(10)
    assert len(feishubot.feishu.messages) == before and feishubot.bot.llm.questions == []


def test_a_question_in_reply_to_a_commit_answer_card_is_answered(feishubot):
    bot, feishu = feishubot.bot, feishubot.feishu
    sha = bot.repo("octo/widgets").commit("feat: retry budget", files=[file_entry("src/retry.py")])
    feishubot.say(f"/commit {sha[:8]} octo/widgets", chat_id=CHAT, chat_type="p2p")
    card_id = wait_until(lambda: [m.message_id for m in feishu.messages if m.msg_type == "interactive"], 10,
                         "the /commit card")[0]
    asked = reply(feishubot, "改了什么？", card_id)
    assert "It changes src/retry.py." in wait_until(lambda: answers_to(feishu, asked), 10, "the answer")[0]
