"""GitHub answering 200 with a wrong JSON shape, an empty body or no JSON at all: one typed failure, counted,
reported once, never a traceback — and the next good answer recovers."""

from __future__ import annotations

import logging
import re
from datetime import UTC

import pytest

from bot.domain import Importance, RepoRef, Subscription
from bot.github.errors import GitHubError, UnexpectedResponse
from bot.service.watcher import REPORT_AFTER_FAILURES
from tests.fake_github import clock, fake_github, fake_github_server, make_source  # noqa: F401

REPO = RepoRef.parse("octo/hello")
SHA = "0123456789abcdef0123456789abcdef01234567"
LISTING = r"/repos/octo/hello/commits$"
DETAIL = r"/repos/octo/hello/commits/[0-9a-f]{40}$"
HTML = "<html><head><title>Sign in to the corporate proxy</title></head><body>" + "lorem ipsum " * 200 + "</body></html>"


def entry(sha: str = SHA, **fields) -> dict:
    return {"sha": sha, "url": f"http://x/repos/octo/hello/commits/{sha}", "parents": [], **fields}


def detail(**fields) -> dict:
    person = {"name": "Ada", "date": "2024-05-01T08:00:00Z"}
    return {**entry(), "commit": {"message": "Fix", "author": person, "committer": person}, "files": [], **fields}


LISTING_SHAPES = [
    pytest.param("", "an empty body where a list of commits belongs", id="empty"),
    pytest.param("   \n", "an empty body where a list of commits belongs", id="blank"),
    pytest.param(HTML, "text that is not JSON ('<html><head><title>Sign in", id="html"),
    pytest.param({"message": "hello"}, "a JSON object ('{\"message\": \"hello\"}') where a list of commits belongs",
                 id="object"),
    pytest.param("null", "JSON null ('null') where a list of commits belongs", id="null"),
    pytest.param([{"commit": {}}], "JSON that is not a list of commits ([0].sha: field required)", id="no-sha"),
    pytest.param([{"sha": 12345}], "[0].sha: input should be a valid string", id="sha-number"),
    pytest.param([{"sha": "not-a-sha"}], "[0].sha: not a 40-digit hex SHA", id="sha-text"),
    pytest.param([entry(parents="none")], "[0].parents: input should be a valid list", id="parents-text"),
    pytest.param(["a", "b"], "[0]: input should be a valid dictionary", id="list-of-strings"),
]


@pytest.mark.parametrize(("body", "words"), LISTING_SHAPES)
def test_a_listing_of_the_wrong_shape_is_one_unexpected_response(fake_github, make_source, body, words):
    fake_github.add_repo("octo/hello")
    fake_github.fail(LISTING, 200, body)
    with pytest.raises(UnexpectedResponse) as caught:
        make_source().fetch_commit_listing(REPO, "main", None, None)
    error = caught.value
    host = fake_github.api_url.removeprefix("http://")
    assert isinstance(error, GitHubError) and error.kind == "unexpected_response"
    assert error.message.startswith(f"{host} answered /repos/octo/hello/commits (HTTP 200) with "), error.message
    assert words in error.message
    assert error.message.endswith("check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3) and any "
                                  "proxy in between")
    assert str(error).startswith("octo/hello@main: ")
    assert len(error.message) < 400  # a short excerpt, never the page
    assert "\n" not in error.message


DETAIL_SHAPES = [
    pytest.param([detail()], "a JSON list", id="list"),
    pytest.param({k: v for k, v in detail().items() if k != "commit"}, "commit: field required", id="no-commit"),
    pytest.param({k: v for k, v in detail().items() if k != "files"}, "files: field required", id="no-files"),
    pytest.param({k: v for k, v in detail().items() if k != "sha"}, "sha: field required", id="no-sha"),
    pytest.param(detail(commit="Fix"), "commit: input should be a valid dictionary", id="commit-text"),
    pytest.param(detail(files={"a.py": 1}), "files: input should be a valid list", id="files-object"),
    pytest.param(detail(files=[{"status": "added"}]), "files[0].filename: field required", id="file-no-name"),
    pytest.param(detail(files=[{"filename": "a.py", "additions": "many"}]), "files[0].additions: input should be",
                 id="additions-text"),
    pytest.param(detail(commit={"message": "Fix"}), "a commit without a date", id="no-date"),
    pytest.param(detail(commit={"committer": {"date": "yesterday"}}), "a commit the bot cannot read", id="bad-date"),
    pytest.param("", "an empty body where a commit belongs", id="empty"),
]


@pytest.mark.parametrize(("body", "words"), DETAIL_SHAPES)
def test_a_commit_detail_of_the_wrong_shape_is_one_unexpected_response(fake_github, make_source, body, words):
    repo = fake_github.add_repo("octo/hello")
    fake_github.fail(DETAIL, 200, body)
    with pytest.raises(UnexpectedResponse) as caught:
        make_source().fetch_commit(REPO, repo.branches["main"])
    assert f"answered /repos/octo/hello/commits/{repo.branches['main']} (HTTP 200)" in caught.value.message
    assert words in caught.value.message, caught.value.message


@pytest.mark.parametrize(("path", "body", "call", "words"), [
    pytest.param(r"/pulls$", {"total": 0}, "commit", "where a list of pull requests belongs", id="pulls-object"),
    pytest.param(r"/pulls$", [{"title": "No number"}], "commit", "[0].number: field required", id="pull-no-number"),
    pytest.param(r"^/repos/octo/hello$", [], "repo", "a JSON list ('[]') where a repository belongs", id="repo-list"),
    pytest.param(r"^/repos/octo/hello$", {"name": "hello"}, "repo", "full_name: field required", id="repo-no-name"),
    pytest.param(r"^/repos/octo/hello$", {"full_name": "nonsense"}, "repo", "full_name: not an owner/name",
                 id="repo-bad-name"),
    pytest.param(r"/branches/dev$", "", "branch", "an empty body where a branch belongs", id="branch-empty"),
    pytest.param(r"/branches/dev$", {"commit": {}}, "branch", "name: field required", id="branch-no-name"),
    pytest.param(r"/commits/0123", HTML, "sha", "something that is not a commit SHA ('<html>", id="sha-lookup"),
    pytest.param(r"/commits$", {"commits": []}, "between", "where a list of commits belongs", id="between-object"),
])
def test_every_answer_read_is_checked(fake_github, make_source, path, body, call, words):
    repo = fake_github.add_repo("octo/hello")
    repo.commit("On dev", branch="dev")
    source = make_source()
    fake_github.fail(path, 200, body)
    calls = {
        "commit": lambda: source.fetch_commit(REPO, repo.branches["main"]),
        "repo": lambda: source.fetch_repo_info(REPO),
        "branch": lambda: source.fetch_repo_info(REPO, "dev"),
        "sha": lambda: source.resolve_sha(REPO, "0123456"),
        "between": lambda: source.list_commits_between(REPO, "main", *_day()),
    }
    with pytest.raises(UnexpectedResponse) as caught:
        calls[call]()
    assert words in caught.value.message, caught.value.message
    assert len(caught.value.message) < 400


def _day():
    from datetime import datetime

    return datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)


def test_a_comparison_of_the_wrong_shape_is_one_unexpected_response(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = source.fetch_commit_listing(REPO, "main", None, None)
    repo.commit("Feature", branch="feature")
    repo.merge("feature")  # a merge among the new commits makes the source ask the compare API
    fake_github.fail(r"/compare/", 200, {"status": "ahead", "commits": [{"sha": None}]})
    with pytest.raises(UnexpectedResponse) as caught:
        source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    assert "/compare/" in caught.value.message and "commits[0].sha: input should be a valid string" in \
        caught.value.message


def test_the_excerpt_of_an_unexpected_body_hides_the_token_that_was_sent(fake_github, make_source):
    fake_github.add_repo("octo/hello")
    token = "ghp_" + "T0k3n" * 8
    fake_github.fail(LISTING, 200, lambda request: f"<p>you sent {request.headers.get('Authorization')}</p>")
    with pytest.raises(UnexpectedResponse) as caught:
        make_source(token=token).fetch_commit_listing(REPO, "main", None, None)
    assert "you sent token ***" in caught.value.message
    assert token not in str(caught.value) and token[:12] not in str(caught.value)


# --- through the watcher: counted, reported once, no traceback, recovered ---

@pytest.fixture
def world(testbot):
    repo = testbot.repo("octo/hello")
    store = testbot.app.store
    store.subscriptions.save(Subscription(platform="slack", channel="C1", repo=REPO, branch="main",
                                          threshold=Importance.LOW, language="en"))
    return store, repo, testbot.notifier(), testbot.app.watcher


def texts(notifier) -> list[str]:
    return [sent.payload for sent in notifier.of_kind("text")]


@pytest.mark.parametrize(("path", "body"), [
    pytest.param(LISTING, {"message": "not a list"}, id="listing-object"),
    pytest.param(LISTING, "", id="listing-empty"),
    pytest.param(LISTING, HTML, id="listing-html"),
    pytest.param(LISTING, [{"commit": {"message": "no sha"}}], id="listing-no-sha"),
    pytest.param(DETAIL, {"sha": SHA}, id="detail-no-commit"),
    pytest.param(DETAIL, [], id="detail-list"),
])
def test_a_wrong_shape_every_cycle_is_counted_reported_once_and_recovers(world, fake_github, caplog, path, body):
    store, repo, notifier, watcher = world
    watcher.run_cycle()  # the cursor starts at the head
    repo.commit("A change the broken answers hide", branch="main")
    fake_github.fail(path, 200, body, times=REPORT_AFTER_FAILURES + 2)
    counts = []
    with caplog.at_level(logging.INFO):
        for _ in range(REPORT_AFTER_FAILURES + 2):
            report = watcher.run_cycle()
            assert "octo/hello@main" in report.failures
            counts.append(store.cursors.get(REPO, "main").failure_count)
    assert counts == list(range(1, REPORT_AFTER_FAILURES + 3))
    assert store.cursors.get(REPO, "main").failure_kind == "unexpected_response"
    assert "Traceback" not in caplog.text and "poll crashed" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]
    reports = texts(notifier)
    assert len(reports) == 1, reports
    assert reports[0].startswith("⚠️ Cannot read octo/hello@main: ")
    assert re.search(r"answered /repos/octo/hello/commits\S* \(HTTP 200\) with ", reports[0]), reports[0]
    assert not notifier.of_kind("card")

    watcher.run_cycle()  # GitHub answers well again
    cursor = store.cursors.get(REPO, "main")
    assert cursor.failure_count == 0 and cursor.failure_kind is None
    assert [sent.payload.title for sent in notifier.of_kind("card")] == ["A change the broken answers hide"]
    assert len(texts(notifier)) == 1
