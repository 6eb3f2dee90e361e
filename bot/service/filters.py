"""Transitional (issue 13): the filters moved to `bot.domain.filters` and `Subscription.wants`.

Kept for callers not yet moved: bot/service/watcher.py, bot/chat/commands/arguments.py,
bot/entrypoints/cli/parser.py, bench/filters.py. Import from `bot.domain.filters` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.filters import MAX_PATTERNS, STEPS_PER_COMMIT, Budget, PatternError, check_patterns

if TYPE_CHECKING:
    from bot.domain import Commit, Subscription

__all__ = ["MAX_PATTERNS", "STEPS_PER_COMMIT", "Budget", "PatternError", "check_patterns", "wants"]


def wants(sub: Subscription, commit: Commit, branch: str | None, budget: Budget | None = None) -> bool:
    """`sub.wants(commit, branch, budget)`."""
    return sub.wants(commit, branch, budget)
