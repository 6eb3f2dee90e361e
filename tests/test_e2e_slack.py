"""End to end: the real `commit-radar run` process against fake GitHub, Slack and OpenAI servers.

Only what a real process proves lives here (kill -9 mid-delivery, then a restart); the Slack
behaviour itself is checked in-process through the same wiring (tests/test_app_slack.py).
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from pytest_httpserver import HTTPServer

from bot.github.webhook import sign
from tests.e2e_stack import BOT_TOKEN, SIGNING_SECRET, WEBHOOK_SECRET, Bot, HoldingSlack, wait_until
from tests.fake_github import FakeGitHub, file_entry
from tests.fake_openai import ASK_SYSTEM_MARK, FakeOpenAI, answering, prompt_text, valid
from tests.fake_slack import BOT_USER, event_body, mention_event, signed_headers

pytestmark = pytest.mark.e2e
CHANNEL = "C0001"


@pytest.fixture
def stack(tmp_path):
    github = FakeGitHub.serve(threads=8)
    slack = HoldingSlack.serve(token=BOT_TOKEN)
    llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    llm_server.start()
    llm = FakeOpenAI(llm_server, otherwise=valid())
    bot = Bot(tmp_path, {
        "GITHUB_API_URL": github.api_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
        "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-e2e", "LLM_MODEL": "fake-model",
        "POLL_INTERVAL": "5", "LANGUAGE": "en",
    })
    yield github, slack, llm, bot
    slack.release.set()
    bot.stop()
    slack.stop()
    github.stop()
    llm_server.stop()


def push(bot: Bot, repo: str, branch: str = "main") -> int:
    body = json.dumps({"ref": f"refs/heads/{branch}", "repository": {"full_name": repo},
                       "commits": [{"id": "0" * 40, "message": "not trusted"}]})
    status, _ = bot.post("/github/webhook", body, {"Content-Type": "application/json", "X-GitHub-Event": "push",
                                                   "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body.encode()),
                                                   "X-GitHub-Delivery": "d-1"})
    return status


def subscribe(bot, slack, github, text: str) -> None:
    url = bot.slash(slack, "/subscribe", text)
    wait_until(lambda: slack.responses(url), 30, "the /subscribe answer")
    assert "octo/widgets" in json.dumps(slack.responses(url))
    # The first poll records the head (no flood of history); commits after it are new.
    wait_until(lambda: any(seen.path == "/repos/octo/widgets/commits" for seen in github.seen), 30,
               "the first poll of octo/widgets")


def cards(slack) -> list[dict]:
    return [post for post in slack.posts(CHANNEL) if not post.get("thread_ts")]


def _cycles(bot) -> float:
    with urllib.request.urlopen(bot.url + "/metrics", timeout=5) as answer:
        lines = answer.read().decode().splitlines()
    return next(float(line.split()[-1]) for line in lines if line.startswith("commit_radar_poll_cycles_total "))


def test_kill_9_mid_delivery_then_restart_delivers_each_card_once(stack):
    github, slack, llm, bot = stack
    repo = github.add_repo("octo/widgets")
    bot.start()
    subscribe(bot, slack, github, "octo/widgets --min low")
    shas = [repo.commit(f"feat: change {n}", files=[file_entry(f"src/m{n}.py")]) for n in range(6)]
    slack.hold_after = 2  # the third post is accepted by Slack but never answered
    assert push(bot, "octo/widgets") == 202
    wait_until(lambda: len(cards(slack)) >= 3, 40, "three posts")
    bot.kill()
    slack.hold_after = None
    slack.release.set()
    bot.start()
    wait_until(lambda: len(cards(slack)) >= 6, 40, "six cards after the restart")
    assert push(bot, "octo/widgets") == 202  # another cycle: nothing more may arrive
    wait_until(lambda: _cycles(bot) >= 2, 30, "a later poll cycle")
    titles = [post["text"] for post in cards(slack)]
    assert len(titles) == 6, titles
    for n in range(6):
        assert sum(f"feat: change {n}" in title for title in titles) == 1
    assert len(shas) == 6


def mention(bot: Bot, thread: str | None, event_id: str, ts: str) -> None:
    """A signed app_mention event asking the bot a question, in `thread` (None: in the channel itself)."""
    body = event_body(mention_event(f"<@{BOT_USER}> what could this break for clients on v1?", thread, ts=ts),
                      event_id)
    status, _ = bot.post("/slack/events", body, signed_headers(SIGNING_SECRET, body, content_type="application/json"))
    assert status == 200


def test_a_question_in_a_cards_thread_gets_one_threaded_answer_and_one_elsewhere_none(stack):
    github, slack, llm, bot = stack
    llm.otherwise = answering()
    repo = github.add_repo("octo/widgets")
    bot.start()
    subscribe(bot, slack, github, "octo/widgets --min low")
    patch = "@@ -10,3 +10,4 @@ def connect(url):\n-    timeout = 30\n+    timeout = 5\n+    retries = 0\n"
    repo.commit("fix: shorter connect timeout", files=[file_entry("src/client.py", patch=patch)])
    assert push(bot, "octo/widgets") == 202
    card = wait_until(lambda: cards(slack), 40, "the card")[0]
    mention(bot, None, "Ev-top", "1767225600.000100")
    mention(bot, "1767225600.000999", "Ev-out", "1767225600.000101")  # the thread of someone else's message
    wait_until(lambda: slack.calls_to("conversations.replies"), 20, "the unknown thread's lookup")
    mention(bot, card["ts"], "Ev-card", "1767225600.000102")
    mention(bot, card["ts"], "Ev-card", "1767225600.000102")  # Slack's retry of the same event
    answers = wait_until(lambda: [post for post in slack.posts(CHANNEL) if post.get("thread_ts")], 40, "the answer")
    assert answers[0]["thread_ts"] == card["ts"]
    assert "It changes src/client.py." in answers[0]["text"] and "Based on: src/client.py" in answers[0]["text"]
    asked = [request for request in llm.requests if ASK_SYSTEM_MARK in prompt_text(request, "system")]
    assert len(asked) == 1 and "+    timeout = 5" in prompt_text(asked[0])
    assert push(bot, "octo/widgets") == 202  # a later cycle: still one answer, nowhere else
    wait_until(lambda: _cycles(bot) >= 2, 30, "a later poll cycle")
    assert [post["thread_ts"] for post in slack.posts(CHANNEL) if post.get("thread_ts")] == [card["ts"]]
