"""The platform-neutral card: one commit and its analysis, in fixed sections, labelled in zh or en."""

from __future__ import annotations

from bot.domain import Analysis, Card, CardField, CardLink, CardSection, Commit, check_language
from bot.render import labels as L
from bot.render.escape import one_line

# Answers that mean "the commit does not say"; they are shown as the localised "unknown".
_UNKNOWN = frozenset({"", "unknown", "n/a", "na", "未知", "不明", "none known"})


def _known(value: str) -> bool:
    return one_line(value).strip(" .。").lower() not in _UNKNOWN


# The labels of a merge's commits (kept here while the label catalog has none for them).
_MERGED_TEXT = {
    "en": {"field": "Commits", "section": "Commits in this pull request", "count": "{count} commits",
           "count_one": "1 commit", "more": "… and {count} more", "more_named": "… and {count} more: {shas}"},
    "zh": {"field": "提交", "section": "本次合并的提交", "count": "{count} 个提交", "count_one": "1 个提交",
           "more": "……另有 {count} 个", "more_named": "……另有 {count} 个：{shas}"},
}
# Commits named with their titles on a card; the rest by short SHA only (every kept one is named).
MERGED_LISTED = 20


def card_title(commit: Commit, language: str) -> str:
    """The commit's first line (a merge's: its pull request's title), or a placeholder when there is none."""
    return one_line(commit.unit_title) or L.text(language, "no_title")


def _merged_text(language: str, key: str, **values: object) -> str:
    return _MERGED_TEXT[language][key].format(**values)


def _merged_count(commit: Commit, language: str) -> str:
    count = max(commit.merged_count, len(commit.merged_commits))
    return _merged_text(language, "count_one") if count == 1 else _merged_text(language, "count",
                                                                                 count=L.number(count))


def _merged_section(commit: Commit, language: str) -> tuple[CardSection, ...]:
    """A merge's commits, by short SHA and title (none for any other commit)."""
    if not commit.merged_commits:
        return ()
    items = [CardField(label=merged.short_sha, value=one_line(merged.title))
             for merged in commit.merged_commits[:MERGED_LISTED]]
    hidden = max(commit.merged_count, len(commit.merged_commits)) - len(items)
    rest = [merged.short_sha for merged in commit.merged_commits[MERGED_LISTED:]]
    if rest:
        shas = ", ".join(rest) + (f", +{L.number(hidden - len(rest))}" if hidden > len(rest) else "")
        items.append(CardField(value=_merged_text(language, "more_named", count=L.number(hidden), shas=shas)))
    elif hidden > 0:
        items.append(CardField(value=_merged_text(language, "more", count=L.number(hidden))))
    return (CardSection(key="merged", title=_merged_text(language, "section"), items=tuple(items)),)


def _author(commit: Commit) -> str:
    name = one_line(commit.author_name)
    if commit.author_login and commit.author_login != commit.author_name:
        return f"{name} (@{one_line(commit.author_login)})" if name else f"@{one_line(commit.author_login)}"
    return name or "?"


def _files(commit: Commit, language: str) -> str:
    key = "files_value_truncated" if commit.files_truncated else "files_value"
    return L.counted(
        language,
        key,
        len(commit.files),
        files=L.number(len(commit.files)),
        additions=L.number(commit.additions),
        deletions=L.number(commit.deletions),
    )


def _fields(commit: Commit, analysis: Analysis, timezone: str, language: str) -> tuple[CardField, ...]:
    pr = commit.pull_request
    pr_value = f"#{pr.number} {one_line(pr.title)}".strip() if pr else L.text(language, "none")
    breaking = L.text(language, "yes") + " ⚠️" if analysis.breaking_change else L.text(language, "no")
    return (
        CardField(label=L.text(language, "change_type"), value=L.change_type_name(analysis.change_type, language)),
        CardField(label=L.text(language, "importance"), value=L.badge(analysis.importance, language)),
        CardField(label=L.text(language, "breaking"), value=breaking),
        CardField(label=L.text(language, "author"), value=_author(commit)),
        CardField(label=L.text(language, "committed_at"), value=L.format_datetime(commit.committed_at, timezone)),
        CardField(label=L.text(language, "files"), value=_files(commit, language)),
        CardField(label=L.text(language, "pull_request"), value=pr_value),
        *((CardField(label=_merged_text(language, "field"), value=_merged_count(commit, language)),)
          if commit.merged_commits else ()),
    )


def _sections(analysis: Analysis, language: str) -> tuple[CardSection, ...]:
    sections = _all_sections(analysis, language)
    if analysis.source != "heuristic":
        return sections
    # The rules fill the summary and the impact, and flag the risks a message declares; insights and
    # recommendations are judgements only an LLM makes, so a heuristic card leaves them out (see `notice`).
    return tuple(s for s in sections if s.key in ("summary", "impact") or s.key == "risks" and s.items)


def notice(analysis: Analysis, language: str) -> str:
    """The card's one note: the analysis' own (why the LLM was not used) and, on a heuristic card, what it lacks."""
    parts = [one_line(analysis.note)]
    if analysis.source == "heuristic":
        parts.append(L.text(language, "heuristic_omits"))
    return L.text(language, "sentence_gap").join(part for part in parts if part)


def _all_sections(analysis: Analysis, language: str) -> tuple[CardSection, ...]:
    summary = analysis.summary.strip()
    insights = []
    for key in ("architecture", "performance", "security"):
        value = getattr(analysis.insights, key)
        shown = value if _known(value) else L.text(language, "unknown")
        insights.append(CardField(label=L.text(language, key), value=shown))
    if _known(analysis.insights.maintainability):
        insights.append(CardField(label=L.text(language, "maintainability"), value=analysis.insights.maintainability))
    return (
        CardSection(
            key="summary",
            title=L.text(language, "summary"),
            style="text",
            items=(CardField(value=summary),) if _known(summary) else (),
            empty_note=L.text(language, "summary_empty"),
        ),
        CardSection(
            key="impact",
            title=L.text(language, "impact"),
            items=tuple(
                CardField(label=item.component.strip(), value=item.note.strip())
                for item in analysis.impact
                if item.component.strip() or item.note.strip()
            ),
            empty_note=L.text(language, "impact_empty"),
        ),
        CardSection(key="insights", title=L.text(language, "insights"), items=tuple(insights)),
        CardSection(
            key="risks",
            title=L.text(language, "risks"),
            style="numbered",
            items=tuple(
                CardField(label=L.severity_name(risk.severity, language), value=risk.description.strip())
                for risk in analysis.risks
                if risk.description.strip()
            ),
            empty_note=L.text(language, "risks_empty"),
        ),
        CardSection(
            key="recommendations",
            title=L.text(language, "recommendations"),
            items=tuple(CardField(value=text.strip()) for text in analysis.recommendations if text.strip()),
            empty_note=L.text(language, "recommendations_empty"),
        ),
    )


def provenance(analysis: Analysis, language: str) -> str:
    """Who made the analysis: model, prompt version and tokens, or the heuristic."""
    if analysis.source == "heuristic":
        return L.text(language, "provenance_heuristic", prompt=analysis.prompt_version or "-")
    return L.text(
        language,
        "provenance_llm",
        model=analysis.model or "?",
        prompt=analysis.prompt_version or "-",
        tokens=L.number(analysis.prompt_tokens + analysis.completion_tokens),
    )


def build_card(commit: Commit, analysis: Analysis, timezone: str, language: str) -> Card:
    """The card for one analysed commit, with times in `timezone` and labels in `language` ("zh" or "en")."""
    # Checked here, not typed: the Markdown report and the lookup service pass the language on as a plain str.
    language = check_language(language)
    title = card_title(commit, language)
    badge = L.badge(analysis.importance, language)
    links = [CardLink(label=f"{L.text(language, 'view_commit')} {commit.short_sha}", url=commit.url)]
    if commit.pull_request:
        number = commit.pull_request.number
        links.append(CardLink(label=L.text(language, "view_pr", number=number), url=commit.pull_request.url))
    change_type = L.change_type_name(analysis.change_type, language)
    return Card(
        language=language,
        title=title,
        importance=analysis.importance,
        badge=badge,
        repo=commit.repo.full_name,
        sha=commit.sha,
        subtitle=f"{commit.repo.full_name} · {commit.short_sha} · {_author(commit)}",
        fields=_fields(commit, analysis, timezone, language),
        sections=_sections(analysis, language) + _merged_section(commit, language),
        links=tuple(links),
        notice=notice(analysis, language),
        footer=provenance(analysis, language),
        fallback_text=f"{badge} · {change_type} · {commit.repo.full_name} · {title} ({commit.short_sha})",
        full_url=commit.url,
    )
