"""The bot's vocabulary as pydantic models; imports nothing else of the bot.

The models load on first use (PEP 562 module `__getattr__`): the argument parser needs only
`bot.domain.values`, and `commit-radar --help` must not pay for importing pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from bot.domain.values import LANGUAGES, REPO_RE, SHA_RE, Language, check_language, check_sha

if TYPE_CHECKING:
    from bot.domain.delivery import DeliveryOutcome, DeliveryState
    from bot.domain.model import (
        Analysis,
        AnalysisContent,
        AnalysisSource,
        ChangeType,
        Commit,
        FileChange,
        ImpactItem,
        Importance,
        Insights,
        PlatformName,
        PullRequest,
        RepoRef,
        Risk,
        Severity,
        Subscription,
    )
    from bot.domain.view import Card, CardField, CardLink, CardSection, Digest, DigestEntry

_HOME = {
    **dict.fromkeys(("Analysis", "AnalysisContent", "AnalysisSource", "ChangeType", "Commit", "FileChange",
                     "ImpactItem", "Importance", "Insights", "PlatformName", "PullRequest", "RepoRef", "Risk",
                     "Severity", "Subscription"),
                    "bot.domain.model"),
    **dict.fromkeys(("Card", "CardField", "CardLink", "CardSection", "Digest", "DigestEntry"), "bot.domain.view"),
    **dict.fromkeys(("DeliveryOutcome", "DeliveryState"), "bot.domain.delivery"),
}

# Spelled out, not built from _HOME: type checkers read only a literal __all__ as the exports.
__all__ = ["LANGUAGES", "REPO_RE", "SHA_RE", "Language", "check_language", "check_sha",
           "Analysis", "AnalysisContent", "AnalysisSource", "ChangeType", "Commit", "FileChange", "ImpactItem",
           "Importance", "Insights", "PlatformName", "PullRequest", "RepoRef", "Risk", "Severity", "Subscription",
           "Card", "CardField", "CardLink", "CardSection", "Digest", "DigestEntry",
           "DeliveryOutcome", "DeliveryState"]


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
