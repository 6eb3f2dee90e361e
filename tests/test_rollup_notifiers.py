"""Roll-up parts through the real notifiers: Slack (slack_sdk) and Feishu (lark-oapi) against fake servers."""

from __future__ import annotations

import hashlib

import pytest

from bot.chat.feishu.notifier import FeishuNotifier, build_client
from bot.chat.feishu.policy import FeishuRetry
from bot.chat.slack.client import SlackRetry, make_client
from bot.chat.slack.notifier import METADATA_EVENT, SlackNotifier
from bot.domain import Importance
from bot.render.rollup import RollupLine, RollupPart
from tests.fake_feishu import FakeFeishu
from tests.fake_slack import fake, shared_fake  # noqa: F401

TITLE = '<!channel> fix: parser <at user_id="all">all</at>'


def part(index: int) -> RollupPart:
    sha = hashlib.sha1(str(index).encode()).hexdigest()
    line = RollupLine(Importance.MEDIUM, sha, f"https://github.com/octo/widgets/commit/{sha}", TITLE)
    return RollupPart(language="en", repo="octo/widgets", index=index, total=2, count=2, limit=10, lines=(line,))


def test_slack_posts_the_parent_then_the_reply_in_its_thread_with_linked_shas(fake):
    notifier = SlackNotifier(make_client("xoxb-test-token", fake.api_url, SlackRetry(sleep=lambda seconds: None)))
    parent = notifier.post_rollup("C1", part(0), key="rollup:1:a:0:x")
    notifier.post_rollup("C1", part(1), thread_id=parent, key="rollup:1:a:1:y")
    first, second = fake.calls_to("chat.postMessage")
    assert "thread_ts" not in first.params and second.params["thread_ts"] == parent
    assert first.params["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"key": "rollup:1:a:0:x"}}
    body = "\n".join(block["text"]["text"] for block in first.params["blocks"] if block["type"] == "section")
    assert f"<{part(0).lines[0].url}|{part(0).lines[0].short_sha}>" in body
    assert "<!channel>" not in body and "<!channel>" not in first.params["text"]


@pytest.fixture
def feishu(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


def test_feishu_posts_a_card_parent_and_a_card_reply_in_its_thread(feishu):
    client = build_client(feishu.app_id, feishu.app_secret, feishu.base_url, timeout=5)
    notifier = FeishuNotifier(client, FeishuRetry(sleeper=lambda seconds: None, attempts=2, base_delay=0.1))
    parent = notifier.post_rollup("oc_team", part(0), key="rollup:1:a:0:x")
    notifier.post_rollup("oc_team", part(1), thread_id=parent, key="rollup:1:a:1:y")
    first, reply = feishu.messages
    assert first.message_id == parent and first.msg_type == "interactive" and first.content["schema"] == "2.0"
    assert reply.reply_to == parent and reply.reply_in_thread is True
    content = "\n".join(element["content"] for element in first.content["body"]["elements"])
    assert f"[{part(0).lines[0].short_sha}]({part(0).lines[0].url})" in content and "<at" not in content
