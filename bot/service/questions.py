"""Questions about a commit, asked in the thread of one of the bot's posts or with /ask: one grounded answer each.

Which commit a thread is about comes from the bot's own records (delivered cards and digest entries,
/commit answers, earlier answers); a thread of anything else is not the bot's and gets no answer. The
answer rests on the commit, its stored analysis and the thread's last turns; its file list keeps only
files the commit changed, and a person may ask `per_user_per_hour` questions an hour.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from bot.analysis.ask import AskInput, AskRunner, PastTurn
from bot.analysis.port import Analyses
from bot.analysis.runner import GaveUp
from bot.clock import Clock, system_clock
from bot.domain import Analysis, Commit, RepoRef
from bot.github.errors import GitHubError, NotFound
from bot.github.port import CommitSource
from bot.service.commits import Commits
from bot.store import Store
from bot.store.questions import ThreadPost, Turn

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_HEX_WORD = re.compile(r"\b[0-9a-fA-F]{4,40}\b")

Status = Literal["answered", "not_answered", "no_llm", "limited", "too_long", "empty", "unknown_commit",
                 "which_commit", "failed"]


@dataclass(frozen=True)
class AskLimits:
    """How much asking a person may do: questions per hour, question length, turns of context."""

    per_user_per_hour: int = 20
    max_question_chars: int = MAX_QUESTION_CHARS
    turns: int = 4


@dataclass(frozen=True)
class Where:
    """Where a question was asked and by whom; `thread_id` keys the thread's turns."""

    platform: str
    channel: str
    thread_id: str
    user_id: str


@dataclass(frozen=True)
class Asked:
    """The outcome of one question, for the chat layer to word in `language`."""

    status: Status
    language: str
    answer: str = ""
    files: tuple[str, ...] = ()
    repo: str | None = None
    sha: str | None = None
    candidates: tuple[str, ...] = field(default=())  # short SHAs a digest's thread could mean
    reason: str = ""


class QuestionService:
    """Answers questions about commits; never raises for GitHub or LLM trouble."""

    def __init__(self, store: Store, source: CommitSource, analyser: Analyses, runner: AskRunner | None,
                 clock: Clock = system_clock, limits: AskLimits = AskLimits(), language: str = "zh") -> None:
        self._store = store
        self._commits = Commits(store, source)
        self._analyser = analyser
        self._runner = runner
        self._clock = clock
        self.limits = limits
        self._language = language

    @property
    def enabled(self) -> bool:
        """True when an LLM is configured to answer with."""
        return self._runner is not None

    def post(self, platform: str, channel: str, message_id: str) -> ThreadPost | None:
        """The commit(s) one of the bot's messages is about; None when the message is not the bot's."""
        return self._store.questions.post(platform, channel, message_id)

    def remember(self, platform: str, channel: str, message_id: str, repo: str, sha: str) -> None:
        """Record that the bot's message `message_id` is about a commit (a /commit answer, an answer)."""
        self._store.questions.remember_post(platform, channel, message_id, repo, sha, self._clock())

    def ask_in_thread(self, where: Where, question: str, post: ThreadPost) -> Asked:
        """Answer `question` asked in the thread of the bot's `post`."""
        checked = self._checked(question, self._language)
        if checked is not None:
            return checked
        sha = _pick(post.shas, question)
        if post.repo is None or not post.shas:
            return Asked("unknown_commit", self._language)
        if sha is None:
            shown = tuple(full[:7] for full in post.shas[:10])
            return Asked("which_commit", self._language, repo=post.repo, candidates=shown)
        repo = RepoRef.parse_or_none(post.repo)
        if repo is None:
            return Asked("unknown_commit", self._language)
        try:
            commit, _ = self._commits.get(repo, sha)
        except NotFound:
            return Asked("unknown_commit", self._language, repo=post.repo, sha=sha)
        except GitHubError as exc:
            log.warning("question: commit fetch failed", extra={"repo": post.repo, "sha": sha, "error": exc.kind})
            return Asked("failed", self._language, repo=post.repo, sha=sha, reason=exc.message)
        return self.ask(commit, where, question)

    def ask(self, commit: Commit, where: Where, question: str) -> Asked:
        """Answer `question` about `commit` (the /ask command, or a thread whose commit is known)."""
        language = self._language_for(where, commit.repo)
        checked = self._checked(question, language)
        if checked is not None:
            return checked
        base = Asked("no_llm", language, repo=commit.repo.full_name, sha=commit.sha)
        if self._runner is None:
            return base
        since = self._clock() - timedelta(hours=1)
        if self._store.questions.asked_since(where.platform, where.user_id, since) >= self.limits.per_user_per_hour:
            return replace(base, status="limited")
        turns = self._store.questions.turns(where.platform, where.channel, where.thread_id, commit.sha,
                                            self.limits.turns)
        item = AskInput(commit, analysis_text(self._analyser.analyse(commit, language)), question.strip(),
                        [PastTurn(turn.question, turn.answer) for turn in turns])
        try:
            answered = self._runner.run(item)
        except GaveUp as exc:
            log.warning("question not answered", extra={"repo": commit.repo.full_name, "sha": commit.sha,
                                                        "attempts": exc.attempts, "reason": exc.reason})
            return replace(base, status="failed", reason=exc.reason[:200])
        content = answered.content
        files = grounded_files(commit, content.files, content.answer)
        self._store.questions.add_turn(Turn(where.platform, where.channel, where.thread_id, where.user_id,
                                            commit.repo.full_name, commit.sha, question.strip(),
                                            content.answer.strip(), self._clock()))
        log.info("question answered", extra={"repo": commit.repo.full_name, "sha": commit.sha,
                                             "prompt_tokens": answered.prompt.tokens, "turns": len(turns)})
        return replace(base, status="answered" if content.answered else "not_answered",
                       answer=content.answer.strip(), files=files)

    def _checked(self, question: str, language: str) -> Asked | None:
        text = question.strip()
        if not text:
            return Asked("empty", language)
        if len(text) > self.limits.max_question_chars:
            return Asked("too_long", language, reason=str(len(text)))
        return None

    def _language_for(self, where: Where, repo: RepoRef) -> str:
        subs = self._store.subscriptions.list(platform=where.platform, channel=where.channel)
        same = next((sub for sub in subs if sub.repo.full_name.lower() == repo.full_name.lower()), None)
        return same.language if same else self._language


def _pick(shas: tuple[str, ...], question: str) -> str | None:
    """The one commit of `shas` the question means: the only one, or the one a hex word in it starts."""
    if len(shas) == 1:
        return shas[0]
    for word in _HEX_WORD.findall(question):
        matches = [sha for sha in shas if sha.startswith(word.lower())]
        if len(matches) == 1:
            return matches[0]
    return None


def analysis_text(analysis: Analysis) -> str:
    """The stored analysis as the prompt shows it: its content as compact JSON, and who made it."""
    content = analysis.model_dump(mode="json", include={
        "change_type", "importance", "summary", "impact", "insights", "risks", "recommendations", "breaking_change"})
    made_by = "heuristic rules (no LLM)" if analysis.source == "heuristic" else f"LLM {analysis.model}"
    return f"(made by {made_by})\n" + json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def grounded_files(commit: Commit, named: list[str], answer: str) -> tuple[str, ...]:
    """The files the answer relied on, kept only when the commit changed them (named, else mentioned in it)."""
    changed = {change.filename: change.filename for change in commit.files}
    kept = [changed[name.strip()] for name in named if name.strip() in changed]
    if not named:
        kept = [name for name in changed if name in answer]
    return tuple(dict.fromkeys(kept))
