"""The Markdown report (several repositories, one day or one ISO week) and the Markdown view of one analysis.

Structure: `#` title → `##` contents → per repository `##` heading, commit table, `###` statistics,
`###` one section per importance (all three, always) → `####` one block per commit. A weekly report's
statistics add the counts by change type and the most changed areas. Every block
has the same parts in the same order; nothing is truncated. Table-of-contents links point at the
anchors GitHub derives from the headings (see `anchors`), so each of them resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.domain import Analysis, Card, Commit, Digest, DigestEntry, Importance
from bot.render import digest as D
from bot.render import labels as L
from bot.render import week as W
from bot.render.anchors import Slugger, slug
from bot.render.card import build_card
from bot.render.escape import (
    markdown_inline,
    markdown_link,
    markdown_table_cell,
    markdown_text,
    one_line,
    safe_url,
)


def _heading_text(card: Card) -> str:
    # a title with nothing sluggable (only emoji or punctuation) would get an empty anchor
    return card.title if slug(card.title) else f"{card.short_sha} {card.title}"


def _bold(label: str) -> str:
    return f"**{markdown_inline(label)}**"


def _item_lines(card: Card) -> list[str]:
    colon = L.text(card.language, "colon")
    out: list[str] = []
    for section in card.sections:
        out += [_bold(section.title), ""]
        if not section.items:
            out += [f"*{markdown_inline(section.empty_note)}*", ""]
            continue
        for index, item in enumerate(section.items, start=1):
            value = markdown_inline(item.value)
            label = markdown_inline(item.label)
            if section.style == "text":
                out += [markdown_text(item.value), ""]
            elif section.style == "numbered":
                out.append(f"{index}. **\\[{label}\\]** {value}" if label else f"{index}. {value}")
            else:
                out.append(f"- **{label}**{colon}{value}" if label else f"- {value}")
        if section.style != "text":
            out.append("")
    return out


def commit_body(card: Card) -> list[str]:
    """The lines of one commit block after its heading: links, facts, the five sections, provenance."""
    colon = L.text(card.language, "colon")
    links = " · ".join(markdown_link(link.url, link.label) for link in card.links)
    lines = [f"🔗 {links}", ""] if links else []
    lines += [f"- {_bold(f.label)}{colon}{markdown_inline(f.value)}" for f in card.fields] + [""]
    lines += _item_lines(card)
    if card.notice:
        lines += [f"> {_bold(L.text(card.language, 'notice'))}{colon}{markdown_inline(card.notice)}", ""]
    if card.footer:
        lines += [f"*{markdown_inline(card.footer)}*", ""]
    return lines


def analysis_markdown(commit: Commit, analysis: Analysis, timezone: str, language: str) -> str:
    """One commit's full analysis as a standalone Markdown document."""
    card = build_card(commit, analysis, timezone, language)
    lines = [f"# {markdown_inline(_heading_text(card))}", "", markdown_inline(card.subtitle), ""]
    return "\n".join(lines + commit_body(card)).rstrip("\n") + "\n"


# --- the report ----------------------------------------------------------------------------


@dataclass
class _Section:
    importance: Importance
    text: str
    anchor: str
    commits: list[tuple[Card, str, str]] = field(default_factory=list)  # card, heading text, anchor


@dataclass
class _Repo:
    digest: Digest
    anchor: str
    stats_anchor: str = ""
    sections: list[_Section] = field(default_factory=list)


def _section_text(importance: Importance, count: int, language: str) -> str:
    word = L.importance_name(importance, language)
    return L.text(language, "importance_section", emoji=importance.emoji, word=word, count=count)


def _plan(digests: list[Digest], language: str, slugger: Slugger) -> list[_Repo]:
    """Headings in document order, each with its unique anchor; registration order is emission order."""
    plan = []
    for digest in digests:
        repo = _Repo(digest=digest, anchor=slugger.slug(digest.repo.full_name))
        if digest.entries:
            repo.stats_anchor = slugger.slug(L.text(language, "statistics"))
            for importance, entries in D.by_importance(list(digest.entries)).items():
                text = _section_text(importance, len(entries), language)
                section = _Section(importance=importance, text=text, anchor=slugger.slug(text))
                for entry in entries:
                    card = _card(entry, digest, language)
                    heading = _heading_text(card)
                    section.commits.append((card, heading, slugger.slug(heading)))
                repo.sections.append(section)
        plan.append(repo)
    return plan


def _card(entry: DigestEntry, digest: Digest, language: str) -> Card:
    return build_card(entry.commit, entry.analysis, digest.timezone, language)


def _toc(plan: list[_Repo], language: str) -> list[str]:
    lines = []
    for repo in plan:
        lines.append(f"- [{markdown_inline(repo.digest.repo.full_name)}](#{repo.anchor})")
        if repo.stats_anchor:
            lines.append(f"  - [{markdown_inline(L.text(language, 'statistics'))}](#{repo.stats_anchor})")
        for section in repo.sections:
            lines.append(f"  - [{markdown_inline(section.text)}](#{section.anchor})")
            lines += [f"    - [{markdown_inline(heading)}](#{anchor})" for _, heading, anchor in section.commits]
    return lines


def _sha_link(commit: Commit) -> str:
    label = f"`{commit.short_sha}`" if commit.short_sha.isalnum() else markdown_inline(commit.short_sha)
    url = safe_url(commit.url)
    return f"[{label}]({url.replace('(', '%28').replace(')', '%29')})" if url else label


def _commit_table(repo: _Repo, language: str) -> list[str]:
    anchors = {card.sha: anchor for section in repo.sections for card, _, anchor in section.commits}
    header = L.text(language, "commit_table")
    lines = [f"| {header} |", "|" + "---|" * (header.count("|") + 1)]
    for entry in D.ordered(list(repo.digest.entries)):
        commit = entry.commit
        title = one_line(commit.title) or L.text(language, "no_title")
        cells = [
            markdown_table_cell(L.format_datetime(commit.committed_at, repo.digest.timezone)),
            markdown_table_cell(L.badge(entry.analysis.importance, language)),
            _sha_link(commit),
            markdown_table_cell(commit.author_name or commit.author_login or "?"),
            f"[{markdown_table_cell(title)}](#{anchors[commit.sha]})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _repo_lines(repo: _Repo, language: str) -> list[str]:
    digest = repo.digest
    tz = L.timezone_label(digest.timezone, digest.day)
    # No branch given: the report is of the repository's default branch, whose name the digest does not carry.
    info = (L.text(language, "repo_info", branch=digest.branch, tz=tz) if digest.branch.strip()
            else L.text(language, "repo_info_default", tz=tz))
    lines = [f"## {markdown_inline(digest.repo.full_name)}", "", markdown_inline(info), ""]
    if not digest.entries:
        empty_key = "repo_empty_week" if digest.weekly else "repo_empty"
        return lines + [markdown_inline(L.text(language, empty_key)), ""]
    lines += _commit_table(repo, language) + [""]
    lines += [f"### {markdown_inline(L.text(language, 'statistics'))}", ""]
    lines += [f"> {markdown_inline(D.stats_line(digest, language))}", ""]
    if digest.weekly:
        lines += _week_statistics(digest.model_copy(update={"language": language}))
    for section in repo.sections:
        lines += [f"### {markdown_inline(section.text)}", ""]
        if not section.commits:
            word = L.importance_name(section.importance, language)
            key = "importance_section_empty_week" if digest.weekly else "importance_section_empty"
            empty = L.text(language, key, word=word, lower=word.lower())
            lines += [markdown_inline(empty), ""]
        for card, heading, _ in section.commits:
            lines += [f"#### {markdown_inline(heading)}", ""] + commit_body(card) + ["---", ""]
    return lines


def _week_statistics(digest: Digest) -> list[str]:
    # Bold labels, not headings: the contents and their anchors stay those of the daily report.
    week = W.summary(digest)
    colon = L.text(digest.language, "colon")
    lines = [f"{_bold(L.text(digest.language, 'by_change_type'))}{colon}{markdown_inline(W.change_type_line(week))}",
             ""]
    if week.areas:
        lines += [_bold(L.text(digest.language, "top_areas")), ""]
        lines += [f"- {W.area_line(area, digest.language, _code(area.name))}" for area in week.areas] + [""]
    return lines


def _code(text: str) -> str:
    # A code span as long as needed to hold any backticks in the path (CommonMark's rule).
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def report(digests: list[Digest], day: date, language: str, weekly: bool = False) -> str:
    """The report for several repositories, of one day (or, `weekly`, the ISO week starting on Monday `day`):
    title, contents, and per repository table, statistics and blocks."""
    slugger = Slugger()
    title = (L.text(language, "report_title_week", **D.week_values(day)) if weekly
             else L.text(language, "report_title", day=L.format_day(day)))
    contents = L.text(language, "contents")
    slugger.slug(title)
    slugger.slug(contents)
    plan = _plan(list(digests), language, slugger)
    intro = L.counted(language, "report_intro", len(plan), repos=len(plan))
    lines = [f"# {markdown_inline(title)}", "", markdown_inline(intro), ""]
    lines += [f"## {markdown_inline(contents)}", ""] + _toc(plan, language) + [""]
    for repo in plan:
        lines += _repo_lines(repo, language)
    return "\n".join(lines).rstrip("\n") + "\n"
