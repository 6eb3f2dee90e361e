"""Questions in Slack threads through the real wiring in-process: signed app_mention events in, threaded answers out."""

from __future__ import annotations

import json
from datetime import datetime

from tests.e2e_stack import SIGNING_SECRET, wait_until
from tests.fake_github import file_entry
from tests.fake_slack import BOT_USER, command_body, event_body, mention_event, signed_headers
from tests.testbot import slackbot  # noqa: F401 - the fixture

CHANNEL = "C0001"
PATCH = "@@ -10,3 +10,4 @@ def connect(url):\n-    timeout = 30\n+    timeout = 5\n+    retries = 0\n"
QUESTION = f"<@{BOT_USER}> what could this break for clients on v1?"


def mention(slackbot, text: str, thread: str | None, event_id: str, ts: str = "1767225600.000100") -> None:
    body = event_body(mention_event(text, thread, ts=ts), event_id)
    status, _ = slackbot.bot.post("/slack/events", body, signed_headers(SIGNING_SECRET, body,
                                                                        content_type="application/json"))
    assert status == 200


def thread_posts(slackbot, thread: str) -> list[dict]:
    return [post for post in slackbot.slack.posts(CHANNEL) if post.get("thread_ts") == thread]


def card_in_channel(slackbot, files=None, message="fix: shorter connect timeout") -> tuple[str, str]:
    repo = slackbot.bot.github.repos.get("octo/widgets") or slackbot.bot.repo("octo/widgets")
    slackbot.answers(slackbot.slash("/subscribe", "octo/widgets --min low"))
    slackbot.bot.tick()
    sha = repo.commit(message, files=files or [file_entry("src/client.py", patch=PATCH)])
    slackbot.bot.tick()
    card = next(post for post in slackbot.slack.posts(CHANNEL) if not post.get("thread_ts"))
    return sha, card["ts"]


def test_a_mention_in_a_cards_thread_gets_one_threaded_answer_grounded_in_its_diff(slackbot):
    sha, card_ts = card_in_channel(slackbot)
    mention(slackbot, QUESTION, card_ts, "Ev1")
    mention(slackbot, QUESTION, card_ts, "Ev1")  # Slack's retry of the same event
    # The retry was dropped before any work was queued: the event id is recorded in the request itself.
    wait_until(lambda: thread_posts(slackbot, card_ts), 10, "the threaded answer")
    answer = thread_posts(slackbot, card_ts)[0]
    assert "It changes src/client.py." in answer["text"] and "Based on: src/client.py" in answer["text"]
    prompt = "\n".join(message["content"] for message in slackbot.bot.llm.questions[0])
    assert "+    timeout = 5" in prompt and "what could this break for clients on v1?" in prompt
    assert f"<@{BOT_USER}>" not in prompt  # the mention itself is not part of the question
    assert len(thread_posts(slackbot, card_ts)) == 1 and len(slackbot.bot.llm.questions) == 1
    assert sha


def test_mentions_outside_the_bots_threads_are_not_answered(slackbot):
    _, card_ts = card_in_channel(slackbot)
    before = len(slackbot.slack.posts(CHANNEL))
    mention(slackbot, QUESTION, None, "Ev-top")  # a mention in the channel, not in a thread
    mention(slackbot, QUESTION, "1767225600.000999", "Ev-other")  # the thread of someone else's message
    mention(slackbot, "what could this break?", card_ts, "Ev-no-mention")  # does not mention the bot
    # The unknown thread is looked up once (its parent is not the bot's); the others never get that far.
    wait_until(lambda: slackbot.slack.calls_to("conversations.replies"), 10, "the unknown thread's lookup")
    mention(slackbot, QUESTION, card_ts, "Ev-card", ts="1767225600.000102")  # then one the bot does answer
    wait_until(lambda: thread_posts(slackbot, card_ts), 10, "the answer in the card's thread")
    assert len(slackbot.slack.posts(CHANNEL)) == before + 1
    assert len(slackbot.bot.llm.questions) == 1
    assert [call.params["ts"] for call in slackbot.slack.calls_to("conversations.replies")] == ["1767225600.000999"]


def test_the_answer_is_escaped_so_it_cannot_ping_or_fake_a_link(slackbot):
    _, card_ts = card_in_channel(slackbot)
    slackbot.bot.llm.next_answer = json.dumps({"answer": "<!channel> see <http://evil.example|the fix> <@U999>",
                                               "files": ["src/client.py"]})
    mention(slackbot, QUESTION, card_ts, "Ev1")
    text = wait_until(lambda: thread_posts(slackbot, card_ts), 10, "the answer")[0]["text"]
    raw = json.dumps(thread_posts(slackbot, card_ts))
    for forged in ("<!channel>", "<http://evil.example|the fix>", "<@U999>"):
        assert forged not in raw
    assert "&lt;!channel&gt;" in text


def test_a_question_in_the_thread_of_a_commit_answer_finds_the_commit_by_its_metadata(slackbot):
    repo = slackbot.bot.repo("octo/widgets")
    sha = repo.commit("feat: retry budget", files=[file_entry("src/retry.py", patch="@@ -1 +1 @@\n-a\n+budget = 3")])
    url = slackbot.slack.response_url(channel=CHANNEL)
    body = command_body("/commit", f"{sha[:8]} octo/widgets", url, channel=CHANNEL)
    status, _ = slackbot.bot.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
    assert status == 200
    answer = slackbot.answers(url)[0]
    assert answer["metadata"] == {"event_type": "commit_radar_commit",
                                  "event_payload": {"repo": "octo/widgets", "sha": sha}}
    parent = slackbot.slack.posts(CHANNEL)[0]["ts"]
    mention(slackbot, QUESTION, parent, "Ev1", ts="1767225600.000201")
    wait_until(lambda: thread_posts(slackbot, parent), 10, "the first answer")
    mention(slackbot, f"<@{BOT_USER}> and the budget?", parent, "Ev2", ts="1767225600.000202")
    wait_until(lambda: len(thread_posts(slackbot, parent)) == 2, 10, "the second answer")
    assert "It changes src/retry.py." in thread_posts(slackbot, parent)[0]["text"]
    second = "\n".join(message["content"] for message in slackbot.bot.llm.questions[1])
    assert "Q: what could this break for clients on v1?\nA: It changes src/retry.py." in second
    # Found through Slack once, then remembered.
    assert len(slackbot.slack.calls_to("conversations.replies")) == 1


def test_in_a_digests_thread_the_question_names_its_commit_by_sha(slackbot):
    repo = slackbot.bot.repo("octo/widgets")
    slackbot.answers(slackbot.slash("/subscribe", "octo/widgets --min high"))
    slackbot.bot.tick()
    first = repo.commit("fix: alpha [low]", files=[file_entry("src/alpha.py")])
    second = repo.commit("fix: beta [low]", files=[file_entry("src/beta.py")])
    slackbot.bot.tick()
    day = datetime.fromisoformat(repo.objects[second].date.replace("Z", "+00:00")).date()
    slackbot.answers(slackbot.slash("/digest", f"octo/widgets {day.isoformat()}"))
    parent = next(post for post in slackbot.slack.posts(CHANNEL) if not post.get("thread_ts"))["ts"]
    replies = len(thread_posts(slackbot, parent))
    mention(slackbot, QUESTION, parent, "Ev1", ts="1767225600.000301")
    wait_until(lambda: len(thread_posts(slackbot, parent)) > replies, 10, "the which-commit reply")
    which = thread_posts(slackbot, parent)[-1]["text"]
    assert "name the one you mean by its short SHA" in which and first[:7] in which and second[:7] in which
    mention(slackbot, f"<@{BOT_USER}> what did {second[:7]} change?", parent, "Ev2", ts="1767225600.000302")
    wait_until(lambda: len(thread_posts(slackbot, parent)) > replies + 1, 10, "the answer")
    assert "It changes src/beta.py." in thread_posts(slackbot, parent)[-1]["text"]
    assert len(slackbot.bot.llm.questions) == 1


def test_without_an_llm_or_over_the_length_limit_the_thread_gets_a_clear_reply(slackbot):
    from bot.bootstrap import build_questions

    _, card_ts = card_in_channel(slackbot)
    mention(slackbot, f"<@{BOT_USER}> " + "why? " * 401, card_ts, "Ev-long", ts="1767225600.000401")
    wait_until(lambda: thread_posts(slackbot, card_ts), 10, "the length reply")
    assert "questions may have at most 2000" in thread_posts(slackbot, card_ts)[0]["text"]
    app = slackbot.bot.app
    app.handler.services.questions = build_questions(app.settings, app.store, app.source, app.analyser, app.clock,
                                                     None)
    mention(slackbot, QUESTION, card_ts, "Ev-nollm", ts="1767225600.000402")
    wait_until(lambda: len(thread_posts(slackbot, card_ts)) == 2, 10, "the no-LLM reply")
    assert thread_posts(slackbot, card_ts)[1]["text"].startswith("Questions about commits need an LLM")
    assert slackbot.bot.llm.questions == []
