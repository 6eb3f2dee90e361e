"""Questions about a commit: storage (which commit a thread is about, turns, the hourly count) and the service."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import RepoRef, Subscription
from bot.store.questions import Turn
from tests.fake_github import file_entry
from tests.testbot import make_testbot

REPO = RepoRef.parse("octo/widgets")
SHA = "a" * 40
OTHER = "b" * 40
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _sent(store, sub, kind, item, message_id):
    delivery, _ = store.deliveries.claim(sub.id, kind, item, sub.platform, sub.channel)
    store.deliveries.mark_sent(delivery.id, message_id)


def _turn(n: int, user: str = "U1", sha: str = SHA, thread: str = "111.1", at: datetime = T0) -> Turn:
    return Turn("slack", "C1", thread, user, REPO.full_name, sha, f"question {n}", f"answer {n}", at)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def qstore(request, backend):
    from bot.store import open_store

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


def test_a_delivered_card_and_digest_entry_name_their_commit_and_a_digest_its_entries(qstore):
    sub, _ = qstore.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO))
    _sent(qstore, sub, "card", SHA, "100.1")
    _sent(qstore, sub, "digest", "2026-03-01", "200.1")
    _sent(qstore, sub, "digest-entry", f"2026-03-01:{SHA}", "200.2")
    _sent(qstore, sub, "digest-entry", f"2026-03-01:{OTHER}", "200.3")
    card = qstore.questions.post("slack", "C1", "100.1")
    assert (card.repo, card.shas, card.kind) == ("octo/widgets", (SHA,), "card")
    digest = qstore.questions.post("slack", "C1", "200.1")
    assert (digest.repo, digest.shas) == ("octo/widgets", (SHA, OTHER))
    assert qstore.questions.post("slack", "C1", "200.3").shas == (OTHER,)
    # Another channel's message with the same id, or a message the bot never posted, is not the bot's.
    assert qstore.questions.post("slack", "C2", "100.1") is None
    assert qstore.questions.post("slack", "C1", "999.9") is None


def test_a_remembered_post_names_its_commit_once(qstore):
    qstore.questions.remember_post("slack", "C1", "300.1", "octo/widgets", SHA.upper(), T0)
    qstore.questions.remember_post("slack", "C1", "300.1", "octo/other", OTHER, T0)  # kept once
    post = qstore.questions.post("slack", "C1", "300.1")
    assert (post.repo, post.shas) == ("octo/widgets", (SHA,))


def test_turns_come_back_oldest_first_per_commit_and_the_hourly_count_per_user(qstore):
    for n in range(6):
        qstore.questions.add_turn(_turn(n, at=T0 + timedelta(minutes=n)))
    qstore.questions.add_turn(_turn(9, sha=OTHER))
    qstore.questions.add_turn(_turn(8, user="U2", thread="222.2", at=T0 - timedelta(hours=2)))
    turns = qstore.questions.turns("slack", "C1", "111.1", SHA, 4)
    assert [turn.question for turn in turns] == ["question 2", "question 3", "question 4", "question 5"]
    assert turns[0].asked_at == T0 + timedelta(minutes=2)
    assert [turn.question for turn in qstore.questions.turns("slack", "C1", "111.1", OTHER, 4)] == ["question 9"]
    assert qstore.questions.asked_since("slack", "U1", T0 + timedelta(minutes=3)) == 3
    assert qstore.questions.asked_since("slack", "U1", T0) == 7
    assert qstore.questions.asked_since("slack", "U2", T0 - timedelta(hours=1)) == 0
    assert qstore.questions.asked_since("feishu", "U1", T0 - timedelta(hours=1)) == 0


# --- /ask through the real application (testbot: fake GitHub over HTTP, in-process fake LLM) ---

PATCH = "@@ -10,3 +10,4 @@ def connect(url):\n-    timeout = 30\n+    timeout = 5\n+    retries = 0\n"


def _repo_with_commit(testbot, files=None, message="fix: shorter connect timeout"):
    repo = testbot.repo("octo/widgets")
    files = files or [file_entry("src/client.py", patch=PATCH), file_entry("docs/notes.md")]
    return repo, repo.commit(message, files=files)


def test_ask_answers_from_the_commit_and_names_the_files_it_relied_on(testbot):
    _, sha = _repo_with_commit(testbot)
    reply = testbot.send(f"/ask {sha[:7]} octo/widgets what's the new timeout for clients on v1?")
    assert reply.public
    assert reply.text.splitlines()[0] == f"About octo/widgets {sha[:7]}:"
    assert "It changes src/client.py." in reply.text
    assert reply.text.rstrip().endswith("Based on: src/client.py")
    prompt = "\n".join(message["content"] for message in testbot.llm.questions[-1])
    # Grounded in the commit: its diff, message and stored analysis, and the question as typed.
    assert "+    timeout = 5" in prompt and "fix: shorter connect timeout" in prompt
    assert "Stored analysis" in prompt and '"importance":"high"' in prompt
    assert "what's the new timeout for clients on v1?" in prompt
    assert len(testbot.llm.questions) == 1


def test_a_follow_up_question_sees_the_earlier_turns_about_that_commit(testbot):
    _, sha = _repo_with_commit(testbot)
    testbot.send(f"/ask {sha[:7]} octo/widgets which file changed?")
    testbot.llm.next_answer = json.dumps({"answer": "Retries are now 0.", "files": ["src/client.py"]})
    testbot.send(f"/ask {sha[:7]} octo/widgets and the retries?")
    prompt = "\n".join(message["content"] for message in testbot.llm.questions[-1])
    assert "Q: which file changed?\nA: It changes src/client.py." in prompt
    assert testbot.send(f"/ask {sha[:7]} octo/widgets and then?").text is not None
    third = "\n".join(message["content"] for message in testbot.llm.questions[-1])
    assert "Q: and the retries?\nA: Retries are now 0." in third


def test_an_answer_the_commit_does_not_hold_says_so_and_invented_files_are_dropped(testbot):
    _, sha = _repo_with_commit(testbot)
    testbot.llm.next_answer = json.dumps({"answer": "The diff does not show the server side.",
                                          "files": ["src/server.py"], "answered": False})
    text = testbot.send(f"/ask {sha[:7]} octo/widgets does the server accept it?").text
    lines = text.split("\n\n")
    assert lines[0].endswith("This commit does not answer that question.")
    assert "The diff does not show the server side." in text and "src/server.py" not in text
    assert lines[-1] == "Based on: the commit's message, pull request and analysis (no file of its diff)."


def test_a_question_over_2000_characters_is_a_usage_reply_and_nothing_is_asked_or_stored(testbot):
    _, sha = _repo_with_commit(testbot)
    text = testbot.send(f"/ask {sha[:7]} octo/widgets " + "why " * 501).text
    assert "2003 characters; at most 2000" in text and "Usage: /ask <sha> [owner/repo] <question>" in text
    assert testbot.llm.questions == []
    assert testbot.app.store.questions.asked_since("slack", "U1", T0 - timedelta(days=3650)) == 0


def test_ask_without_a_question_or_about_an_unknown_commit(testbot):
    _, sha = _repo_with_commit(testbot)
    assert "Missing argument: <question>." in testbot.send(f"/ask {sha[:7]}").text
    assert "No commit abcdef1 in octo/widgets." in testbot.send("/ask abcdef1 octo/widgets why?").text
    assert testbot.llm.questions == []


def test_with_no_llm_configured_a_question_gets_a_reply_saying_questions_need_one(testbot):
    from bot.bootstrap import build_questions

    app = testbot.app
    app.handler.services.questions = build_questions(app.settings, app.store, app.source, app.analyser, app.clock,
                                                     None)
    _, sha = _repo_with_commit(testbot)
    text = testbot.send(f"/ask {sha[:7]} octo/widgets why?").text
    assert text == "Questions about commits need an LLM, and none is configured for this bot " \
                   "(OPENAI_API_KEY or OPENAI_BASE_URL)."
    assert testbot.llm.questions == []


def test_the_hourly_limit_per_person_answers_politely_then_lets_them_ask_again(fake_github, tmp_path):
    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/limit.db", ask_per_user_per_hour=2)
    try:
        _, sha = _repo_with_commit(bot)
        for _ in range(2):
            assert "Based on" in bot.send(f"/ask {sha[:7]} octo/widgets why?").text
        limited = bot.send(f"/ask {sha[:7]} octo/widgets why again?")
        assert "You have asked 2 questions in the last hour, the most allowed" in limited.text
        assert not limited.public and len(bot.llm.questions) == 2
        assert "Based on" in bot.send(f"/ask {sha[:7]} octo/widgets why?", user="U2").text  # per person
        bot.clock.advance(hours=1, seconds=1)
        assert "Based on" in bot.send(f"/ask {sha[:7]} octo/widgets why now?").text
    finally:
        bot.app.close()


def test_a_huge_diff_is_cut_to_the_input_budget_and_the_prompt_still_carries_the_question(fake_github, tmp_path):
    from bot.analysis.tokenizer import counter_for

    bot = make_testbot(fake_github, f"sqlite:///{tmp_path}/budget.db", llm_input_token_budget=3000)
    try:
        big = "@@ -1,5000 +1,5000 @@\n" + "".join(f"+line {n} = compute({n})\n" for n in range(5000))
        _, sha = _repo_with_commit(bot, files=[file_entry("src/big.py", additions=5000, patch=big)])
        bot.send(f"/ask {sha[:7]} octo/widgets what is line 3 about?")
        messages = bot.llm.questions[-1]
        tokens = counter_for(bot.llm.model).messages(messages)
        assert 0.75 * 3000 <= tokens <= 3000
        prompt = "\n".join(message["content"] for message in messages)
        assert "+line 3 = compute(3)" in prompt and "what is line 3 about?" in prompt and "Omitted:" in prompt
    finally:
        bot.app.close()


def test_help_names_ask_in_both_languages(testbot):
    assert "/ask <sha> [owner/repo] <question>" in testbot.send("/help").text
    assert "mention the bot in the thread of a card" in testbot.send("/ask help").text
    assert "在卡片、日报或 /commit 回复的话题里提及机器人" in testbot.send("/ask help --lang zh").text


# --- the LLM call: the real OpenAIChat against the fake OpenAI server, under the retry policy ---

from bot.analysis.ask import AskInput, AskRunner, load_ask_templates  # noqa: E402
from bot.analysis.llm import OpenAIChat, make_client  # noqa: E402
from bot.analysis.retry import LLMRetry  # noqa: E402
from bot.analysis.runner import GaveUp  # noqa: E402
from tests.fake_openai import (  # noqa: E402,F401
    _threaded_server,
    fake_openai,
    rate_limited,
    refusal,
    sample_commit,
    threaded_httpserver,
    truncated,
    valid,
)

ANSWER = {"answer": "Validation now rejects topology changes.", "files": ["x"], "answered": True}


def _runner(fake, sleeps: list[float], budget: int = 6000) -> AskRunner:
    chat = OpenAIChat(make_client(fake.base_url, "sk-test", 5), "gpt-4.1-mini")
    return AskRunner(chat, load_ask_templates(), budget, 500, LLMRetry(), sleeps.append)


def _item() -> AskInput:
    return AskInput(sample_commit(), "(made by LLM)\n{}", "Does this break existing pipelines?")


def test_a_429_is_waited_out_as_retry_after_says_then_answered_in_json_mode(fake_openai):
    fake_openai.script(rate_limited(3), valid(ANSWER))
    sleeps: list[float] = []
    answered = _runner(fake_openai, sleeps).run(_item())
    assert answered.content.answer == ANSWER["answer"] and answered.attempts == 2 and sleeps == [3.0]
    request = fake_openai.requests[-1]
    assert request["response_format"] == {"type": "json_object"} and request["max_tokens"] == 500
    # Exact counting (o200k for gpt-4.1-mini) keeps the whole prompt within the budget.
    assert answered.prompt.tokens <= 6000


def test_a_server_without_json_mode_is_asked_again_in_text_and_prose_is_taken_as_the_answer(threaded_httpserver):
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI(threaded_httpserver, rejects=("json_object",))
    fake.script(valid("The change only touches the webhook validation."))
    answered = _runner(fake, []).run(_item())
    assert answered.content.answer == "The change only touches the webhook validation." and answered.content.answered
    assert "response_format" not in fake.requests[-1]


def test_a_cut_off_reply_gets_a_larger_allowance_and_a_refusal_ends_the_run(fake_openai):
    fake_openai.script(truncated(), valid(ANSWER))
    _runner(fake_openai, []).run(_item())
    limits = [request.get("max_completion_tokens") or request.get("max_tokens") for request in fake_openai.requests]
    assert limits == [500, 1000]
    fake_openai.script(refusal())
    with pytest.raises(GaveUp, match="refus"):
        _runner(fake_openai, []).run(_item())
    assert len(fake_openai.requests) == 3


def test_a_custom_prompt_set_without_ask_templates_uses_the_shipped_pair_and_a_broken_one_fails(tmp_path):
    from bot.analysis.prompts import PromptError

    (tmp_path / "v1").mkdir()
    shipped = load_ask_templates()
    fallback = load_ask_templates("v1", tmp_path)
    assert (fallback.system, fallback.user.template) == (shipped.system, shipped.user.template)
    (tmp_path / "v1" / "ask.system.md").write_text("Answer briefly.", encoding="utf-8")
    (tmp_path / "v1" / "ask.user.md").write_text("$commit_data $question", encoding="utf-8")
    with pytest.raises(PromptError, match=r"must use exactly \$analysis, \$boundary, \$commit_data"):
        load_ask_templates("v1", tmp_path)


def test_a_thread_of_an_unknown_commit_gets_a_reply_saying_so(testbot):
    from bot.chat.commands.ask import answer_in_thread
    from bot.service.questions import Where
    from bot.store.questions import ThreadPost

    services = testbot.app.handler.services
    where = Where("slack", "C1", "500.1", "U1")
    rollup = ThreadPost(None, (), "rollup")  # a burst's roll-up names many commits: none to pick
    assert answer_in_thread(services, where, "why?", rollup).startswith("I cannot tell which commit this thread")
    testbot.repo("octo/widgets")
    gone = ThreadPost("octo/widgets", ("c" * 40,), "card")  # GitHub no longer has it
    assert answer_in_thread(services, where, "why?", gone).startswith("I cannot tell which commit this thread")
    assert answer_in_thread(services, where, "   ", gone).startswith("Write your question after the mention")
    assert testbot.llm.questions == []
