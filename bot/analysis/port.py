"""The analysis package's ports: what services need from the analyser, and what it needs from storage."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from bot.domain import Analysis, Commit, RepoRef


class Analyses(Protocol):
    """Turns a commit into a complete analysis (the real one is bot.analysis.service.Analyser)."""

    def analyse(self, commit: Commit, language: str) -> Analysis:
        """A complete analysis: cached, else from the LLM or the heuristic; never raises for LLM trouble."""
        ...


class AnalysisCache(Protocol):
    """Analyses kept by (repo, SHA, prompt version, model, language); the real one is bot.store's AnalysisStore."""

    def get(self, repo: RepoRef, sha: str, prompt_version: str, model: str, language: str) -> Analysis | None:
        """The analysis kept under exactly this key (the SHA in any case)."""
        ...

    def save(self, analysis: Analysis) -> bool:
        """Keep an analysis unless its key has one already; True when it was new."""
        ...

    def replace(self, analysis: Analysis) -> None:
        """Keep an analysis, overwriting the one under the same key."""
        ...

    def exclusive(self, repo: RepoRef, sha: str, prompt_version: str, model: str,
                  language: str) -> AbstractContextManager[None]:
        """While held, no other process makes the analysis of this key (workers sharing a database)."""
        ...
