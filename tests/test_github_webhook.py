"""The push webhook WSGI app: signatures, events, watched branches."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from werkzeug.test import Client

from bot.domain import RepoRef
from bot.github.webhook import github_webhook_app, sign

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


def test_signature_matches_githubs_documented_example():
    # The test vector from GitHub's "Validating webhook deliveries" documentation.
    assert sign(SECRET, b"Hello, World!") == \
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


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
