"""bench/corpus.py: a corpus loaded and served by the fake GitHub reads back through the real GitHubSource
as the corpus says (each step's commits, authors, dates, files, pull requests)."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from datetime import datetime

import pytest

from bench.corpus import DEFAULT_CORPUS, CorpusGitHub, load, serve
from bot.domain import RepoRef
from bot.github.client import GitHubClient
from bot.github.retry import GitHubLimits, GitHubRetry
from bot.github.source import GitHubSource
from tests.fake_github import FakeClock, fake_github_server  # noqa: F401

REPO = RepoRef.parse("octo/tool")


def sha(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


BASE, PLAIN, SIDE, MERGE, SQUASH = (sha(name) for name in ("base", "plain", "side", "merge", "squash"))


def person(name: str, email: str, date: str) -> dict:
    return {"name": name, "email": email, "date": date}


def commit(name: str, parents: list[str], message: str, files: list[dict], date: str,
           email: str = "dev@example.org") -> dict:
    who = person(name.title(), email, date)
    return {"sha": sha(name), "parents": parents, "author": who, "committer": who, "message": message, "files": files}


PATCH = "@@ -1,2 +1,2 @@\n-old\n+new\n keep"
COMMITS = [
    commit("plain", [BASE], "release version 8.0.0",
           [{"filename": "CHANGES.rst", "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
             "patch": PATCH, "patch_truncated": True},
            {"filename": "docs/.DS_Store", "status": "added", "additions": 0, "deletions": 0, "changes": 0}],
           "2020-03-09T10:00:00-04:00", email="123+octo@users.noreply.github.com"),
    # A pull request's commit written before the step it lands in, then its merge.
    commit("side", [BASE], "fix the thing", [{"filename": "src/tool/core.py", "status": "modified",
                                               "additions": 3, "deletions": 1, "changes": 4, "patch": PATCH}],
           "2019-12-01T08:00:00+01:00"),
    commit("merge", [PLAIN, SIDE], "Merge pull request #12 from octo/fix\n\nFix the thing",
           [{"filename": "src/tool/core.py", "status": "modified", "additions": 3, "deletions": 1, "changes": 4,
             "patch": PATCH}], "2020-03-10T12:00:00+00:00"),
    commit("squash", [MERGE], "Add a --quiet option (#13)\n\n* option\n* docs",
           [{"filename": "src/tool/cli.py", "status": "renamed", "previous_filename": "src/tool/old_cli.py",
             "additions": 0, "deletions": 0, "changes": 0}], "2020-03-11T09:30:00-07:00"),
]
STEPS = [PLAIN, MERGE, SQUASH]
GROUPS = [[PLAIN], [SIDE, MERGE], [SQUASH]]


def write_corpus(folder, commits=COMMITS, per_step=(1, 2, 1), labels=None):
    with gzip.open(folder / "commits.jsonl.gz", "wt", encoding="utf-8") as out:
        for item in commits:
            out.write(json.dumps(item) + "\n")
    branch = {"repository": str(REPO), "branch": "main", "range": {"base_exclusive": BASE},
              "first_parent_shas": STEPS, "new_commits_per_step": list(per_step)}
    (folder / "branch.json").write_text(json.dumps(branch))
    labels = labels if labels is not None else [{"sha": PLAIN, "importance": "high", "why": "release"},
                                               {"sha": SIDE, "importance": "medium", "why": "bug fix"}]
    (folder / "labels.json").write_text(json.dumps(labels))
    return folder


@pytest.fixture
def corpus_github(fake_github_server):
    fake_github_server.clear()
    fake = CorpusGitHub(fake_github_server)
    yield fake
    errors = list(fake_github_server.handler_errors)
    fake_github_server.clear()
    assert not errors, f"fake GitHub handler failed: {errors!r}"


@pytest.fixture
def source(corpus_github):
    clock = FakeClock()
    policy = GitHubRetry(GitHubLimits(), sleep=clock.sleep, now=clock.now, jitter=lambda: 1.0)
    made = GitHubSource(GitHubClient(corpus_github.api_url, None, 5, policy))
    yield made
    made.close()


def replay(corpus, repo, source):
    """Each step's listing, as the poller asks for it: the new SHAs, then whether the idle poll was a 304."""
    name, branch = RepoRef.parse(corpus.repository), corpus.branch
    first = source.fetch_commit_listing(name, branch, None, None)
    assert first.head_sha == corpus.base and first.shas == []
    cursor, etag, found = first.head_sha, first.etag, []
    for head in corpus.steps:
        repo.reset(branch, head)
        listing = source.fetch_commit_listing(name, branch, cursor, etag)
        assert listing.head_sha == head and not listing.truncated
        found.append(listing.shas)
        cursor, etag = listing.head_sha, listing.etag
    return found, source.fetch_commit_listing(name, branch, cursor, etag).not_modified


def test_load_reads_steps_groups_and_labels(tmp_path):
    corpus = load(write_corpus(tmp_path))
    assert corpus.repository == "octo/tool" and corpus.base == BASE and corpus.steps == STEPS
    assert corpus.groups() == GROUPS and corpus.groups(2) == GROUPS[:2]
    assert corpus.shas(2) == [PLAIN, SIDE, MERGE]
    assert corpus.labels == {PLAIN: "high", SIDE: "medium"}


@pytest.mark.parametrize("change", [
    {"per_step": (1, 1, 2)},  # groups no longer end at their step's head
    {"per_step": (1, 2)},
    {"labels": [{"sha": sha("elsewhere"), "importance": "high", "why": "not in the corpus"}]},
    {"labels": [{"sha": PLAIN, "importance": "urgent", "why": "no such level"}]},
])
def test_load_refuses_a_corpus_whose_files_disagree(tmp_path, change):
    with pytest.raises(ValueError):
        load(write_corpus(tmp_path, **change))


def test_each_step_lists_exactly_its_group_oldest_first_then_304(tmp_path, corpus_github, source):
    corpus = load(write_corpus(tmp_path))
    repo = serve(corpus_github, corpus)
    found, idle = replay(corpus, repo, source)
    assert found == GROUPS
    assert idle and corpus_github.count(status=304) == 1


def test_a_commit_reads_back_with_its_author_date_files_and_pull_request(tmp_path, corpus_github, source):
    serve(corpus_github, load(write_corpus(tmp_path)))
    plain = source.fetch_commit(REPO, PLAIN)
    assert plain.author_name == "Plain" and plain.author_login == "octo"
    assert plain.committed_at == datetime.fromisoformat("2020-03-09T10:00:00-04:00")
    assert plain.pull_request is None and plain.parents == (BASE,)
    assert [(f.filename, f.patch, f.additions) for f in plain.files] == [("CHANGES.rst", PATCH, 1),
                                                                          ("docs/.DS_Store", None, 0)]
    merge = source.fetch_commit(REPO, MERGE)
    assert merge.is_merge and merge.author_login is None
    assert (merge.pull_request.number, merge.pull_request.title) == (12, "Fix the thing")
    squash = source.fetch_commit(REPO, SQUASH)
    assert (squash.pull_request.number, squash.pull_request.title) == (13, "Add a --quiet option")
    assert squash.files[0].previous_filename == "src/tool/old_cli.py"
    assert source.fetch_commit(REPO, SIDE).pull_request is None


def test_the_detail_is_shaped_as_github_sends_it(tmp_path, corpus_github):
    serve(corpus_github, load(write_corpus(tmp_path)))
    with urllib.request.urlopen(f"{corpus_github.api_url}/repos/{REPO}/commits/{PLAIN}", timeout=5) as answer:
        data = json.load(answer)
    assert data["commit"]["author"] == {"name": "Plain", "email": "123+octo@users.noreply.github.com",
                                        "date": "2020-03-09T14:00:00Z"}
    assert data["author"]["login"] == "octo" and data["stats"] == {"total": 2, "additions": 1, "deletions": 1}
    assert all("patch_truncated" not in item and item["blob_url"] for item in data["files"])


@pytest.mark.skipif(not (DEFAULT_CORPUS / "branch.json").exists(), reason="the shared click corpus is not here")
def test_the_click_corpus_first_steps_list_as_branch_json_says(corpus_github, source):
    full = load(DEFAULT_CORPUS)
    steps = 8
    corpus = type(full)(directory=full.directory, repository=full.repository, branch=full.branch, base=full.base,
                        steps=full.steps[:steps], per_step=full.per_step[:steps],
                        commits={sha: full.commits[sha] for sha in full.shas(steps)})
    repo = serve(corpus_github, corpus)
    found, idle = replay(corpus, repo, source)
    assert found == full.groups(steps) and idle
