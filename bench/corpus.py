"""A commit corpus (../shared/corpus/<name>/: commits.jsonl.gz, branch.json, labels.json) loaded and served
through the fake GitHub as GitHub's REST API would serve that repository.

`load(directory)` reads and checks a corpus; `serve(fake, corpus)` puts its commits into a fake GitHub
(a CorpusGitHub, so each commit keeps its own author, committer, e-mails and dates) with the branch at
the corpus's base, ready to be moved step by step (`repo.reset(branch, sha)`). What is served is the
fake's own routes: the branch listing with ETag/304, `/commits/{sha}` with files, `/compare/{a}...{b}`
and `/commits/{sha}/pulls`, which names the pull request a commit's message names ("Merge pull request
#N from …", or a squash merge's title ending in "(#N)"; GitHub would also name it for the pull
request's own commits, which the corpus cannot tell apart).

Not a benchmark itself (`make bench` runs it as a script: it prints the default corpus's counts).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_github import FakeCommit, FakeGitHub, FakeRepo  # noqa: E402
from tests.fake_github_routes import user_json  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "click"
IMPORTANCES = ("high", "medium", "low")
_MERGE_PR_RE = re.compile(r"^Merge pull request #(\d+) from \S+")
_SQUASH_PR_RE = re.compile(r"^(?P<title>.*\S)\s+\(#(?P<number>\d+)\)$")
# GitHub's no-reply addresses carry the account: "12345+login@users.noreply.github.com" or "login@…".
_NOREPLY_RE = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$", re.IGNORECASE)
# Fields of a corpus file entry that GitHub does not send.
_NOT_GITHUB = ("patch_truncated",)


@dataclass(frozen=True)
class Corpus:
    """One branch's history as a corpus holds it: the base, the first-parent steps, the commits, the labels."""

    directory: Path
    repository: str
    branch: str
    base: str
    steps: list[str]
    per_step: list[int]
    commits: dict[str, dict]  # sha -> the corpus's commit object, in corpus (topological) order
    labels: dict[str, str] = field(default_factory=dict)  # sha -> high|medium|low

    def groups(self, count: int | None = None) -> list[list[str]]:
        """The SHAs each of the first `count` steps (all by default) brings, oldest first."""
        shas = list(self.commits)
        groups, start = [], 0
        for size in self.per_step[: len(self.steps) if count is None else count]:
            groups.append(shas[start:start + size])
            start += size
        return groups

    def shas(self, count: int | None = None) -> list[str]:
        """Every SHA the first `count` steps bring, in corpus order."""
        return [sha for group in self.groups(count) for sha in group]


def load(directory: Path | str = DEFAULT_CORPUS) -> Corpus:
    """Read a corpus directory; ValueError when its files disagree with each other."""
    directory = Path(directory)
    branch = json.loads((directory / "branch.json").read_text(encoding="utf-8"))
    commits: dict[str, dict] = {}
    with gzip.open(directory / "commits.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                commit = json.loads(line)
                commits[commit["sha"]] = commit
    labels_path = directory / "labels.json"
    labels = ({item["sha"]: item["importance"] for item in json.loads(labels_path.read_text(encoding="utf-8"))}
              if labels_path.exists() else {})
    corpus = Corpus(directory=directory, repository=branch["repository"], branch=branch["branch"],
                    base=branch["range"]["base_exclusive"], steps=list(branch["first_parent_shas"]),
                    per_step=list(branch["new_commits_per_step"]), commits=commits, labels=labels)
    _check(corpus)
    return corpus


def _check(corpus: Corpus) -> None:
    if len(corpus.steps) != len(corpus.per_step) or sum(corpus.per_step) != len(corpus.commits):
        raise ValueError(f"{corpus.directory}: branch.json's steps and counts do not match commits.jsonl.gz "
                         f"({len(corpus.steps)} steps, {sum(corpus.per_step)} commits counted, "
                         f"{len(corpus.commits)} in the file)")
    for index, (head, group) in enumerate(zip(corpus.steps, corpus.groups(), strict=True)):
        if group[-1] != head:
            raise ValueError(f"{corpus.directory}: step {index}'s group does not end at its head {head[:8]}")
    unknown = [sha for sha, importance in corpus.labels.items()
               if sha not in corpus.commits or importance not in IMPORTANCES]
    if unknown:
        raise ValueError(f"{corpus.directory}: {len(unknown)} labels name no corpus commit or no known level")


@dataclass
class CorpusCommit(FakeCommit):
    """A fake commit with the corpus's own author and committer (name, e-mail, date) and logins."""

    author: dict = field(default_factory=dict)
    committer: dict = field(default_factory=dict)
    committer_login: str | None = None


class CorpusGitHub(FakeGitHub):
    """The fake GitHub, serving a CorpusCommit's author and committer as GitHub shows them."""

    def _entry(self, repo: FakeRepo, commit: FakeCommit) -> dict:
        data = super()._entry(repo, commit)
        if isinstance(commit, CorpusCommit):
            data["commit"]["author"] = dict(commit.author)
            data["commit"]["committer"] = dict(commit.committer)
            data["author"] = user_json(self, commit.author_login) if commit.author_login else None
            data["committer"] = user_json(self, commit.committer_login) if commit.committer_login else None
        return data


def serve(fake: FakeGitHub, corpus: Corpus) -> FakeRepo:
    """Put the corpus's repository into `fake`, its branch at the base; the FakeRepo (move it with `reset`)."""
    repo = fake.add_repo(corpus.repository, default_branch=corpus.branch, empty=True)
    repo.empty = False
    first = corpus.commits[corpus.steps[0]]
    # The base is not in the corpus: a stand-in with the first step's committer, so the first listing has a head.
    repo.objects[corpus.base] = _fake_commit(fake, {"sha": corpus.base, "parents": [], "files": [],
                                                    "author": first["author"], "committer": first["committer"],
                                                    "message": "The branch head before the replay"})
    for data in corpus.commits.values():
        commit = repo.objects[data["sha"]] = _fake_commit(fake, data)
        _add_pull(repo, commit)
    repo.branches[corpus.branch] = corpus.base
    return repo


def _fake_commit(fake: FakeGitHub, data: dict) -> CorpusCommit:
    author, committer = _person(data["author"]), _person(data["committer"])
    files = [{key: value for key, value in item.items() if key not in _NOT_GITHUB} for item in data["files"]]
    return CorpusCommit(sha=data["sha"], message=data["message"], author_name=author["name"],
                        author_login=_login(author["email"]), date=committer["date"], parents=list(data["parents"]),
                        files=files, seq=fake.next_seq(), author=author, committer=committer,
                        committer_login=_login(committer["email"]))


def _person(person: dict) -> dict:
    # GitHub shows dates in UTC with a Z; the corpus keeps the committer's own offset.
    when = datetime.fromisoformat(person["date"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"name": person["name"], "email": person["email"], "date": when}


def _login(email: str) -> str | None:
    match = _NOREPLY_RE.match(email or "")
    return match.group("login") if match else None


def _add_pull(repo: FakeRepo, commit: CorpusCommit) -> None:
    lines = commit.message.splitlines()
    title = lines[0] if lines else ""
    merge, squash = _MERGE_PR_RE.match(title), _SQUASH_PR_RE.match(title)
    if merge:
        rest = "\n".join(lines[1:]).strip()
        number, pr_title = int(merge.group(1)), rest.splitlines()[0] if rest else title
    elif squash:
        number, pr_title = int(squash.group("number")), squash.group("title")
    else:
        return
    # The pull request's own description is not in the corpus: an empty body rather than an invented one.
    pull = repo.add_pull(commit.sha, number, title=pr_title, body="")
    merged = commit.committer["date"]
    pull.update(created_at=commit.author["date"], updated_at=merged, closed_at=merged, merged_at=merged)
    if commit.author_login:
        pull["user"] = user_json(repo.fake, commit.author_login)


if __name__ == "__main__":
    loaded = load(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS)
    counts = {level: sum(1 for value in loaded.labels.values() if value == level) for level in IMPORTANCES}
    print(f"bench/corpus.py: {loaded.repository}@{loaded.branch}: {len(loaded.steps)} steps, "
          f"{len(loaded.commits)} commits, labels {counts} (helpers for replay.py; nothing to measure)")
