"""FEISHU_MODE=ws: lark-oapi's WebSocket client against a local fake of Feishu's long-connection gateway."""

from __future__ import annotations

import json
import threading

import pytest
from lark_oapi.ws.pb.pbbp2_pb2 import Frame
from websockets.sync.server import serve

from bot.chat.commands import Reply
from bot.chat.feishu import build_feishu
from bot.config import Settings
from tests.fake_feishu import FakeFeishu, message_event
from tests.fakes import FakeCommandHandler

DATA = 1  # frame method: 0 control (ping/pong), 1 data


class FakeGateway:
    """Sends queued event frames to the connected client and collects the client's answers."""

    def __init__(self, events: list[dict]) -> None:
        self.events = events
        self.answers: list[dict] = []
        self.answered = threading.Event()
        self.connections = 0
        self._server = serve(self._session, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _session(self, connection) -> None:
        self.connections += 1
        for index, event in enumerate(self.events):
            frame = Frame(SeqID=index, LogID=index, service=7, method=DATA,
                          payload=json.dumps(event).encode("utf-8"))
            for key, value in (("type", "event"), ("message_id", f"msg-{index}"), ("trace_id", f"trace-{index}"),
                               ("sum", "1"), ("seq", "0")):
                header = frame.headers.add()
                header.key, header.value = key, value
            connection.send(frame.SerializeToString())
        try:
            for raw in connection:
                frame = Frame()
                frame.ParseFromString(raw)
                if frame.method == DATA:
                    self.answers.append(json.loads(frame.payload))
                    if len(self.answers) == len(self.events):
                        self.answered.set()
        except Exception:  # the client hanging up ends the session
            pass

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def fake(httpserver) -> FakeFeishu:
    return FakeFeishu(httpserver)


def test_events_over_the_long_connection_run_commands_once(fake, store):
    event = message_event("token-not-checked-on-ws", "/commit abc1234", event_id="ws-ev-1", chat_id="oc_ws")
    gateway = FakeGateway([event, event])  # the same event twice: it must run once
    fake.ws_url = f"ws://127.0.0.1:{gateway.port}/ws?device_id=dev-1&service_id=7"
    handler = FakeCommandHandler(Reply(text="done"))
    settings = Settings(_env_file=None, feishu_app_id=fake.app_id, feishu_app_secret=fake.app_secret,
                        feishu_domain=fake.base_url, feishu_mode="ws")
    channel = build_feishu(settings, handler, store)
    assert channel.wsgi_app is None and channel.long_connection is not None
    try:
        channel.start()
        assert gateway.answered.wait(10), "the client never answered the event frames"
        assert channel.events.drain(10)
    finally:
        channel.stop()
        gateway.close()

    assert [answer["code"] for answer in gateway.answers] == [200, 200]
    assert [(text, ctx.channel) for text, ctx in handler.calls] == [("/commit abc1234", "oc_ws")]
    [reply] = fake.calls_to("reply")
    assert json.loads(reply.body["content"]) == {"text": "done"}
    endpoint_calls = [call for call in fake.calls if call.path == "/callback/ws/endpoint"]
    assert endpoint_calls[0].body["AppID"] == fake.app_id
    assert gateway.connections == 1
