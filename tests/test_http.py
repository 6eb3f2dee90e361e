"""The production HTTP server: routing, health, and a clean stop with keep-alive clients connected."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

from bot.entrypoints.http import MAX_REQUEST_BODY, HttpServer
from bot.wsgi import Router, health_app, json_response


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


def _raw_request(port: int, head: bytes, body_parts) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head)
        try:
            for part in body_parts:
                conn.sendall(part)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        return conn.recv(200)


def test_oversized_bodies_get_413_from_waitress_without_calling_the_app():
    calls = []

    def app(environ, start_response):
        calls.append(environ.get("CONTENT_LENGTH"))
        return json_response(start_response, "200 OK", {})

    router = Router()
    router.mount("/hook", app)
    server = HttpServer(router, "127.0.0.1", 0, threads=2, max_body=1024)
    server.start()
    try:
        declared = _raw_request(server.port, b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n",
                                [b"x" * 4096])
        chunk = b"x" * 512
        chunked = _raw_request(server.port, b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                               [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * 4 + [b"0\r\n\r\n"])
        small = _raw_request(server.port, b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
                             [b"x" * 10])
    finally:
        server.stop()
    assert declared.startswith(b"HTTP/1.1 413") and chunked.startswith(b"HTTP/1.1 413")
    assert small.startswith(b"HTTP/1.1 200")
    assert calls == ["10"]


def test_the_default_body_cap_fits_a_github_push_and_nothing_much_larger():
    server = HttpServer(Router(), "127.0.0.1", 0, threads=1)
    try:
        assert 25 * 1000 * 1000 < server._server.adj.max_request_body_size == MAX_REQUEST_BODY <= 26 * 1024 * 1024
    finally:
        server._server.close()
