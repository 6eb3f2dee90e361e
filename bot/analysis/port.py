"""What services need from the analyser (the real one is bot.analysis.service.Analyser)."""

from __future__ import annotations

from typing import Protocol

from bot.domain import Analysis, Commit


class Analyses(Protocol):
    """Turns a commit into a complete analysis."""

    def analyse(self, commit: Commit, language: str) -> Analysis:
        """A complete analysis: cached when it exists, else from the LLM or the heuristic; never raises for LLM trouble."""
        ...
