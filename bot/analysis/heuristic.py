"""The no-network analysis: rules over what a maintainer skims — the message, the paths, the size.

Importance follows the rubric the LLM prompt states (prompts/v1/system.*.md, DESIGN.md §2): high
for what users or operators see (API, CLI, config or schema changes, breaking changes, security
fixes, data-loss or correctness bugs in core paths, core dependency or toolchain upgrades,
significant features), and so for a release, the end of support for a language version and the
removal of deprecated API; medium for fixes outside core paths, performance, build and release
pipelines, refactors, reverts, deprecations, runtime dependency updates, example and script
fixes; low for docs, typos, formatting, test-only changes and chores: CI housekeeping, development
dependencies and tooling, changelog-only edits, development version bumps. A merge is judged as the
pull request it merges (bot/analysis/signals.py); bench/heuristic.py measures the rules against
hand labels of real history.

It states only what it can see: change type, importance, the breaking flag, a factual summary,
the impact by path, and the risks a message declares. Every judgement an LLM would make
(insights, recommendations) is stored as "not analysed without an LLM", never filled with
invented text; cards leave those sections out and say an LLM would add them.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from bot.analysis import heuristic_words as words
from bot.analysis.files import (
    ROLE_BUILD,
    ROLE_CHANGELOG,
    ROLE_CI,
    ROLE_DEV_CONFIG,
    ROLE_DEV_DEPS,
    ROLE_DOCS,
    ROLE_EXAMPLE,
    ROLE_LOCKFILE,
    ROLE_PACKAGING,
    ROLE_RELEASE_CI,
    ROLE_SOURCE,
    ROLE_TEST,
    path_role,
)
from bot.analysis.signals import MAX_MESSAGE_PART, MAX_TITLE, Signals, clip_message, read
from bot.domain import AnalysisContent, ChangeType, Commit, ImpactItem, Importance, Insights, Risk, Severity

# Bumped when the rules change, so stored heuristic analyses of an earlier version are not served again.
HEURISTIC_VERSION = "v2"
NOT_ANALYSED = {"en": "not analysed without an LLM", "zh": "未经 LLM 分析"}
__all__ = ["HEURISTIC_VERSION", "MAX_MESSAGE_PART", "MAX_TITLE", "NOT_ANALYSED", "Verdict", "heuristic_content",
           "judge", "rule_message", "rule_title"]

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
    (re.compile(r"^(add|adds|added|implement|introduce|support|enable|allow|new|redesign|rewrite|overhaul)\b"),
     ChangeType.FEATURE),
    (re.compile(r"^(refactor|restructure|rename|move|extract|simplify|clean ?up|remove|delete|drop)\b"),
     ChangeType.REFACTOR),
    (re.compile(r"^(optimi[sz]e|speed ?up)\b"), ChangeType.PERFORMANCE),
    (re.compile(r"^(docs?|document|readme|typo)\b"), ChangeType.DOCS),
]
_PERFORMANCE = re.compile(r"\boptimi[sz]|\bspeed ?up\b|\bfaster\b|\bperformance\b|\blatency\b|\bthroughput\b")
# Bounded gaps: an unbounded `.*?` after a repeated word is quadratic on a long hostile title.
_UPGRADE = re.compile(r"\b(bump\w*|upgrad\w*|updat\w*)\b.{0,120}?\b(to|from)\b\s*v?\d+(\.\d+)+|"
                      r"\b(bump\w*|upgrad\w*)\b.{0,120}\bv?\d+\.\d+")
_TOOLCHAIN = re.compile(r"\b(go|golang|python|node(js)?|rust|rustc|java|jdk|cuda|gcc|clang|llvm|toolchain|"
                        r"compiler|base image|kernel)\b")
_SURFACE_PATH = re.compile(r"(^|/)(api|apis|cli|cmd|schema|schemas|proto|protos|openapi|crd|crds|protocols?|"
                           r"migrations)(/|$)|_types\.go$|(^|/)(args|cli|config|settings|schema)\.[a-z]+$|\.proto$")
# The contracts others build on (wire and storage schemas), where even a fix changes what users see.
_CONTRACT_PATH = re.compile(r"(^|/)(schema|schemas|proto|protos|openapi|crd|crds|migrations)(/|$)|_types\.go$|"
                            r"\.proto$|(^|/)schema\.[a-z]+$")
LARGE_FEATURE = 300  # changed lines of the project's own code that make a feature significant
LARGE_REWORK = 450  # ... that make a refactor or a deprecation a change of the core's shape
LARGE_CHORE = 1000
SMALL_CHANGE = 10  # below this, a change of own code with no changelog entry is a chore
_QUIET_ROLES = frozenset({ROLE_DEV_CONFIG, ROLE_DEV_DEPS, ROLE_TEST, ROLE_DOCS, ROLE_CHANGELOG, ROLE_LOCKFILE})


def rule_title(commit: Commit) -> str:
    """The part of the commit title the rules look at."""
    return commit.title[:MAX_TITLE]


def rule_message(commit: Commit) -> str:
    """The part of the message the rules look at: its start and its end (where BREAKING CHANGE trailers go)."""
    return clip_message(commit.message)


@dataclass(frozen=True)
class Verdict:
    """Change type, importance, breaking flag and the reasons for them."""

    change_type: ChangeType
    importance: Importance
    breaking: bool
    reasons: tuple[str, ...]


def _change_type(title: str) -> tuple[ChangeType | None, bool]:
    match = words.CONVENTIONAL.match(title)
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
class _Seen:
    """The signals, plus what the words of the title, text and changelog say."""

    signals: Signals
    title: str
    low_title: str
    breaking: bool
    security: bool
    release: bool
    dev_version: bool
    drops_support: bool
    removes_deprecated: bool
    deprecates: bool
    upgrade: bool
    surface: bool
    contract: bool

    @property
    def roles(self) -> frozenset[str]:
        """The roles of the paths (lockfiles aside unless alone)."""
        return self.signals.only_roles

    @property
    def ships(self) -> bool:
        """The change reaches users (own code or packaging metadata, or paths unknown)."""
        return self.signals.ships


def _seen(commit: Commit, signals: Signals, bang: bool) -> _Seen:
    unit, notes = signals.unit, signals.changelog.lines
    title, text = unit.title, unit.text
    low_title = title.lower()
    packaging = signals.packaging
    branch = unit.merge == "branch"
    dev_version = words.is_dev_version_bump(title) or (packaging.version is not None and not packaging.release
                                                       and not words.is_release(title))
    release = not dev_version and (words.is_release(title) or not branch and (
        packaging.release or signals.changelog.released))
    paths = [change.filename for change in commit.files]
    own = [path for path in paths if path_role(path) == ROLE_SOURCE]
    upgrade = bool(_UPGRADE.search(low_title)) and (not paths or bool(signals.roles.keys() & {
        ROLE_PACKAGING, ROLE_DEV_DEPS, ROLE_LOCKFILE}) or any("dockerfile" in p.lower() for p in paths))
    return _Seen(
        signals=signals, title=title, low_title=low_title,
        breaking=bang or words.declares_breaking(text, notes),
        security=words.mentions_security(text, title, notes),
        release=release, dev_version=dev_version,
        drops_support=words.drops_support(title, notes),
        removes_deprecated=words.removes_deprecated(title, notes),
        deprecates=words.deprecates(title, notes),
        upgrade=upgrade,
        surface=any(_SURFACE_PATH.search(p.lower()) for p in own),
        contract=any(_CONTRACT_PATH.search(p.lower()) for p in own),
    )


def _refined_kind(kind: ChangeType | None, seen: _Seen) -> ChangeType:
    if seen.security and kind in (None, ChangeType.FIX, ChangeType.CHORE):
        kind = ChangeType.SECURITY
    if seen.upgrade and kind in (None, ChangeType.FEATURE, ChangeType.CHORE, ChangeType.BUILD, ChangeType.DEPENDENCY):
        kind = ChangeType.DEPENDENCY
    if kind in (None, ChangeType.CHORE, ChangeType.CI, ChangeType.BUILD) and words.BUMP_TITLE.search(seen.title) \
            and seen.roles <= {ROLE_CI, ROLE_RELEASE_CI, ROLE_DEV_CONFIG}:
        kind = ChangeType.DEPENDENCY  # an action or tool version in a workflow
    if kind in (ChangeType.FIX, None) and _PERFORMANCE.search(seen.low_title) \
            and not words.CORRECTNESS.search(seen.low_title):
        kind = ChangeType.PERFORMANCE
    if kind is None and seen.signals.files_known:
        roles = seen.roles
        if roles <= {ROLE_DOCS, ROLE_CHANGELOG}:
            kind = ChangeType.DOCS
        elif roles <= {ROLE_TEST}:
            kind = ChangeType.TEST
        elif roles <= {ROLE_CI, ROLE_RELEASE_CI}:
            kind = ChangeType.CI
        elif roles <= {ROLE_BUILD, ROLE_CI, ROLE_RELEASE_CI, ROLE_DEV_CONFIG}:
            kind = ChangeType.BUILD
    return kind or ChangeType.OTHER


def _declared(seen: _Seen) -> tuple[Importance, str] | None:
    """What the words alone make high (or, for security in development material only, medium)."""
    if seen.breaking:
        return Importance.HIGH, "declares a breaking change"
    if seen.security:
        if seen.signals.files_known and not seen.ships:
            return Importance.MEDIUM, "security update of development material only"
        return Importance.HIGH, "security fix"
    if seen.release:
        return Importance.HIGH, "release of a new version"
    if seen.ships and seen.drops_support:
        return Importance.HIGH, "drops support for a platform or language version"
    if seen.ships and seen.removes_deprecated:
        return Importance.HIGH, "removes deprecated public API"
    return None


def _chore(seen: _Seen) -> tuple[Importance, str] | None:
    """Housekeeping the title names: a development version, tooling or development dependencies."""
    signals = seen.signals
    noted = signals.changelog.entries > 0 or signals.packaging.runtime
    if seen.dev_version and not noted and signals.source_lines < SMALL_CHANGE:
        return Importance.LOW, "development version bump"
    quiet = seen.roles <= _QUIET_ROLES | {ROLE_CI, ROLE_RELEASE_CI}
    if quiet and words.BUMP_TITLE.search(seen.title):
        return Importance.LOW, "CI or development dependency bump"
    if not noted and signals.source_lines < LARGE_FEATURE and (
            words.DEV_DEPENDENCY_TITLE.search(seen.low_title) or words.TOOLING_TITLE.search(seen.low_title)):
        return Importance.LOW, "development tooling or dependencies"
    return None


def _importance_by_paths(seen: _Seen) -> tuple[Importance, str] | None:
    signals = seen.signals
    if not signals.files_known:
        return (Importance.LOW, "no change against the first parent") if signals.unit.merge else None
    roles = seen.roles
    if roles <= {ROLE_DOCS}:
        return Importance.LOW, "documentation only"
    if roles <= {ROLE_DOCS, ROLE_CHANGELOG}:
        return Importance.LOW, "changelog or documentation only"
    if roles <= {ROLE_TEST}:
        return Importance.LOW, "tests only"
    if roles <= _QUIET_ROLES:
        return Importance.LOW, "development tooling or dependencies only"
    if roles <= _QUIET_ROLES | {ROLE_CI, ROLE_RELEASE_CI, ROLE_BUILD}:
        return Importance.MEDIUM, "build or CI only"
    if roles <= _QUIET_ROLES | {ROLE_CI, ROLE_RELEASE_CI, ROLE_BUILD, ROLE_EXAMPLE}:
        return Importance.MEDIUM, "examples or scripts only"
    return None


def _dependency_importance(seen: _Seen) -> tuple[Importance, str]:
    conventional_feature = words.CONVENTIONAL.match(seen.title) is not None and seen.low_title.startswith("feat")
    packaging = seen.signals.packaging
    if _TOOLCHAIN.search(seen.low_title) or conventional_feature or packaging.toolchain:
        return Importance.HIGH, "core dependency or toolchain upgrade"
    if packaging.dev and not packaging.runtime:
        return Importance.LOW, "development dependency update"
    return Importance.MEDIUM, "runtime dependency update"


def _feature_importance(seen: _Seen) -> tuple[Importance, str]:
    if seen.surface:
        return Importance.HIGH, "feature touching an API, CLI, config or schema"
    if seen.signals.source_lines >= LARGE_FEATURE:
        return Importance.HIGH, "large feature"
    return Importance.MEDIUM, "feature"


def _fix_importance(seen: _Seen) -> tuple[Importance, str]:
    if words.CORRECTNESS.search(seen.low_title):
        return Importance.HIGH, "fix of a crash, data loss, race or leak"
    if seen.contract:
        return Importance.HIGH, "fix of an API or schema contract"
    return Importance.MEDIUM, "bug fix"


def _minor(seen: _Seen) -> bool:
    """A small edit of own code that its authors did not think worth a changelog entry, or a cosmetic one."""
    signals = seen.signals
    if not signals.files_known or signals.changelog.entries or signals.packaging.runtime or signals.packaging.version:
        return False
    lines = signals.source_lines
    return lines < SMALL_CHANGE or bool(words.COSMETIC.search(seen.low_title)) and lines < 4 * SMALL_CHANGE


def _by_kind(kind: ChangeType, seen: _Seen) -> tuple[Importance, str | None]:
    if kind is ChangeType.DEPENDENCY:
        return _dependency_importance(seen)
    if kind in (ChangeType.DOCS, ChangeType.TEST, ChangeType.STYLE):
        return Importance.LOW, None
    if kind in (ChangeType.FIX, ChangeType.FEATURE) and _minor(seen) and words.COSMETIC.search(seen.low_title):
        return Importance.LOW, "typo, docstring or comment"
    if kind is ChangeType.FEATURE:
        return _feature_importance(seen)
    if kind is ChangeType.FIX:
        return _fix_importance(seen)
    if kind in (ChangeType.REVERT, ChangeType.PERFORMANCE, ChangeType.SECURITY, ChangeType.CI, ChangeType.BUILD):
        return Importance.MEDIUM, None
    if seen.signals.source_lines >= LARGE_REWORK and kind is not ChangeType.CHORE:
        return Importance.HIGH, "large rework of the project's own code"
    if kind is ChangeType.CHORE:
        return (Importance.MEDIUM if seen.signals.source_lines >= LARGE_CHORE else Importance.LOW), None
    if _minor(seen):
        return Importance.LOW, "small internal change"
    return Importance.MEDIUM, None


def judge(commit: Commit) -> Verdict:
    """Classify a commit (a merge: its pull request) by the rubric from its message, paths, diff and size."""
    signals = read(commit)
    kind, bang = _change_type(signals.unit.title)
    seen = _seen(commit, signals, bang)
    kind = _refined_kind(kind, seen)
    reasons = ["security keyword"] if seen.security else []
    judged = _declared(seen) or _chore(seen) or _importance_by_paths(seen) or _by_kind(kind, seen)
    importance, reason = judged
    if reason and reason not in reasons:
        reasons.append(reason)
    if seen.deprecates and importance is not Importance.HIGH:
        if importance is Importance.LOW or seen.signals.source_lines >= LARGE_REWORK:
            importance = Importance.MEDIUM if importance is Importance.LOW else Importance.HIGH
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
    "security keyword": "涉及安全关键词", "security fix": "安全修复",
    "security update of development material only": "仅涉及开发环境的安全更新",
    "declares a breaking change": "声明破坏性变更", "release of a new version": "发布新版本",
    "drops support for a platform or language version": "停止支持某平台或语言版本",
    "removes deprecated public API": "移除已弃用的公开 API", "development version bump": "开发版本号变更",
    "CI or development dependency bump": "CI 或开发依赖升级",
    "development tooling or dependencies": "开发工具或开发依赖",
    "no change against the first parent": "相对第一父提交无变更",
    "documentation only": "仅文档", "changelog or documentation only": "仅变更日志或文档", "tests only": "仅测试",
    "development tooling or dependencies only": "仅开发工具或开发依赖", "build or CI only": "仅构建或 CI",
    "examples or scripts only": "仅示例或脚本", "core dependency or toolchain upgrade": "核心依赖或工具链升级",
    "development dependency update": "开发依赖更新", "runtime dependency update": "运行时依赖更新",
    "feature touching an API, CLI, config or schema": "涉及 API、CLI、配置或 schema 的功能",
    "large feature": "大型功能", "feature": "功能", "bug fix": "缺陷修复",
    "fix of a crash, data loss, race or leak": "修复崩溃、数据丢失、竞态或泄漏",
    "fix of an API or schema contract": "修复 API 或 schema 契约",
    "typo, docstring or comment": "拼写、文档字符串或注释",
    "large rework of the project's own code": "大规模重构项目代码", "small internal change": "小型内部改动",
    "deprecation": "弃用", "revert": "回滚",
}
