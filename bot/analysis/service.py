"""The analyser: cache → LLM → heuristic, single flight per key, bounded LLM concurrency.

Cache policy. LLM analyses are stored under (repo, sha, prompt version, LLM model, language)
and reused forever. When the LLM is not configured or fails, the heuristic analysis is stored
under the same key with model "heuristic-<rules version>", so a transient outage never freezes into the
LLM's slot: a later `analyse` retries the LLM (at most once per `llm_retry_interval` per
commit) and serves the stored heuristic analysis in between, with zero LLM calls.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.analysis.heuristic import HEURISTIC_VERSION, heuristic_content
from bot.analysis.port import AnalysisCache
from bot.analysis.prompts import load_templates
from bot.analysis.retry import LLMRetry, Sleeper, real_sleep
from bot.analysis.runner import ChatModel, GaveUp, LLMRunner
from bot.clock import Clock, system_clock
from bot.domain import Analysis, AnalysisContent, AnalysisSource, Commit, Language, RepoRef, check_language

# The rules' version is part of the key: analyses of an older rule set are made again, not served forever.
HEURISTIC_MODEL = f"heuristic-{HEURISTIC_VERSION}"
log = logging.getLogger(__name__)

_NOTES = {
    "no_llm": {"en": "Heuristic analysis: no LLM is configured.", "zh": "规则分析：未配置 LLM。"},
    "failed": {"en": "Heuristic analysis: the LLM failed ({reason}).", "zh": "规则分析：LLM 调用失败（{reason}）。"},
}


@dataclass
class AnalysisCounters:
    """Totals since start, for /metrics: LLM requests and tokens, analyses by source."""

    llm_requests: int = 0
    llm_failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    coalesced: int = 0
    by_source: dict[str, int] = field(default_factory=lambda: {"llm": 0, "heuristic": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts: int) -> None:
        """Add to named counters atomically."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def analysed(self, source: AnalysisSource) -> None:
        """Count one fresh analysis by its source."""
        with self._lock:
            self.by_source[source] += 1

    def snapshot(self) -> dict[str, int]:
        """A consistent copy as flat name → value."""
        with self._lock:
            flat = {name: getattr(self, name) for name in
                    ("llm_requests", "llm_failures", "prompt_tokens", "completion_tokens", "cache_hits", "coalesced")}
            flat.update({f"analyses_{source}": count for source, count in self.by_source.items()})
            return flat


@dataclass(frozen=True)
class AnalyserLimits:
    """How the analyser spends the LLM: token budgets, requests in flight, retries, and how soon to retry a failure."""

    input_budget: int = 8000
    output_tokens: int = 2000
    concurrency: int = 4
    policy: LLMRetry = field(default_factory=LLMRetry)
    llm_retry_interval: timedelta = timedelta(minutes=15)


class Analyser:
    """Returns a complete, validated Analysis for any commit; never raises for LLM trouble."""

    def __init__(self, cache: AnalysisCache, llm: ChatModel | None, model: str,
                 limits: AnalyserLimits = AnalyserLimits(), *, prompt_version: str = "v1",
                 prompts_dir: Path | None = None, clock: Clock = system_clock, sleeper: Sleeper = real_sleep) -> None:
        self._cache = cache
        self._llm = llm
        self.model = model if llm is not None else HEURISTIC_MODEL
        self.prompt_version = prompt_version
        self.input_budget = limits.input_budget
        self._clock = clock
        self._retry_interval = limits.llm_retry_interval
        self.counters = AnalysisCounters()
        self._slots = threading.BoundedSemaphore(limits.concurrency)
        self._flights: dict[tuple[str, str, str], Future[Analysis]] = {}
        self._flights_lock = threading.Lock()
        self._runner: LLMRunner | None = None
        if llm is not None:
            # PROMPTS_DIR (None: the shipped set); a bad one raises PromptError here, at start-up.
            templates = load_templates(prompt_version, prompts_dir)
            self._runner = LLMRunner(llm, templates, limits.input_budget, limits.output_tokens, limits.policy,
                                     sleeper, on_request=lambda: self.counters.add(llm_requests=1))

    def _get(self, repo: RepoRef, sha: str, model: str, language: Language) -> Analysis | None:
        return self._cache.get(repo, sha, self.prompt_version, model, language)

    def analyse(self, commit: Commit, language: str) -> Analysis:
        """Cached, else LLM, else heuristic analysis of `commit` in `language` ("zh" or "en", else ValueError)."""
        checked = check_language(language)
        key = (commit.repo.full_name, commit.sha.lower(), checked)
        with self._flights_lock:
            leading = self._flights.get(key)
            if leading is None:
                flight: Future[Analysis] = Future()
                self._flights[key] = flight
        if leading is not None:
            self.counters.add(coalesced=1)
            return leading.result()
        try:
            result = self._analyse_once(commit, checked)
        except BaseException as exc:  # store trouble: followers must not wait forever
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(result)
            return result
        finally:
            with self._flights_lock:
                self._flights.pop(key, None)

    def _analyse_once(self, commit: Commit, language: Language) -> Analysis:
        # Single flight across processes too: another worker (a digest beside a poll) may be asking the
        # LLM about this commit right now; once it is done, its stored answer is read here instead.
        if self._llm is None:
            return self._analyse(commit, language)
        stored = self._get(commit.repo, commit.sha, self.model, language)
        if stored is not None:
            self.counters.add(cache_hits=1)
            return stored
        # The LLM slot first: analyses waiting for one hold no database connection (the lock's) meanwhile.
        with self._slots, self._cache.exclusive(commit.repo, commit.sha, self.prompt_version, self.model, language):
            return self._analyse(commit, language)

    def _analyse(self, commit: Commit, language: Language) -> Analysis:
        if self._llm is not None:
            stored = self._get(commit.repo, commit.sha, self.model, language)
            if stored is not None:
                self.counters.add(cache_hits=1)
                return stored
        fallback = self._get(commit.repo, commit.sha, HEURISTIC_MODEL, language)
        if fallback is not None and (self._llm is None or self._clock() - fallback.created_at < self._retry_interval):
            self.counters.add(cache_hits=1)
            return fallback
        if self._runner is None:  # no LLM configured
            return self._save_heuristic(commit, language, _NOTES["no_llm"][language])
        try:  # the caller holds an LLM slot
            result = self._runner.run(commit, language)
        except GaveUp as exc:
            self.counters.add(llm_failures=1, prompt_tokens=exc.usage.prompt_tokens,
                              completion_tokens=exc.usage.completion_tokens)
            log.warning("LLM analysis failed; using the heuristic", extra={
                "repo": commit.repo.full_name, "sha": commit.sha, "attempts": exc.attempts, "reason": exc.reason})
            note = _NOTES["failed"][language].format(reason=exc.reason[:200])
            return self._save_heuristic(commit, language, note, fallback is not None)
        self.counters.add(prompt_tokens=result.usage.prompt_tokens, completion_tokens=result.usage.completion_tokens)
        analysis = self._build(commit, language, result.content, "llm", self.model,
                               result.usage.prompt_tokens, result.usage.completion_tokens,
                               "" if result.mode.value == "json_schema" else f"output mode: {result.mode.value}")
        self._cache.save(analysis)
        self.counters.analysed("llm")
        return analysis

    def _save_heuristic(self, commit: Commit, language: Language, note: str, replace: bool = False) -> Analysis:
        analysis = self._build(commit, language, heuristic_content(commit, language), "heuristic", HEURISTIC_MODEL,
                               0, 0, note)
        if replace:
            self._cache.replace(analysis)
        else:
            self._cache.save(analysis)
        self.counters.analysed("heuristic")
        return analysis

    def _build(self, commit: Commit, language: Language, content: AnalysisContent, source: AnalysisSource, model: str,
               prompt_tokens: int, completion_tokens: int, note: str) -> Analysis:
        return Analysis(**content.model_dump(), repo=commit.repo, sha=commit.sha.lower(), language=language,
                        source=source, model=model, prompt_version=self.prompt_version, prompt_tokens=prompt_tokens,
                        completion_tokens=completion_tokens, note=note, created_at=self._clock())

