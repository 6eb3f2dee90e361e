"""Socket Mode: with SLACK_APP_TOKEN the same listeners receive commands over a WebSocket (no HTTP endpoint)."""

from __future__ import annotations

import json
import queue
import threading

import pytest
from websockets.sync.server import serve

from bot.chat.commands import CommandHandler, CommandServices
from bot.chat.commands.model import Defaults
from bot.chat.slack import build_slack
from bot.config import ConfigError, Settings
from tests.fake_slack import FakeSlack
from tests.fakes import FakeAnalyser, FakeDigests, FakeSource


class SocketServer:
    """A WebSocket endpoint that says hello, sends envelopes, and collects the app's acknowledgements."""

    def __init__(self) -> None:
        self.outgoing: queue.Queue[dict] = queue.Queue()
        self.acks: queue.Queue[dict] = queue.Queue()
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"

    def _session(self, connection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}))
        while True:
            envelope = self.outgoing.get()
            if envelope is None:
                return
            connection.send(json.dumps(envelope))
            self.acks.put(json.loads(connection.recv(timeout=5)))

    def close(self) -> None:
        self.outgoing.put(None)
        self.server.shutdown()


@pytest.fixture
def fake():
    server = FakeSlack.serve()
    yield server
    server.stop()


def handler(store) -> CommandHandler:
    return CommandHandler(CommandServices(store=store, source=FakeSource(), analyser=FakeAnalyser(),
                                          digests=FakeDigests(), defaults=Defaults(language="en")))


def test_commands_arrive_over_socket_mode_and_are_answered(store, fake):
    socket = SocketServer()
    fake.socket_url = socket.url
    settings = Settings(_env_file=None, slack_bot_token="xoxb-test-token", slack_app_token="xapp-test-token",
                        slack_api_url=fake.api_url)
    slack = build_slack(settings, handler(store), store, sleep=lambda s: None)
    assert slack.socket_mode and slack.wsgi_app is None  # nothing to mount: events come over the socket
    try:
        slack.start()
        [opened] = fake.calls_to("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-test-token"
        help_url, list_url = fake.response_url(), fake.response_url()
        command = {"token": "legacy", "team_id": "T0001", "channel_id": "C0001", "user_id": "U0001",
                   "command": "/commit", "text": "help", "response_url": help_url, "api_app_id": "A0001"}
        socket.outgoing.put({"envelope_id": "e1", "type": "slash_commands", "accepts_response_payload": True,
                             "payload": command})
        ack = socket.acks.get(timeout=5)
        assert ack["envelope_id"] == "e1" and "Usage: /commit" in ack["payload"]["text"]
        socket.outgoing.put({"envelope_id": "e2", "type": "slash_commands", "accepts_response_payload": True,
                             "payload": {**command, "command": "/subscriptions", "text": "", "response_url": list_url}})
        assert socket.acks.get(timeout=5)["envelope_id"] == "e2"
        [answer] = fake.wait_for("response_url")
        assert list_url.endswith(answer.params["_path"]) and "no subscriptions" in answer.params["text"]
    finally:
        slack.stop()
        socket.close()


def test_slack_needs_a_signing_secret_or_an_app_token(store, fake):
    settings = Settings(_env_file=None, slack_bot_token="xoxb-test-token", slack_api_url=fake.api_url)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build_slack(settings, handler(store), store)
    assert fake.calls == []  # nothing connects while building
