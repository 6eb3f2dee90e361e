"""Benchmark: how fast `/feishu/events` answers Feishu while commands are slow.

Feishu re-pushes an event it has no answer to within 3 s. The endpoint runs on the production
server (waitress, HTTP_THREADS=16) over a SQLite store; N encrypted, signed `im.message.receive_v1`
events arrive at once, each a command whose handler takes `--work` seconds (an uncached /commit
waits for the LLM). Replies go to a fake Feishu Open API. Prints the acknowledgement latencies
(p50, p99, max), how many commands ran, and how many replies Feishu received, then re-sends
every event to show that none runs twice.

    .venv/bin/python bench/feishu_events.py [--events 50] [--work 2.0]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_httpserver import HTTPServer

from bot.chat.commands import Reply
from bot.chat.feishu import build_feishu
from bot.config import Settings
from bot.entrypoints.http import HttpServer
from bot.store import open_store
from bot.wsgi import Router
from tests.fake_feishu import FakeFeishu, message_event, signed_request

TOKEN = "bench-verification-token"
KEY = "bench-encrypt-key"
FEISHU_DEADLINE = 3.0


class SlowHandler:
    """A command layer whose every command takes `work` seconds."""

    def __init__(self, work: float) -> None:
        self.work = work
        self.ran = 0
        self._lock = threading.Lock()

    def handle(self, text, ctx) -> Reply:
        time.sleep(self.work)  # stands in for GitHub and the LLM
        with self._lock:
            self.ran += 1
        return Reply(text="done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--work", type=float, default=2.0, help="seconds each command takes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    api = HTTPServer(host="127.0.0.1", port=0)
    api.start()
    fake = FakeFeishu(api)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        handler = SlowHandler(args.work)
        settings = Settings(_env_file=None, feishu_app_id=fake.app_id, feishu_app_secret=fake.app_secret,
                            feishu_verification_token=TOKEN, feishu_encrypt_key=KEY, feishu_domain=fake.base_url)
        channel = build_feishu(settings, handler, store)
        router = Router()
        router.mount("/feishu/events", channel.wsgi_app)
        server = HttpServer(router, "127.0.0.1", 0, threads=settings.http_threads)
        server.start()
        url = f"http://127.0.0.1:{server.port}/feishu/events"
        requests_ = [signed_request(message_event(TOKEN, f"/commit {i:07x}", event_id=f"bench-{i}"), KEY)
                     for i in range(args.events)]

        def send(request) -> tuple[float, int]:
            body, headers = request
            started = time.perf_counter()
            answer = requests.post(url, data=body, headers=headers, timeout=10)
            return time.perf_counter() - started, answer.status_code

        with ThreadPoolExecutor(max_workers=args.events) as pool:
            started = time.perf_counter()
            first = list(pool.map(send, requests_))
            burst = time.perf_counter() - started
            channel.events.drain(timeout=args.work * args.events + 30)
            done = time.perf_counter() - started
            again = list(pool.map(send, requests_))
        channel.events.drain(timeout=30)

        latencies = sorted(seconds for seconds, _ in first)
        p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
        print(f"events: {args.events} concurrent, each command {args.work:.1f}s of work")
        print(f"ack latency: p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms (Feishu waits {FEISHU_DEADLINE:.0f} s)")
        print(f"all {args.events} acknowledged in {burst:.2f} s; all commands finished after {done:.2f} s")
        print(f"statuses: {sorted({status for _, status in first + again})}")
        print(f"commands run: {handler.ran}; replies Feishu received: {len(fake.calls_to('reply'))}; "
              f"after re-sending every event: still {handler.ran}")
        channel.stop()
        server.stop()
        store.close()
    api.stop()


if __name__ == "__main__":
    main()
