"""The no-network analysis: rules over the commit message, paths and size.

Importance follows the rubric the LLM prompt states (prompts/v1/system.*.md): high for what users
or operators see (API, CLI, config or schema changes, breaking changes, security fixes,
data-loss or correctness bugs in core paths, core dependency or toolchain upgrades, significant
features); medium for fixes outside core paths, performance, CI/build, refactors, reverts,
example and script fixes; low for docs, typos, formatting, test-only changes and chores.

It states only what it can see: change type, importance, the breaking flag, a factual summary,
the impact by path, and the risks a message declares. Every judgement an LLM would make
(insights, recommendations) is stored as "not analysed without an LLM", never filled with
invented text; cards leave those sections out and say an LLM would add them.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from bot.analysis.files import BUILD, DOCS, EXAMPLE, SOURCE, TEST, is_lockfile, is_manifest, path_rank
from bot.domain import AnalysisContent, ChangeType, Commit, ImpactItem, Importance, Insights, Risk, Severity

NOT_ANALYSED = {"en": "not analysed without an LLM", "zh": "未经 LLM 分析"}

_CONVENTIONAL = re.compile(r"^\s*(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?\s*:\s*(?P<rest>.*)$")
_TYPES = {
    "feat": ChangeType.FEATURE, "feature": ChangeType.FEATURE, "fix": ChangeType.FIX, "bugfix": ChangeType.FIX,
    "hotfix": ChangeType.FIX, "perf": ChangeType.PERFORMANCE, "refactor": ChangeType.REFACTOR,
    "revert": ChangeType.REVERT, "docs": ChangeType.DOCS, "doc": ChangeType.DOCS, "test": ChangeType.TEST,
    "tests": ChangeType.TEST, "ci": ChangeType.CI, "build": ChangeType.BUILD, "chore": ChangeType.CHORE,
    "style": ChangeType.STYLE, "deps": ChangeType.DEPENDENCY, "security": ChangeType.SECURITY,
    "sec": ChangeType.SECURITY,
}
_VERBS = [
    (re.compile(r"^(revert|reverts|reverting)\b"), ChangeType.REVERT),
    (re.compile(r"^(fix|fixes|fixed|resolve|resolves|correct|prevent|avoid|handle)\b"), ChangeType.FIX),
    (re.compile(r"^(add|adds|added|implement|introduce|support|enable|allow|new)\b"), ChangeType.FEATURE),
    (re.compile(r"^(refactor|restructure|rename|move|extract|simplify|clean ?up|remove|delete|drop)\b"),
     ChangeType.REFACTOR),
    (re.compile(r"^(optimi[sz]e|speed ?up)\b"), ChangeType.PERFORMANCE),
    (re.compile(r"^(docs?|document|readme|typo)\b"), ChangeType.DOCS),
]
_SECURITY = re.compile(r"\bcve-\d{4}-\d{3,}\b|\bsecurity\b|\bvulnerab|\bxss\b|\bcsrf\b|\bssrf\b|\brce\b|"
                       r"\binjection\b|privilege escalation|\bauth(entication|orization)? bypass")
_BREAKING = re.compile(r"breaking[ -]change", re.I)
_DEPRECATE = re.compile(r"\bdeprecat")
_PERFORMANCE = re.compile(r"\boptimi[sz]|\bspeed ?up\b|\bfaster\b|\bperformance\b|\blatency\b|\bthroughput\b")
_CORRECTNESS = re.compile(r"\b(lost|loss|losing|corrupt\w*|crash\w*|panic\w*|deadlock\w*|race condition|"
                          r"data race|leak\w*|incorrect|wrong result\w*|segfault)\b")
# Bounded gaps: an unbounded `.*?` after a repeated word is quadratic on a long hostile title.
_UPGRADE = re.compile(r"\b(bump\w*|upgrad\w*|updat\w*)\b.{0,120}?\b(to|from)\b\s*v?\d+(\.\d+)+|"
                      r"\b(bump\w*|upgrad\w*)\b.{0,120}\bv?\d+\.\d+")
_TOOLCHAIN = re.compile(r"\b(go|golang|python|node(js)?|rust|rustc|java|jdk|cuda|gcc|clang|llvm|toolchain|"
                        r"compiler|base image|kernel)\b")
_SURFACE_WORDS = re.compile(r"\b(api|cli|flag|flags|option|options|config|configuration|setting|settings|schema|"
                            r"field|endpoint|parameter|argument|protocol)\b|--[a-z]")
_SURFACE_PATH = re.compile(r"(^|/)(api|apis|cli|cmd|schema|schemas|proto|protos|openapi|crd|crds|protocols?|"
                           r"migrations)(/|$)|_types\.go$|(^|/)(args|cli|config|settings|schema)\.[a-z]+$|\.proto$")
LARGE_FEATURE = 300  # changed source lines that make a feature significant
LARGE_CHORE = 1000
# Rules read at most this much: a title is a line, and a message's trailers sit at its end.
MAX_TITLE = 300
MAX_MESSAGE_PART = 8000


def rule_title(commit: Commit) -> str:
    """The part of the commit title the rules look at."""
    return commit.title[:MAX_TITLE]


def rule_message(commit: Commit) -> str:
    """The part of the message the rules look at: its start and its end (where BREAKING CHANGE trailers go)."""
    message = commit.message
    if len(message) <= 2 * MAX_MESSAGE_PART:
        return message
    return message[:MAX_MESSAGE_PART] + "\n" + message[-MAX_MESSAGE_PART:]


@dataclass(frozen=True)
class Verdict:
    """Change type, importance, breaking flag and the reasons for them."""

    change_type: ChangeType
    importance: Importance
    breaking: bool
    reasons: tuple[str, ...]


def _change_type(commit: Commit, title: str) -> tuple[ChangeType | None, bool]:
    match = _CONVENTIONAL.match(title)
    if match:
        kind = _TYPES.get(match.group("type").lower())
        scope = (match.group("scope") or "").lower()
        if kind in (ChangeType.CHORE, ChangeType.BUILD) and scope.startswith("deps"):
            kind = ChangeType.DEPENDENCY
        return kind, bool(match.group("bang"))
    low = title.lower()
    for pattern, kind in _VERBS:
        if pattern.search(low):
            return kind, False
    return None, False


@dataclass(frozen=True)
class _Signals:
    """What the rules read from one commit: its title, paths, size and the keywords found."""

    title: str
    low_title: str
    paths: tuple[str, ...]
    ranks: frozenset[int]
    source_lines: int
    breaking: bool
    security: bool
    surface: bool
    upgrade: bool

    @property
    def core_paths(self) -> bool:
        """False when paths are known and none of them is source or build (examples, scripts, tests, docs)."""
        return not self.paths or bool(self.ranks & {SOURCE, BUILD})

    @property
    def only(self) -> int | None:
        """The one path rank of every non-lockfile path, or None when there are several or none."""
        return next(iter(self.ranks)) if len(self.ranks) == 1 else None


def _signals(commit: Commit, title: str, full_message: str, bang: bool) -> _Signals:
    low_title = title.lower()
    paths = tuple(change.filename for change in commit.files)
    counted = [change for change in commit.files if not is_lockfile(change.filename)]
    upgrade = bool(_UPGRADE.search(low_title)) and (not paths or any(is_manifest(p) or is_lockfile(p)
                                                                      or "dockerfile" in p.lower() for p in paths))
    return _Signals(
        title=title,
        low_title=low_title,
        paths=paths,
        ranks=frozenset(path_rank(change.filename) for change in counted),
        source_lines=sum(change.changes for change in counted if path_rank(change.filename) == SOURCE),
        breaking=bang or bool(_BREAKING.search(full_message)),
        security=bool(_SECURITY.search(full_message.lower())),
        surface=any(_SURFACE_PATH.search(path.lower()) for path in paths) or bool(_SURFACE_WORDS.search(low_title)),
        upgrade=upgrade,
    )


def _refined_kind(kind: ChangeType | None, seen: _Signals) -> ChangeType:
    if seen.security and kind in (None, ChangeType.FIX, ChangeType.CHORE):
        kind = ChangeType.SECURITY
    if seen.upgrade and kind in (None, ChangeType.FEATURE, ChangeType.CHORE, ChangeType.BUILD, ChangeType.DEPENDENCY):
        kind = ChangeType.DEPENDENCY
    if kind in (ChangeType.FIX, None) and _PERFORMANCE.search(seen.low_title) \
            and not _CORRECTNESS.search(seen.low_title):
        kind = ChangeType.PERFORMANCE
    if kind is None and seen.paths:
        lowest = min(seen.ranks, default=SOURCE)
        kind = {DOCS: ChangeType.DOCS, TEST: ChangeType.TEST, BUILD: ChangeType.BUILD}.get(lowest)
    return kind or ChangeType.OTHER


def _importance_by_paths(kind: ChangeType, seen: _Signals) -> tuple[Importance, str] | None:
    if not seen.paths:
        return None
    if seen.only == DOCS:
        return Importance.LOW, "documentation only"
    if seen.only == TEST:
        return Importance.LOW, "tests only"
    if seen.only in (EXAMPLE, BUILD) and kind is not ChangeType.DEPENDENCY:
        return Importance.MEDIUM, "examples, scripts or CI only" if seen.only == EXAMPLE else "build or CI only"
    return None


def _dependency_importance(seen: _Signals) -> tuple[Importance, str]:
    conventional_feature = _CONVENTIONAL.match(seen.title) is not None and seen.low_title.startswith("feat")
    if _TOOLCHAIN.search(seen.low_title) or conventional_feature:
        return Importance.HIGH, "core dependency or toolchain upgrade"
    return Importance.MEDIUM, "dependency update"


def _feature_importance(seen: _Signals) -> tuple[Importance, str]:
    significant = seen.core_paths and (seen.surface or seen.source_lines >= LARGE_FEATURE)
    importance = Importance.HIGH if significant else Importance.MEDIUM
    if not seen.core_paths:
        return importance, "feature outside core paths"
    if seen.surface:
        return importance, "feature touching an API, CLI, config or schema"
    return importance, "large feature" if significant else "small feature"


def _fix_importance(seen: _Signals) -> tuple[Importance, str]:
    if seen.core_paths and (seen.surface or _CORRECTNESS.search(seen.low_title)):
        return Importance.HIGH, "fix of a correctness bug or an API/config surface"
    return Importance.MEDIUM, "fix outside core paths" if not seen.core_paths else "bug fix"


def _importance(kind: ChangeType, seen: _Signals) -> tuple[Importance, str | None]:
    """The importance by the rubric and the reason to state for it (None: the kind or a reason given already)."""
    if seen.breaking:
        return Importance.HIGH, "declares a breaking change"
    if seen.security:
        return Importance.HIGH, None
    by_paths = _importance_by_paths(kind, seen)
    if by_paths is not None:
        return by_paths
    if kind is ChangeType.DEPENDENCY:
        return _dependency_importance(seen)
    if kind is ChangeType.FEATURE:
        return _feature_importance(seen)
    if kind is ChangeType.FIX:
        return _fix_importance(seen)
    if kind in (ChangeType.DOCS, ChangeType.TEST, ChangeType.STYLE):
        return Importance.LOW, None
    if kind is ChangeType.CHORE:
        return (Importance.MEDIUM if seen.source_lines >= LARGE_CHORE else Importance.LOW), None
    return Importance.MEDIUM, None


def judge(commit: Commit) -> Verdict:
    """Classify a commit by the rubric from its message, file paths and size alone."""
    title = rule_title(commit)
    full_message = rule_message(commit)
    kind, bang = _change_type(commit, title)
    seen = _signals(commit, title, full_message, bang)
    reasons = ["security keyword"] if seen.security else []
    kind = _refined_kind(kind, seen)
    importance, reason = _importance(kind, seen)
    if reason:
        reasons.append(reason)
    if _DEPRECATE.search(full_message.lower()) and importance is Importance.LOW:
        importance = Importance.MEDIUM
        reasons.append("deprecation")
    if kind is ChangeType.REVERT:
        reasons.append("revert")
    return Verdict(kind, importance, seen.breaking, tuple(reasons))


def _component(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:2]) + "/" if len(parts) > 2 else path


def _impact(commit: Commit, language: str) -> list[ImpactItem]:
    groups: OrderedDict[str, list[int]] = OrderedDict()
    for change in sorted(commit.files, key=lambda c: -c.changes):
        group = groups.setdefault(_component(change.filename), [0, 0, 0])
        group[0] += 1
        group[1] += change.additions
        group[2] += change.deletions
    items = []
    for component, (files, added, deleted) in list(groups.items())[:6]:
        note = (f"{files} 个文件，+{added} -{deleted}" if language == "zh"
                else f"{files} file{'s' if files != 1 else ''}, +{added} -{deleted}")
        items.append(ImpactItem(component=component, note=note))
    if len(groups) > 6:
        rest = len(groups) - 6
        items.append(ImpactItem(component="…", note=f"另有 {rest} 个位置" if language == "zh"
                                else f"{rest} more place{'s' if rest != 1 else ''}"))
    return items


def heuristic_content(commit: Commit, language: str) -> AnalysisContent:
    """An AnalysisContent built from rules; judgements it cannot make say so (in the insights, not the summary)."""
    verdict = judge(commit)
    unknown = NOT_ANALYSED[language]
    files = len(commit.files)
    if language == "zh":
        summary = (f"提交「{commit.title}」修改了 {files} 个文件（+{commit.additions} -{commit.deletions}）。"
                   f"重要程度由规则判断（{'、'.join(_ZH_REASONS.get(r, r) for r in verdict.reasons) or '提交类型'}）。")
    else:
        summary = (f"Commit \"{commit.title}\" changes {files} file{'s' if files != 1 else ''} "
                   f"(+{commit.additions} -{commit.deletions}). Importance judged by rules "
                   f"({', '.join(verdict.reasons) or 'commit type'}).")
    risks = []
    if verdict.breaking:
        risks.append(Risk(description="提交说明声明了破坏性变更（BREAKING CHANGE）。" if language == "zh"
                          else "The commit message declares a breaking change.", severity=Severity.HIGH))
    if "security keyword" in verdict.reasons:
        risks.append(Risk(description="提交说明涉及安全问题，请人工核实影响。" if language == "zh"
                          else "The commit message mentions a security issue; review its impact by hand.",
                          severity=Severity.HIGH))
    return AnalysisContent(
        change_type=verdict.change_type,
        importance=verdict.importance,
        summary=summary,
        impact=_impact(commit, language),
        insights=Insights(architecture=unknown, performance=unknown, security=unknown, maintainability=unknown),
        risks=risks,
        recommendations=[],
        breaking_change=verdict.breaking,
    )


_ZH_REASONS = {
    "security keyword": "涉及安全关键词", "declares a breaking change": "声明破坏性变更",
    "documentation only": "仅文档", "tests only": "仅测试", "examples, scripts or CI only": "仅示例、脚本或 CI",
    "build or CI only": "仅构建或 CI", "core dependency or toolchain upgrade": "核心依赖或工具链升级",
    "dependency update": "依赖更新",
    "feature touching an API, CLI, config or schema": "涉及 API、CLI、配置或 schema 的功能",
    "large feature": "大型功能", "feature outside core paths": "非核心路径的功能",
    "fix outside core paths": "非核心路径的修复", "small feature": "小型功能", "bug fix": "缺陷修复",
    "fix of a correctness bug or an API/config surface": "正确性缺陷或 API/配置相关修复", "deprecation": "弃用",
    "revert": "回滚",
}
