"""GitHubSource (PyGithub) against the fake GitHub: listings, ETags, pagination, force-pushes, detail, lookups."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

import pytest

from bot.domain import RepoRef
from bot.github.errors import BadCredentials, EmptyRepository, Forbidden, GitHubError, Moved, NotFound
from bot.github.source import GitHubSource
from tests.fake_github import FakeGitHub, clock, fake_github, fake_github_server, file_entry, make_source  # noqa: F401

REPO = RepoRef.parse("octo/hello")


def start(source: GitHubSource, repo: RepoRef = REPO, branch: str = "main"):
    """The first listing, as the poller's first poll does it."""
    return source.fetch_commit_listing(repo, branch, None, None)


def test_first_listing_returns_only_the_head_and_an_etag(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    repo.commits(5)
    listing = start(make_source())
    assert listing.shas == []
    assert listing.head_sha == repo.branches["main"]
    assert listing.etag and not listing.not_modified
    assert fake_github.count() == 1


def test_idle_poll_is_one_conditional_request_answered_304(fake_github, make_source):
    fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    fake_github.reset_counts()
    for _ in range(3):
        listing = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
        assert listing.not_modified and listing.shas == [] and listing.head_sha == first.head_sha
    assert fake_github.count() == 3 and fake_github.not_modified == 3 and fake_github.counted == 0
    assert all(seen.headers.get("If-None-Match") == first.etag for seen in fake_github.seen)
    assert source.stats.not_modified == 3 and source.stats.counted == 1


def test_new_commits_come_oldest_first(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    added = repo.commits(3)
    listing = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    assert listing.shas == added and listing.head_sha == added[-1] and listing.etag != first.etag
    assert not listing.truncated


def test_multi_page_burst_follows_link_headers_to_the_cursor(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    added = repo.commits(250)
    fake_github.reset_counts()
    listing = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    assert listing.shas == added
    assert fake_github.count("/commits") == 3
    assert [seen.query.get("page", "1") for seen in fake_github.seen] == ["1", "2", "3"]


def test_burst_beyond_the_page_cap_keeps_the_newest_and_says_so(fake_github, make_source, caplog):
    repo = fake_github.add_repo("octo/hello")
    source = make_source(max_pages=2, per_page=10)
    first = start(source)
    added = repo.commits(35)
    with caplog.at_level(logging.WARNING, logger="bot.github.source"):
        listing = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    assert listing.truncated
    assert listing.shas == added[-20:]
    assert any("page cap" in record.message for record in caplog.records)


def test_force_push_returns_only_the_rewritten_commits(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    kept, dropped_1, dropped_2 = repo.commits(3)
    seen = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    repo.reset("main", kept)
    rewritten = repo.commits(2, prefix="Rewritten")
    listing = source.fetch_commit_listing(REPO, "main", seen.head_sha, seen.etag)
    assert listing.shas == rewritten
    assert fake_github.count("/compare/") == 1


def test_force_push_when_github_forgot_the_cursor_offers_the_newest_page(fake_github, make_source, caplog):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    kept, gone = repo.commits(2)
    repo.reset("main", kept)
    repo.forget(gone)
    rewritten = repo.commits(2, prefix="Rewritten")
    with caplog.at_level(logging.WARNING, logger="bot.github.source"):
        listing = source.fetch_commit_listing(REPO, "main", gone, None)
    # Everything reachable, oldest first; the poller drops what it stored already.
    assert listing.shas == [first.head_sha, kept, *rewritten] and listing.cursor_lost
    assert any("unknown to GitHub" in record.message for record in caplog.records)


def test_branch_reset_backwards_yields_nothing_new(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    older, newer = repo.commits(2)
    seen = source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    repo.reset("main", older)
    listing = source.fetch_commit_listing(REPO, "main", seen.head_sha, seen.etag)
    assert listing.shas == [] and listing.head_sha == older


def test_merged_branch_commits_dated_before_the_cursor_are_not_missed(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    base = repo.branches["main"]
    feature = [repo.commit("Feature part 1", branch="feature", parents=[base]), repo.commit("Feature part 2", branch="feature")]
    cursor = repo.commit("Unrelated fix on main")
    source = make_source()
    merge = repo.merge("feature", pull={"number": 7, "title": "Add the feature"})
    listing = source.fetch_commit_listing(REPO, "main", cursor, None)
    assert listing.shas == [*feature, merge]


def test_commit_detail_has_message_author_offset_time_files_and_pull_request(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    files = [file_entry("src/app.py", additions=10, deletions=2, patch="@@ -1,2 +1,10 @@\n+print('hi')"),
             file_entry("docs/new.md", status="renamed", additions=0, deletions=0, patch=None,
                        previous_filename="docs/old.md"),
             file_entry("logo.png", status="added", additions=0, deletions=0, patch=None)]
    sha = repo.commit("Add greeting\n\nLonger body <!channel>", files=files, author="Grace Hopper", login="grace",
                      date="2024-05-02T10:30:00+08:00",
                      pull={"number": 42, "title": "Greeting", "body": "Why: users asked"})
    fake_github.reset_counts()
    commit = make_source().fetch_commit(REPO, sha)
    assert fake_github.count() == 2
    assert commit.sha == sha and commit.title == "Add greeting" and "<!channel>" in commit.message
    assert commit.author_name == "Grace Hopper" and commit.author_login == "grace"
    assert commit.committed_at.utcoffset() == timedelta(hours=8) and commit.committed_at.hour == 10
    assert (commit.additions, commit.deletions) == (10, 2)
    assert [f.filename for f in commit.files] == ["src/app.py", "docs/new.md", "logo.png"]
    assert commit.files[0].patch.startswith("@@") and commit.files[2].patch is None
    assert commit.files[1].status == "renamed" and commit.files[1].previous_filename == "docs/old.md"
    assert commit.parents == (repo.objects[sha].parents[0],)
    assert commit.url.endswith(f"/octo/hello/commit/{sha}")
    assert commit.pull_request.number == 42 and commit.pull_request.title == "Greeting"
    assert commit.pull_request.body == "Why: users asked" and commit.pull_request.url.endswith("/pull/42")


def test_commit_without_pull_request(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    commit = make_source().fetch_commit(REPO, repo.branches["main"])
    assert commit.pull_request is None and commit.files[0].status == "added"


def test_three_thousand_file_commit_is_read_across_ten_pages(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    files = [file_entry(f"gen/file_{index:04}.txt", status="added", additions=1, deletions=0) for index in range(3000)]
    sha = repo.commit("Vendor everything", files=files)
    fake_github.reset_counts()
    commit = make_source().fetch_commit(REPO, sha)
    assert len(commit.files) == 3000 and len({f.filename for f in commit.files}) == 3000
    assert not commit.files_truncated and commit.additions == 3000
    assert fake_github.count(f"/commits/{sha}") == 11  # 10 pages of 300 files + the pulls request


def test_more_files_than_the_cap_are_marked_truncated(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    sha = repo.commit("Huge", files=[file_entry(f"f{index}") for index in range(650)])
    commit = make_source(max_pages=2).fetch_commit(REPO, sha)
    assert len(commit.files) == 600 and commit.files_truncated


def test_resolve_short_sha(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    sha = repo.commit("Something")
    source = make_source()
    assert source.resolve_sha(REPO, sha[:7].upper()) == sha
    with pytest.raises(NotFound):
        source.resolve_sha(REPO, "deadbeef")
    with pytest.raises(ValueError):
        source.resolve_sha(REPO, "xyz")


def test_repo_info_default_branch_and_missing_branch(fake_github, make_source):
    fake_github.add_repo("octo/hello", default_branch="trunk", private=True).commit("x", branch="release/1.x")
    source = make_source()
    info = source.fetch_repo_info(REPO)
    assert (info.default_branch, info.branch, info.private) == ("trunk", "trunk", True)
    assert source.fetch_repo_info(REPO, "release/1.x").branch == "release/1.x"
    with pytest.raises(NotFound):
        source.fetch_repo_info(REPO, "nope")


def test_missing_repository_is_not_found(fake_github, make_source):
    source = make_source()
    with pytest.raises(NotFound) as caught:
        source.fetch_commit_listing(RepoRef.parse("octo/missing"), "main", None, None)
    assert caught.value.status == 404 and caught.value.kind == "not_found"
    with pytest.raises(NotFound):
        source.fetch_repo_info(RepoRef.parse("octo/missing"))


def test_renamed_repository_raises_moved_with_the_new_name(fake_github, make_source):
    repo = fake_github.add_repo("octo/hello")
    source = make_source()
    first = start(source)
    fake_github.rename("octo/hello", "octo-org/hello-world")
    repo.commit("After the move")
    with pytest.raises(Moved) as caught:
        source.fetch_commit_listing(REPO, "main", first.head_sha, first.etag)
    assert caught.value.new_repo == RepoRef.parse("octo-org/hello-world")
    assert fake_github.count(status=301) == 1
    assert source.fetch_repo_info(REPO).repo == RepoRef.parse("octo-org/hello-world")


def test_empty_repository(fake_github, make_source):
    fake_github.add_repo("octo/hello", empty=True)
    with pytest.raises(EmptyRepository) as caught:
        start(make_source())
    assert caught.value.status == 409


def test_token_is_sent_and_a_wrong_one_is_bad_credentials(fake_github, make_source):
    fake_github.add_repo("octo/hello")
    fake_github.token = "ghp_right"
    assert start(make_source(token="ghp_right")).head_sha
    with pytest.raises(BadCredentials):
        start(make_source(token="ghp_wrong"))


def test_forbidden_is_not_mistaken_for_a_rate_limit(fake_github, make_source, clock):
    fake_github.add_repo("octo/hello")
    fake_github.fail("/commits", 403, {"message": "Resource not accessible by integration"})
    with pytest.raises(Forbidden):
        start(make_source())
    assert clock.sleeps == [] and fake_github.count() == 1


def test_enterprise_server_prefix(fake_github_server, make_source):
    fake_github_server.clear()
    ghes = FakeGitHub(fake_github_server, prefix="/api/v3")
    repo = ghes.add_repo("corp/tool")
    source = make_source(api_url=ghes.api_url)
    first = source.fetch_commit_listing(RepoRef.parse("corp/tool"), "main", None, None)
    added = repo.commits(2)
    listing = source.fetch_commit_listing(RepoRef.parse("corp/tool"), "main", first.head_sha, first.etag)
    assert listing.shas == added
    assert all(seen.path.startswith("/api/v3/") for seen in ghes.seen)


@pytest.mark.parametrize("status, body", [(200, "<html>captive portal</html>"), (302, {"message": "Found"})])
def test_odd_answers_are_errors_not_empty_results(fake_github, make_source, status, body):
    fake_github.add_repo("octo/hello")
    fake_github.fail("/commits", status, body)
    with pytest.raises(GitHubError) as caught:
        start(make_source())
    assert caught.value.status == status


def test_commits_between_two_times_on_a_branch_across_pages(fake_github, make_source):
    from datetime import datetime

    repo = fake_github.add_repo("octo/hello")
    inside = [repo.commit(f"day commit {n}", date=f"2024-05-02T{n:02d}:30:00Z") for n in range(1, 8)]
    repo.commit("next day", date="2024-05-03T00:30:00Z")
    repo.commit("on another branch", branch="dev", date="2024-05-02T12:00:00Z")
    source = make_source(per_page=3)
    shas = source.list_commits_between(REPO, "main", datetime(2024, 5, 2, tzinfo=UTC),
                                       datetime(2024, 5, 3, tzinfo=UTC))
    assert shas == inside
    assert [seen.query.get("since") for seen in fake_github.seen][:1] == ["2024-05-02T00:00:00Z"]
