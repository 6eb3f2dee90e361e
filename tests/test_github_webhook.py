"""The push webhook WSGI app: signatures, events, watched branches."""

from __future__ import annotations

import io
import json
import urllib.parse

import pytest
from werkzeug.test import Client

from bot.domain import RepoRef
from bot.github.webhook import CHUNK, MAX_BODY, github_webhook_app, sign

SECRET = "It's a Secret to Everybody"
WATCHED = {(RepoRef.parse("octo/hello"), "main")}


def push(full_name: str = "octo/hello", ref: str = "refs/heads/main", **extra) -> bytes:
    payload = {"ref": ref, "before": "0" * 40, "after": "a" * 40, "created": False, "deleted": False,
               "repository": {"id": 1, "name": full_name.split("/")[1], "full_name": full_name},
               "commits": [{"id": "b" * 40, "message": "<!channel> not trusted"}], **extra}
    return json.dumps(payload).encode()


@pytest.fixture
def pushes() -> list[tuple[RepoRef, str]]:
    return []


@pytest.fixture
def client(pushes) -> Client:
    app = github_webhook_app(SECRET, lambda repo, branch: pushes.append((repo, branch)),
                             lambda repo, branch: (repo, branch) in WATCHED)
    return Client(app)


def post(client: Client, body: bytes, event: str = "push", signature: str | None = "sign",
         content_type: str = "application/json"):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
               "Content-Type": content_type}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(SECRET, body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/github/webhook", data=body, headers=headers)


GITHUB_EXAMPLE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_signature_matches_githubs_documented_example(client):
    # The test vector from GitHub's "Validating webhook deliveries" documentation.
    assert sign(SECRET, b"Hello, World!") == GITHUB_EXAMPLE
    assert post(client, b"Hello, World!", event="ping", signature=GITHUB_EXAMPLE).status_code == 200
    assert post(client, b"Hello, World?", event="ping", signature=GITHUB_EXAMPLE).status_code == 401


def test_signed_push_to_a_watched_branch_triggers_a_poll(client, pushes):
    response = post(client, push())
    assert response.status_code == 202
    assert pushes == [(RepoRef.parse("octo/hello"), "main")]


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_missing_or_wrong_signature_is_401_and_nothing_happens(client, pushes, signature):
    response = post(client, push(), signature=signature)
    assert response.status_code == 401 and pushes == []


def test_signature_over_a_different_body_is_rejected(client, pushes):
    response = post(client, push(), signature=sign(SECRET, push(ref="refs/heads/other")))
    assert response.status_code == 401 and pushes == []


def test_ping_is_200(client, pushes):
    assert post(client, json.dumps({"zen": "Keep it logically awesome."}).encode(), event="ping").status_code == 200
    assert pushes == []


def test_other_events_are_204(client, pushes):
    assert post(client, b'{"action": "opened"}', event="issues").status_code == 204
    assert pushes == []


@pytest.mark.parametrize("body", [push(full_name="octo/other"), push(ref="refs/heads/dev"),
                                  push(ref="refs/tags/v1.0"), push(deleted=True)])
def test_pushes_that_concern_no_watched_branch_are_204(client, pushes, body):
    assert post(client, body).status_code == 204 and pushes == []


def test_signed_garbage_is_400(client, pushes):
    assert post(client, b"not json").status_code == 400
    assert post(client, b'{"ref": "refs/heads/main", "repository": {"full_name": "no-slash"}}').status_code == 400
    assert pushes == []


def test_form_encoded_payload_is_accepted(client, pushes):
    body = urllib.parse.urlencode({"payload": push().decode()}).encode()
    response = post(client, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202 and len(pushes) == 1


def test_get_is_405(client):
    assert client.get("/github/webhook").status_code == 405


def test_without_a_secret_the_endpoint_refuses_everything():
    calls = []
    client = Client(github_webhook_app(None, lambda repo, branch: calls.append(repo), lambda repo, branch: True))
    body = push()
    response = client.post("/github/webhook", data=body, headers={"X-GitHub-Event": "push",
                                                                  "X-Hub-Signature-256": sign("", body)})
    assert response.status_code == 403 and calls == []


class CountingStream:
    """A wsgi.input that records the size of every read."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.reads: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self._stream.read(size)


def call(app, body: bytes, signature: str, length: int | None = None) -> tuple[str, CountingStream]:
    stream = CountingStream(body)
    statuses = []
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body) if length is None else length),
               "CONTENT_TYPE": "application/json", "HTTP_X_GITHUB_EVENT": "push",
               "HTTP_X_HUB_SIGNATURE_256": signature, "wsgi.input": stream}
    app(environ, lambda status, headers: statuses.append(status))
    return statuses[0], stream


def test_a_large_push_is_hashed_in_chunks_and_accepted(pushes):
    app = github_webhook_app(SECRET, lambda repo, branch: pushes.append((repo, branch)),
                             lambda repo, branch: (repo, branch) in WATCHED)
    body = push(commits=[{"id": "b" * 40, "message": "m" * 1000}] * 300)  # ~300 KB
    status, stream = call(app, body, sign(SECRET, body))
    assert status.startswith("202") and len(pushes) == 1
    assert len(stream.reads) > 1 and max(stream.reads) <= CHUNK
    status, _ = call(app, body, sign(SECRET, body[:-1]))
    assert status.startswith("401") and len(pushes) == 1


def test_a_body_shorter_than_declared_is_judged_on_what_arrived(pushes):
    app = github_webhook_app(SECRET, lambda repo, branch: pushes.append((repo, branch)),
                             lambda repo, branch: (repo, branch) in WATCHED)
    body = push()
    status, _ = call(app, body, sign(SECRET, body), length=len(body) + 500)
    assert status.startswith("202") and len(pushes) == 1


def test_a_declared_oversized_body_is_413_before_any_read(pushes):
    app = github_webhook_app(SECRET, lambda repo, branch: pushes.append((repo, branch)), lambda repo, branch: True)
    status, stream = call(app, b"{}", sign(SECRET, b"{}"), length=MAX_BODY + 1)
    assert status.startswith("413") and stream.reads == [] and pushes == []


@pytest.mark.parametrize("full_name", [5, None, ["octo", "hello"], {"x": 1}])
def test_a_signed_push_with_a_non_string_repository_name_is_400(client, pushes, full_name):
    body = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": full_name}}).encode()
    response = post(client, body)
    assert response.status_code == 400 and pushes == []


def test_refusals_are_logged_once_per_client_and_reason_a_minute(pushes, caplog):
    import logging

    from bot.refusals import RefusalLog

    now = [1000.0]
    refusals = RefusalLog(logging.getLogger("bot.github.webhook"), "/github/webhook", clock=lambda: now[0])
    client = Client(github_webhook_app(SECRET, lambda repo, branch: pushes.append((repo, branch)),
                                       lambda repo, branch: True, refusals=refusals))
    with caplog.at_level(logging.WARNING):
        for _ in range(50):
            assert post(client, push(), signature="sha256=" + "0" * 64).status_code == 401
        now[0] += 61
        assert post(client, push(), signature="garbage").status_code == 401
    lines = [record for record in caplog.records if record.name == "bot.github.webhook"]
    assert len(lines) == 2 and not any(record.exc_info for record in lines)
    assert "suppressed" in str(lines[1].__dict__) and "49" in str(lines[1].__dict__)
