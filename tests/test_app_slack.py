"""Slack through the real wiring in-process: signed slash commands in, cards, digests and answers at the fake Slack."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.fake_github import file_entry
from tests.fake_slack import FakeSlack
from tests.testbot import slackbot  # noqa: F401 - the fixture

CHANNEL = "C0001"
SHANGHAI = timezone(timedelta(hours=8))


def cards(slack: FakeSlack) -> list[dict]:
    return [post for post in slack.posts(CHANNEL) if not post.get("thread_ts")]


def test_subscribe_cards_digest_and_lookup(slackbot):
    repo = slackbot.bot.repo("octo/widgets")
    answer = slackbot.answers(slackbot.slash("/subscribe", "octo/widgets --min low --tz Asia/Shanghai"))
    assert "octo/widgets" in json.dumps(answer)
    assert slackbot.bot.tick() == []  # a new subscription starts at the branch head: no flood of history

    hostile = repo.commit("feat: <!channel> ping <@U123> and <http://evil.example|click>",
                          files=[file_entry("src/app.py")], pull={"number": 12, "title": "<!here> PR"})
    plain = repo.commit("fix: handle empty input", files=[file_entry("src/input.py")])
    assert slackbot.bot.push_event("octo/widgets") == 202
    slackbot.bot.tick()
    posted = cards(slackbot.slack)
    assert len(posted) == 2
    raw = json.dumps(posted)
    for mention in ("<!channel>", "<@U123>", "<http://evil.example|click>", "<!here>"):
        assert mention not in raw
    assert all(post["metadata"]["event_payload"] for post in posted)
    assert len(slackbot.bot.llm.calls) == 2  # one analysis per commit

    day = datetime.fromisoformat(repo.objects[plain].date.replace("Z", "+00:00")).astimezone(SHANGHAI).date()
    slackbot.answers(slackbot.slash("/digest", f"octo/widgets {day.isoformat()}"))
    parents = [post for post in cards(slackbot.slack) if post not in posted]
    replies = [post for post in slackbot.slack.posts(CHANNEL) if post.get("thread_ts")]
    assert len(parents) == 1 and len(replies) >= 2 and {r["thread_ts"] for r in replies} == {parents[0]["ts"]}
    assert len(slackbot.bot.llm.calls) == 2  # the digest reused the analyses

    answer = slackbot.answers(slackbot.slash("/commit", plain[:8]))
    assert "handle empty input" in json.dumps(answer) and answer[0].get("response_type") == "in_channel"
    assert len(slackbot.bot.llm.calls) == 2  # cached
    assert hostile  # posted above
    metrics = slackbot.bot.get("/metrics")
    for name in ("commit_radar_polls_total", "commit_radar_github_requests", "commit_radar_github_not_modified",
                 "commit_radar_analyses_total{source=\"llm\"}", "commit_radar_analysis_prompt_tokens",
                 "commit_radar_deliveries_total{kind=\"card\",platform=\"slack\"}", "commit_radar_errors"):
        assert name in metrics, name
