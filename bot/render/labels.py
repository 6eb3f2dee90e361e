"""Interface wording in zh and en, plus date/time formatting that always shows the timezone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import ChangeType, Importance, Severity

LANGUAGES = ("zh", "en")

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "colon": "：",
        "change_type": "🎯 变更类型",
        "importance": "⚡ 重要程度",
        "breaking": "💥 破坏性变更",
        "author": "👤 作者",
        "committed_at": "🕒 提交时间",
        "files": "📁 文件变更",
        "pull_request": "🔀 PR",
        "summary": "📋 变更摘要",
        "impact": "🎯 影响范围",
        "insights": "🔍 技术洞察",
        "architecture": "架构影响",
        "performance": "性能影响",
        "security": "安全考虑",
        "maintainability": "可维护性",
        "risks": "⚠️ 潜在风险",
        "recommendations": "💡 关注建议",
        "summary_empty": "未提供摘要。",
        "impact_empty": "未识别出具体的影响范围。",
        "risks_empty": "未识别出明显风险。",
        "recommendations_empty": "暂无特别建议。",
        "unknown": "未知",
        "yes": "是",
        "no": "否",
        "none": "无",
        "no_title": "（无标题）",
        "view_commit": "查看提交",
        "view_pr": "查看 PR #{number}",
        "files_value": "{files} 个文件，+{additions} / -{deletions}",
        "files_value_truncated": "{files}+ 个文件（列表被截断），+{additions} / -{deletions}",
        "provenance_llm": "🤖 分析：{model} · 提示词 {prompt} · {tokens} tokens",
        "provenance_heuristic": "🤖 分析：启发式规则（未使用 LLM） · 提示词 {prompt}",
        "notice": "ℹ️ 说明",
        "trimmed": "✂️ 内容过长，已省略部分内容。",
        "full_analysis": "查看详情",
        "more_commits": "…… 另有 {count} 个提交未列出",
        "digest_title": "📅 {day} · {repo}",
        "digest_context": "分支 {branch} · 时区 {tz}",
        "digest_context_default": "默认分支 · 时区 {tz}",
        "digest_thread": "各提交的详细分析见本消息的回复。",
        "digest_empty": "本日无新提交。",
        "stats_line": "本日共 {total} 个提交 | 🔴 高 {high} | 🟡 中 {medium} | 🟢 低 {low}",
        "skipped_count": "⏭️ 标记跳过 {count}",
        "digest_title_week": "📅 {week} 周报（{first} – {last}）· {repo}",
        "stats_line_week": "本周共 {total} 个提交 | 🔴 高 {high} | 🟡 中 {medium} | 🟢 低 {low}",
        "digest_empty_week": "本周无新提交。",
        "digest_thread_week": "高重要度提交的详细分析见本消息的回复。",
        "by_change_type": "🏷️ 按变更类型",
        "top_areas": "📂 改动最多的目录",
        "area_line": "{area} +{additions} / -{deletions} · {commits} 个提交",
        "top_commits": "⭐ 本周重要提交",
        "report_title_week": "每周更新报告（{week}：{first} – {last}）",
        "importance_section_empty_week": "本周无{word}重要度变更。",
        "repo_empty_week": "本周无提交。",
        "report_title": "每日更新报告（{day}）",
        "report_intro": "共 {repos} 个仓库 · 由 commit-radar 生成",
        "contents": "📋 目录",
        "statistics": "📊 统计摘要",
        "commit_table": "提交时间 | 重要程度 | 提交 | 作者 | 提交信息",
        "importance_section": "{emoji} {word}重要度变更 ({count})",
        "importance_section_empty": "本日无{word}重要度变更。",
        "repo_info": "分支：{branch} · 时区：{tz}",
        "repo_info_default": "默认分支 · 时区：{tz}",
        "repo_empty": "本日无提交。",
        "sha": "SHA",
        "heuristic_omits": "LLM 分析还会给出技术洞察、风险评估和关注建议。",
        "sentence_gap": "",
        "rollup_head": "{repo}：本轮另有 {count} 个提交超出每轮卡片上限（{limit}），按重要程度列出"
                       "（/commit <sha> 查看任一提交的分析）",
        "rollup_continued": "{repo}：其余提交（续，第 {part}/{total} 条）",
        "rollup_thread": "其余 {more} 条见本消息的回复。",
        "rollup_lower": "另有 {count} 个低于本频道阈值的提交，见每日摘要。",
    },
    "en": {
        "colon": ": ",
        "change_type": "🎯 Change type",
        "importance": "⚡ Importance",
        "breaking": "💥 Breaking change",
        "author": "👤 Author",
        "committed_at": "🕒 Committed",
        "files": "📁 Files",
        "pull_request": "🔀 Pull request",
        "summary": "📋 Summary",
        "impact": "🎯 Impact scope",
        "insights": "🔍 Technical insights",
        "architecture": "Architecture",
        "performance": "Performance",
        "security": "Security",
        "maintainability": "Maintainability",
        "risks": "⚠️ Risks",
        "recommendations": "💡 Recommendations",
        "summary_empty": "No summary provided.",
        "impact_empty": "No specific components identified.",
        "risks_empty": "No notable risks identified.",
        "recommendations_empty": "No specific recommendations.",
        "unknown": "Unknown",
        "yes": "Yes",
        "no": "No",
        "none": "None",
        "no_title": "(no title)",
        "view_commit": "View commit",
        "view_pr": "View PR #{number}",
        "files_value": "{files} files, +{additions} / -{deletions}",
        "files_value_truncated": "{files}+ files (list truncated), +{additions} / -{deletions}",
        "provenance_llm": "🤖 Analysis: {model} · prompt {prompt} · {tokens} tokens",
        "provenance_heuristic": "🤖 Analysis: heuristic rules (no LLM) · prompt {prompt}",
        "notice": "ℹ️ Note",
        "trimmed": "✂️ Shortened to fit; some text was left out. ",
        "full_analysis": "See details",
        "more_commits": "… and {count} more commits not listed",
        "digest_title": "📅 {day} · {repo}",
        "digest_context": "Branch {branch} · timezone {tz}",
        "digest_context_default": "Default branch · timezone {tz}",
        "digest_thread": "Each commit's analysis follows as a reply to this message.",
        "digest_empty": "No new commits today.",
        "stats_line": "{total} commits today | 🔴 High {high} | 🟡 Medium {medium} | 🟢 Low {low}",
        "skipped_count": "⏭️ Skipped {count}",
        "digest_title_week": "📅 Week {week} ({first} – {last}) · {repo}",
        "stats_line_week": "{total} commits this week | 🔴 High {high} | 🟡 Medium {medium} | 🟢 Low {low}",
        "digest_empty_week": "No new commits this week.",
        "digest_thread_week": "The high-importance commits' analyses follow as replies to this message.",
        "by_change_type": "🏷️ By change type",
        "top_areas": "📂 Most changed areas",
        "area_line": "{area} +{additions} / -{deletions} · {commits} commits",
        "top_commits": "⭐ Top commits of the week",
        "report_title_week": "Weekly update report ({week}: {first} – {last})",
        "importance_section_empty_week": "No {lower} importance changes this week.",
        "repo_empty_week": "No commits in this week.",
        "report_title": "Daily update report ({day})",
        "report_intro": "{repos} repositories · generated by commit-radar",
        "contents": "📋 Contents",
        "statistics": "📊 Statistics",
        "commit_table": "Committed | Importance | Commit | Author | Message",
        "importance_section": "{emoji} {word} importance ({count})",
        "importance_section_empty": "No {lower} importance changes today.",
        "repo_info": "Branch: {branch} · timezone: {tz}",
        "repo_info_default": "Default branch · timezone: {tz}",
        "repo_empty": "No commits on this day.",
        "sha": "SHA",
        "heuristic_omits": "An LLM analysis would add technical insights, a risk review and recommendations.",
        "sentence_gap": " ",
        "rollup_head": "{repo}: {count} more commits exceed this poll's card limit ({limit}), by importance "
                       "(/commit <sha> shows the analysis of any of them)",
        "rollup_continued": "{repo}: more commits (continued, {part} of {total})",
        "rollup_thread": "The list continues in {more} replies in this thread.",
        "rollup_lower": "{count} lower-importance commits (below this channel's threshold) are in the daily digest.",
    },
}

# English wording when the count is exactly 1 (Chinese has no grammatical number); see `counted`.
_ONE: dict[str, dict[str, str]] = {
    "zh": {},
    "en": {
        "files_value": "{files} file, +{additions} / -{deletions}",
        "more_commits": "… and {count} more commit not listed",
        "stats_line": "{total} commit today | 🔴 High {high} | 🟡 Medium {medium} | 🟢 Low {low}",
        "stats_line_week": "{total} commit this week | 🔴 High {high} | 🟡 Medium {medium} | 🟢 Low {low}",
        "area_line": "{area} +{additions} / -{deletions} · {commits} commit",
        "report_intro": "{repos} repository · generated by commit-radar",
        "rollup_head": "{repo}: 1 more commit exceeds this poll's card limit ({limit}) "
                       "(/commit <sha> shows its analysis)",
        "rollup_thread": "The list continues in a reply in this thread.",
        "rollup_lower": "1 lower-importance commit (below this channel's threshold) is in the daily digest.",
    },
}

_CHANGE_TYPES = {
    "zh": {
        ChangeType.FEATURE: "功能增强",
        ChangeType.FIX: "Bug 修复",
        ChangeType.SECURITY: "安全修复",
        ChangeType.PERFORMANCE: "性能优化",
        ChangeType.REFACTOR: "重构",
        ChangeType.REVERT: "回滚",
        ChangeType.DEPENDENCY: "依赖升级",
        ChangeType.BUILD: "构建",
        ChangeType.CI: "CI/CD",
        ChangeType.DOCS: "文档",
        ChangeType.TEST: "测试",
        ChangeType.STYLE: "代码风格",
        ChangeType.CHORE: "日常维护",
        ChangeType.OTHER: "其他",
    },
    "en": {
        ChangeType.FEATURE: "Feature",
        ChangeType.FIX: "Bug fix",
        ChangeType.SECURITY: "Security fix",
        ChangeType.PERFORMANCE: "Performance",
        ChangeType.REFACTOR: "Refactor",
        ChangeType.REVERT: "Revert",
        ChangeType.DEPENDENCY: "Dependency update",
        ChangeType.BUILD: "Build",
        ChangeType.CI: "CI/CD",
        ChangeType.DOCS: "Documentation",
        ChangeType.TEST: "Tests",
        ChangeType.STYLE: "Code style",
        ChangeType.CHORE: "Chore",
        ChangeType.OTHER: "Other",
    },
}

_LEVELS = {
    "zh": {"high": "高", "medium": "中", "low": "低"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}


def _lang(language: str) -> str:
    if language not in _TEXT:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return language


def text(language: str, key: str, **values: object) -> str:
    """The label `key` in `language`, formatted with `values`."""
    template = _TEXT[_lang(language)][key]
    return template.format(**values) if values else template


def counted(language: str, key: str, quantity: int, /, **values: object) -> str:
    """The label `key` for `quantity` things (singular wording when there is one), formatted with `values`."""
    template = _ONE[_lang(language)].get(key) if quantity == 1 else None
    return template.format(**values) if template else text(language, key, **values)


def labelled(language: str, label: str, value: str) -> str:
    """`label: value` with the language's colon."""
    return f"{label}{text(language, 'colon')}{value}"


def change_type_name(change_type: ChangeType, language: str) -> str:
    """The change type's name in `language`."""
    return _CHANGE_TYPES[_lang(language)][ChangeType(change_type)]


def importance_name(importance: Importance, language: str) -> str:
    """High / Medium / Low (高 / 中 / 低)."""
    return _LEVELS[_lang(language)][Importance(importance).value]


def severity_name(severity: Severity, language: str) -> str:
    """A risk's severity in `language`."""
    return _LEVELS[_lang(language)][Severity(severity).value]


def badge(importance: Importance, language: str) -> str:
    """The importance badge: emoji and word, e.g. `🔴 High`."""
    importance = Importance(importance)
    return f"{importance.emoji} {importance_name(importance, language)}"


def number(value: int) -> str:
    """An integer with thousands separators."""
    return f"{value:,}"


# --- dates and times -----------------------------------------------------------------------


def utc_offset(moment: datetime) -> str:
    """`UTC+08:00` for an aware datetime; plain `UTC` when it is UTC (offset zero)."""
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def local(moment: datetime, tz: str) -> datetime:
    """`moment` (aware) converted to the IANA timezone `tz`."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no timezone to convert from")
    return moment.astimezone(ZoneInfo(tz))


def format_datetime(moment: datetime, tz: str) -> str:
    """`2026-01-08 21:59:44 UTC+08:00` (or `… UTC`): the local time in `tz`, always with its offset."""
    shown = local(moment, tz)
    return f"{shown:%Y-%m-%d %H:%M:%S} {utc_offset(shown)}"


def format_clock(moment: datetime, tz: str) -> str:
    """`21:59` in `tz`; only for lists whose heading names the timezone (see `timezone_label`)."""
    return f"{local(moment, tz):%H:%M}"


def timezone_label(tz: str, day: date) -> str:
    """`Asia/Shanghai (UTC+08:00)`: the zone and its offset at noon of `day`; `UTC` for UTC itself."""
    noon = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(tz))
    return f"{tz} ({utc_offset(noon)})" if tz != "UTC" else "UTC"


def format_day(day: date) -> str:
    """ISO date, the same in both languages."""
    return day.isoformat()


def format_week(day: date) -> str:
    """`2026-W48`: the ISO week `day` falls in, the same in both languages."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def format_day_clock(moment: datetime, tz: str) -> str:
    """`11-26 21:59` in `tz`; for a week's lists, whose heading names the timezone."""
    return f"{local(moment, tz):%m-%d %H:%M}"


__all__ = [
    "LANGUAGES",
    "badge",
    "change_type_name",
    "counted",
    "format_clock",
    "format_datetime",
    "format_day",
    "format_day_clock",
    "format_week",
    "importance_name",
    "labelled",
    "local",
    "number",
    "severity_name",
    "text",
    "timezone_label",
    "utc_offset",
]
