"""In-memory fakes for service tests: they record what they were asked."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain import Analysis, Card, ChangeType, Commit, Digest, Importance, Insights
from bot.service.notifier import ChannelUnavailable, TransientDeliveryError


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 8, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    kind: str
    channel: str
    payload: object
    thread_id: str | None
    key: str | None
    message_id: str


@dataclass
class FakeNotifier:
    """Records every post; can be told to fail the next posts."""

    platform: str = "slack"
    sent: list[Sent] = field(default_factory=list)
    fail_with: list[Exception] = field(default_factory=list)
    crash_after_post: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, kind, channel, payload, thread_id, key) -> str:
        with self._lock:
            if self.fail_with:
                raise self.fail_with.pop(0)
            message_id = f"m{len(self.sent) + 1}"
            self.sent.append(Sent(kind, channel, payload, thread_id, key, message_id))
        if self.crash_after_post:
            raise SystemExit("simulated crash between post and record")
        return message_id

    def post_card(self, channel: str, card: Card, thread_id=None, key=None) -> str:
        return self._post("card", channel, card, thread_id, key)

    def post_digest(self, channel: str, digest: Digest, key=None) -> str:
        return self._post("digest", channel, digest, None, key)

    def post_text(self, channel: str, text: str, thread_id=None, key=None) -> str:
        return self._post("text", channel, text, thread_id, key)

    def find_delivered(self, channel: str, key: str, since) -> str | None:
        for sent in self.sent:
            if sent.channel == channel and sent.key == key:
                return sent.message_id
        return None

    def of_kind(self, kind: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.kind == kind]


def not_in_channel() -> ChannelUnavailable:
    return ChannelUnavailable("not_in_channel")


def rate_limited() -> TransientDeliveryError:
    return TransientDeliveryError("ratelimited")


class FakeAnalyser:
    """Returns a fixed importance per SHA (default medium); counts calls."""

    def __init__(self, importance: dict[str, Importance] | None = None) -> None:
        self.importance = importance or {}
        self.calls: list[tuple[str, str]] = []

    def analyse(self, commit: Commit, language: str) -> Analysis:
        self.calls.append((commit.sha, language))
        return Analysis(
            change_type=ChangeType.FEATURE, importance=self.importance.get(commit.sha, Importance.MEDIUM),
            summary=f"summary of {commit.title}", impact=[],
            insights=Insights(architecture="", performance="", security="", maintainability=""),
            risks=[], recommendations=[], breaking_change=False, repo=commit.repo, sha=commit.sha,
            language=language, source="llm", model="fake", prompt_version="test",
            created_at=datetime(2026, 1, 1, tzinfo=UTC))


class GatedAnalyser(FakeAnalyser):
    """Analyses (a slow LLM) only once released."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def analyse(self, commit, language):
        self.entered.set()
        assert self.release.wait(5), "the test never released the analyser"
        return super().analyse(commit, language)


# --- added for the command layer (issue 6) ---

from bot.domain import RepoRef  # noqa: E402
from bot.github.errors import GitHubError, NotFound  # noqa: E402
from bot.github.port import RepoInfo  # noqa: E402


def make_commit(repo: str = "octo/widgets", sha: str | None = None, n: int = 1, message: str | None = None,
                when: datetime | None = None) -> Commit:
    """A small valid commit; `n` picks a distinct SHA when `sha` is not given."""
    sha = sha or f"{n:040x}"
    return Commit(repo=RepoRef.parse(repo), sha=sha, message=message or f"fix: thing {n}", author_name="Ada",
                  committed_at=when or datetime(2026, 1, 7, 10, 0, tzinfo=UTC),
                  url=f"https://github.com/{repo}/commit/{sha}", parents=("a" * 40,))


class FakeSource:
    """A CommitSource over in-memory repos and commits; records every call; can fail on demand."""

    def __init__(self) -> None:
        self.repos: dict[str, tuple[str, set[str]]] = {}  # lower-case name -> (canonical name, branches)
        self.default_branch: dict[str, str] = {}
        self.private: set[str] = set()
        self.commits: dict[tuple[str, str], Commit] = {}
        self.calls: list[tuple[str, ...]] = []
        self.fail_next: list[Exception] = []

    def add_repo(self, name: str, branches: tuple[str, ...] = ("main",), default: str | None = None,
                 private: bool = False) -> None:
        self.repos[name.lower()] = (name, set(branches))
        self.default_branch[name.lower()] = default or branches[0]
        if private:
            self.private.add(name.lower())

    def add_commit(self, commit: Commit) -> Commit:
        if commit.repo.full_name.lower() not in self.repos:
            self.add_repo(commit.repo.full_name)
        self.commits[(commit.repo.full_name.lower(), commit.sha)] = commit
        return commit

    def _failure(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    def _repo(self, repo):
        if repo.full_name.lower() not in self.repos:
            raise NotFound(f"{repo}: Not Found (HTTP 404)", 404)
        return self.repos[repo.full_name.lower()]

    def fetch_commit_listing(self, repo, branch, since_sha, etag):
        raise NotImplementedError("the command layer never lists commits")

    def fetch_commit(self, repo, sha: str) -> Commit:
        self.calls.append(("fetch_commit", repo.full_name, sha))
        self._failure()
        self._repo(repo)
        commit = self.commits.get((repo.full_name.lower(), sha.lower()))
        if commit is None:
            raise NotFound(f"{repo}@{sha}: No commit found for SHA: {sha} (HTTP 422)", 422)
        return commit

    def close(self) -> None:
        self.closed = True

    def resolve_sha(self, repo, prefix: str) -> str:
        self.calls.append(("resolve_sha", repo.full_name, prefix))
        self._failure()
        self._repo(repo)
        matches = [sha for (name, sha) in self.commits if name == repo.full_name.lower() and sha.startswith(prefix)]
        if not matches:
            raise NotFound(f"{repo}@{prefix}: No commit found for SHA: {prefix} (HTTP 422)", 422)
        if len(matches) > 1:
            raise GitHubError(f"{repo}@{prefix}: ambiguous SHA (HTTP 422)", 422)
        return matches[0]

    def fetch_repo_info(self, repo, branch: str | None = None):
        self.calls.append(("fetch_repo_info", repo.full_name, branch or ""))
        self._failure()
        canonical, branches = self._repo(repo)
        default = self.default_branch[repo.full_name.lower()]
        wanted = branch or default
        if wanted not in branches:
            raise NotFound(f"{canonical}@{wanted}: Branch not found (HTTP 404)", 404)
        return RepoInfo(repo=RepoRef.parse(canonical), default_branch=default, branch=wanted,
                        private=repo.full_name.lower() in self.private)


@dataclass
class FakeDigestOutcome:
    posted: bool
    entries: int
    reason: str


class FakeDigests:
    """Records `deliver(sub, day, force)` calls and answers with a fixed outcome."""

    def __init__(self, outcome: FakeDigestOutcome | None = None) -> None:
        self.calls: list[tuple[int | None, object, bool]] = []
        self.outcome = outcome or FakeDigestOutcome(True, 3, "posted")

    def deliver(self, sub, day, force: bool = False):
        self.calls.append((sub.id, day, force))
        return self.outcome


class FakeCommandHandler:
    """Stands in for CommandHandler in chat adapters' tests: records `handle(text, ctx)` and answers a fixed Reply."""

    def __init__(self, reply=None, fail: Exception | None = None) -> None:
        from bot.chat.commands.model import Reply

        self.calls: list[tuple[str, object]] = []
        self.reply = reply if reply is not None else Reply(text="ok")
        self.fail = fail
        self._lock = threading.Lock()

    def handle(self, text: str, ctx):
        with self._lock:
            self.calls.append((text, ctx))
        if self.fail is not None:
            raise self.fail
        return self.reply
