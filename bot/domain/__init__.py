"""The bot's vocabulary as pydantic models; imports nothing else of the bot."""

from bot.domain.model import (
    REPO_RE,
    SHA_RE,
    Analysis,
    AnalysisContent,
    ChangeType,
    Commit,
    FileChange,
    ImpactItem,
    Importance,
    Insights,
    Platform,
    PullRequest,
    RepoRef,
    Risk,
    Severity,
    Subscription,
    check_sha,
)
from bot.domain.view import Card, CardField, CardLink, CardSection, Digest, DigestEntry

__all__ = [
    "REPO_RE", "SHA_RE", "Analysis", "AnalysisContent", "ChangeType", "Commit", "FileChange", "ImpactItem",
    "Importance", "Insights", "Platform", "PullRequest", "RepoRef", "Risk", "Severity", "Subscription",
    "check_sha", "Card", "CardField", "CardLink", "CardSection", "Digest", "DigestEntry",
]
