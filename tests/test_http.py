"""The production HTTP server: routing, health, and a clean stop with keep-alive clients connected."""

from __future__ import annotations

import http.client
import json
import threading
import time

from bot.service.http import HttpServer, Router, health_app, json_response


def slow_app(started: threading.Event):
    def app(environ, start_response):
        started.set()
        time.sleep(0.5)  # a request in flight while the server is told to stop
        return json_response(start_response, "200 OK", {"done": True})
    return app


def test_routes_health_and_404():
    router = Router()
    router.mount("/healthz", health_app({"database": lambda: None, "scheduler": lambda: (_ for _ in ()).throw(RuntimeError("x"))}))
    server = HttpServer(router, "127.0.0.1", 0, threads=2)
    server.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/healthz")
        answer = conn.getresponse()
        assert answer.status == 503
        assert json.loads(answer.read())["checks"] == {"database": "ok", "scheduler": "fail: RuntimeError"}
        conn.request("GET", "/nope")
        assert conn.getresponse().status == 404
    finally:
        server.stop()


def test_stop_finishes_the_request_in_flight_and_does_not_wait_for_idle_keepalive():
    started = threading.Event()
    router = Router()
    router.mount("/slow", slow_app(started))
    router.mount("/fast", lambda environ, start: json_response(start, "200 OK", {}))
    server = HttpServer(router, "127.0.0.1", 0, threads=2)
    server.start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "/fast")
    idle.getresponse().read()  # this keep-alive connection now sits idle
    result = {}

    def call_slow():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/slow")
        answer = conn.getresponse()
        result["status"], result["body"] = answer.status, json.loads(answer.read())

    caller = threading.Thread(target=call_slow)
    caller.start()
    assert started.wait(5)
    begun = time.monotonic()
    server.stop(timeout=10)
    caller.join(5)
    assert result == {"status": 200, "body": {"done": True}}
    assert time.monotonic() - begun < 5  # the idle keep-alive connection did not hold the stop
