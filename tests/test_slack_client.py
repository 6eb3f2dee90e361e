"""The Slack retry policy: reads and chat.unfurl are repeated; a post whose answer was lost is left to find_delivered.

A lossy edge (a load balancer) sits in front of the fake Slack: it forwards a post, Slack stores it, and the
answer is then lost (a 504, or no answer before the client's timeout) — the case where repeating the request
would post the message twice.
"""

from __future__ import annotations

import re
import socket
import threading
import urllib.request
from datetime import UTC, datetime
from http.client import RemoteDisconnected
from urllib.error import HTTPError, URLError

import pytest
from pytest_httpserver import HTTPServer
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from werkzeug import Request, Response

from bot.chat.slack.client import SlackRetry, make_client, make_webhook
from bot.chat.slack.notifier import SlackNotifier
from bot.domain import RepoRef, Subscription
from bot.domain.delivery import DeliveryOutcome
from bot.service.delivery import Deliverer
from bot.service.notifier import TransientDeliveryError
from tests.fake_slack import FakeSlack, fake, shared_fake  # noqa: F401
from tests.fakes import FakeAnalyser, FakeClock, make_commit

LOST_ANSWER_TIMEOUT = 0.2  # seconds the client waits for an answer the edge never sends
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class LossyEdge:
    """Forwards every request to the fake Slack; loses the answers of the next requests when told to."""

    def __init__(self, upstream: FakeSlack) -> None:
        self.upstream = upstream
        self._lock = threading.Lock()
        self.reset()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._forward)
        self.server.start()

    @property
    def api_url(self) -> str:
        """SLACK_API_URL through the edge."""
        return self.server.url_for("/api/")

    def reset(self) -> None:
        """Let hanging requests go and forget scripted losses (to share one edge between tests)."""
        with self._lock:
            release = getattr(self, "release", None)
            self.losses: list[str] = []  # one per coming request: "504" or "hang" (no answer in time)
            self.lost = threading.Event()  # set once a request reached Slack and its answer was lost
            self.release = threading.Event()  # lets hanging requests finish when the test ends
        if release is not None:
            release.set()

    def stop(self) -> None:
        """Let hanging requests go and stop the server."""
        self.reset()
        self.server.clear()
        self.server.stop()

    def _forward(self, request: Request) -> Response:
        query = request.query_string.decode()
        url = self.upstream.server.url_for(request.path) + (f"?{query}" if query else "")
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() in ("authorization", "content-type")}
        forwarded = urllib.request.Request(url, data=request.get_data(), headers=headers, method=request.method)
        try:
            with urllib.request.urlopen(forwarded, timeout=5) as answer:
                status, body, answer_headers = answer.status, answer.read(), answer.headers
        except HTTPError as exc:
            status, body, answer_headers = exc.code, exc.read(), exc.headers
        with self._lock:
            loss = self.losses.pop(0) if self.losses else None
            lost, release = self.lost, self.release
        if loss is None:
            passed = {name: answer_headers[name] for name in ("Content-Type", "Retry-After") if name in answer_headers}
            return Response(body, status=status, headers=passed)
        lost.set()
        if loss == "hang":
            release.wait(5)  # far beyond the client's timeout; released when the test ends
        return Response("upstream request timeout", status=504, content_type="text/plain")


@pytest.fixture(scope="module")
def shared_edge(shared_fake):
    lossy = LossyEdge(shared_fake)
    yield lossy
    lossy.stop()


@pytest.fixture
def edge(fake, shared_edge):
    shared_edge.reset()
    yield shared_edge
    shared_edge.reset()


@pytest.fixture
def policy():
    return SlackRetry(sleep=lambda seconds: None)


@pytest.fixture
def notifier(edge, policy):
    return SlackNotifier(make_client("xoxb-test-token", edge.api_url, policy, timeout=LOST_ANSWER_TIMEOUT))


# --- what the policy repeats ---

API = "https://slack.com/api/"
RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234/abcd"


def refused() -> URLError:
    return URLError(ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize("url, answer, repeated", [
    # Posting: only answers proving nothing was posted.
    (API + "chat.postMessage", 429, True),
    (API + "chat.postMessage", refused(), True),
    (API + "chat.postMessage", URLError(socket.gaierror(-2, "Name or service not known")), True),
    (API + "chat.postMessage", 500, False),
    (API + "chat.postMessage", 504, False),
    (API + "chat.postMessage", TimeoutError("timed out"), False),
    (API + "chat.postMessage", URLError(TimeoutError("timed out")), False),
    (API + "chat.postMessage", RemoteDisconnected("closed"), False),
    (API + "chat.postMessage", ConnectionResetError(104, "reset"), False),
    (API + "chat.postMessage", 200, False),
    (API + "reactions.add", 503, False),  # a method not known to be idempotent counts as posting
    (RESPONSE_URL, 429, True),
    (RESPONSE_URL, refused(), True),
    (RESPONSE_URL, 503, False),
    (RESPONSE_URL, TimeoutError("timed out"), False),
    # Reads and idempotent writes: anything that may pass.
    (API + "conversations.history", 503, True),
    (API + "conversations.history", TimeoutError("timed out"), True),
    (API + "conversations.replies", RemoteDisconnected("closed"), True),
    (API + "auth.test", ConnectionResetError(104, "reset"), True),
    (API + "chat.unfurl", 502, True),
    (API + "chat.unfurl", TimeoutError("timed out"), True),
    (API + "conversations.history", 200, False),
    (API + "conversations.history", 400, False),
])
def test_what_is_repeated(policy, url, answer, repeated):
    rules = policy.for_posts() if url == RESPONSE_URL else policy
    request = HttpRequest(method="POST", url=url, headers={})
    if isinstance(answer, int):
        verdict = rules.can_retry(state=RetryState(), request=request,
                                  response=HttpResponse(status_code=answer, headers={"Retry-After": ["1"]}))
    else:
        verdict = rules.can_retry(state=RetryState(), request=request, error=answer)
    assert verdict is repeated


# --- a post whose answer is lost ---


@pytest.mark.parametrize("loss", ["504", "hang"])
def test_a_post_whose_answer_is_lost_is_sent_once_and_transient(fake, edge, notifier, policy, loss):
    edge.losses.append(loss)
    with pytest.raises(TransientDeliveryError):
        notifier.post_text("C1", "hello", key="card:1:abc")
    assert edge.lost.wait(5)
    assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.posts("C1")) == 1
    assert list(policy.waits) == []


@pytest.mark.parametrize("loss", ["504", "hang"])
def test_the_next_cycle_finds_the_post_instead_of_posting_again(fake, edge, notifier, store, loss):
    sub, _ = store.subscriptions.save(Subscription(platform="slack", channel="C1",
                                                   repo=RepoRef.parse("octo/widgets")))
    commit = make_commit(sha="ab" * 20)
    analysis = FakeAnalyser().analyse(commit, "zh")
    edge.losses.append(loss)

    def deliver() -> DeliveryOutcome:  # a fresh Deliverer each time: the next cycle, or a restart
        return Deliverer(store, {"slack": notifier}, FakeClock()).deliver_card(sub, commit, analysis)

    assert deliver() == DeliveryOutcome.DEFERRED
    assert edge.lost.wait(5) and len(fake.posts("C1")) == 1 and store.deliveries.pending()
    assert deliver() == DeliveryOutcome.ALREADY
    assert len(fake.posts("C1")) == 1 and len(fake.calls_to("chat.postMessage")) == 1
    assert fake.calls_to("conversations.history") and store.deliveries.pending() == []
    assert store.deliveries.get(sub.id, "card", commit.sha).message_id == fake.posts("C1")[0]["ts"]


def test_a_post_rate_limited_at_the_edge_is_repeated(fake, edge, notifier, policy):
    fake.rate_limit("chat.postMessage", retry_after=2)
    assert notifier.post_text("C1", "hello") == fake.posts("C1")[0]["ts"]
    assert len(fake.calls_to("chat.postMessage")) == 2 and len(fake.posts("C1")) == 1
    assert list(policy.waits) == [2.0]


# --- reads, chat.unfurl and response_url ---


def test_history_read_is_repeated_after_a_lost_answer(fake, edge, notifier, policy):
    top = SlackNotifier(make_client("xoxb-test-token", fake.api_url, policy)).post_text("C1", "x", key="card:1:a")
    edge.losses.extend(["504", "hang"])
    assert notifier.find_delivered("C1", "card:1:a", LONG_AGO) == top
    assert len(fake.calls_to("conversations.history")) == 3 and list(policy.waits) == [0.5, 1.0]


def test_unfurl_is_repeated_after_a_server_error(fake, policy):
    client = make_client("xoxb-test-token", fake.api_url, policy)
    fake.fail("chat.unfurl", status=503, body="upstream down")
    client.chat_unfurl(channel="C1", ts="1.000001", unfurls={"https://github.com/o/r/commit/abc": {"blocks": []}})
    assert len(fake.calls_to("chat.unfurl")) == 2 and list(policy.waits) == [0.5]


def test_response_url_post_is_not_repeated_after_a_server_error(fake, policy):
    url = fake.response_url()
    fake.fail("response_url", status=503, body="upstream down")
    answer = make_webhook(url, policy).send_dict({"text": "hello", "response_type": "in_channel"})
    assert answer.status_code == 503 and len(fake.responses(url)) == 1 and list(policy.waits) == []


def test_response_url_post_is_repeated_when_rate_limited(fake, policy):
    url = fake.response_url()
    fake.rate_limit("response_url", retry_after=3)
    answer = make_webhook(url, policy).send_dict({"text": "hello", "response_type": "in_channel"})
    assert answer.status_code == 200 and len(fake.responses(url)) == 2 and list(policy.waits) == [3.0]
