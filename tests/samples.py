"""Test data builders: realistic commits and analyses, hostile ones, and very long ones.

Every builder takes keyword overrides for the model's fields, e.g.
`sample_commit(sha="ab" * 20, message="fix: x")`, `sample_analysis(commit, importance=Importance.LOW)`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot.domain import (
    Analysis,
    ChangeType,
    Commit,
    Digest,
    DigestEntry,
    FileChange,
    ImpactItem,
    Importance,
    Insights,
    PullRequest,
    RepoRef,
    Risk,
    Severity,
)

TZ = "Asia/Shanghai"
DAY = date(2026, 1, 8)
REPO = RepoRef(owner="ai-dynamo", name="dynamo")
PACIFIC = timezone(timedelta(hours=-8))
SHA = "55c266545228caf840ed5786a703fff87df777d5"


def _github(repo: RepoRef, kind: str, ref: str | int) -> str:
    return f"https://github.com/{repo.full_name}/{kind}/{ref}"


def sample_commit(**overrides) -> Commit:
    """A realistic commit (a fix merged through a PR) with any field overridden."""
    repo = overrides.get("repo", REPO)
    sha = overrides.get("sha", SHA)
    values = dict(
        repo=repo,
        sha=sha,
        message=(
            "fix: prevent services adding/removal in dgd (#5240)\n\n"
            "Reject updates to a DynamoGraphDeployment that add or remove services;\n"
            "existing services may still be reconfigured."
        ),
        author_name="Julien Mancuso",
        author_login="julienmancuso",
        committed_at=datetime(2026, 1, 8, 5, 59, 44, tzinfo=PACIFIC),
        url=_github(repo, "commit", sha),
        parents=("0f3c6a1d2e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d",),
        additions=186,
        deletions=4,
        files=(
            FileChange(
                filename="deploy/operator/internal/webhook/validation/dynamographdeployment.go",
                additions=58,
                deletions=4,
            ),
            FileChange(
                filename="deploy/operator/internal/webhook/validation/dynamographdeployment_test.go",
                additions=128,
            ),
        ),
        pull_request=PullRequest(
            number=5240,
            title="fix: prevent services adding/removal in dgd",
            body="Services of a DGD are now fixed after creation.",
            url=_github(repo, "pull", 5240),
        ),
    )
    values.update(overrides)
    return Commit(**values)


def sample_analysis(commit: Commit | None = None, **overrides) -> Analysis:
    """A complete LLM analysis of `commit` (default `sample_commit()`), with any field overridden.

    `language="en"` gives English analysis text; the default is Chinese, like the reference report.
    """
    commit = commit or sample_commit()
    zh = overrides.get("language", "zh") == "zh"
    values = dict(
        change_type=ChangeType.FIX,
        importance=Importance.HIGH,
        summary=(
            "DynamoGraphDeployment 的校验 webhook 现在会拒绝新增或删除服务的更新，已有服务仍可修改配置。"
            "新规则附带了单元测试。"
            if zh
            else "The DynamoGraphDeployment validating webhook now rejects updates that add or remove services. "
            "Existing services can still be reconfigured; the change comes with unit tests for the new rule."
        ),
        impact=[
            ImpactItem(
                component="deploy/operator/internal/webhook/validation/dynamographdeployment.go",
                note="更新校验中新增服务拓扑检查" if zh else "update validation gains a service-topology check",
            ),
            ImpactItem(
                component="Operator 用户" if zh else "Operator users",
                note="改变服务集合的 `kubectl apply` 会被拒绝" if zh else "`kubectl apply` that changes the service set is refused",
            ),
        ],
        insights=Insights(
            architecture=(
                "服务集合在创建后视为不可变，与其他结构性字段一致。"
                if zh
                else "Treats the set of services as immutable after creation, like other structural fields."
            ),
            performance=(
                "每次更新遍历一次新旧服务映射，开销可忽略。"
                if zh
                else "One pass over the old and new service maps per update; negligible."
            ),
            security="unknown",
            maintainability=(
                "服务名与集合差集等小函数均有测试覆盖。"
                if zh
                else "Small helpers (service names, set difference) are covered by tests."
            ),
        ),
        risks=[
            Risk(
                description=(
                    "向运行中的部署添加服务的流程现在会失败，需要重建部署。"
                    if zh
                    else "Workflows that add a service to a running deployment now fail and must recreate it."
                ),
                severity=Severity.MEDIUM,
            )
        ],
        recommendations=[
            "在发布说明中注明服务创建后不可增删。" if zh else "Mention in the release notes that services cannot be added or removed after creation.",
            "检查原地修改服务列表的部署脚本。" if zh else "Check deployment scripts that patch the service list in place.",
        ],
        breaking_change=True,
        repo=commit.repo,
        sha=commit.sha,
        language="zh",
        source="llm",
        model="gpt-4o-mini",
        prompt_version="v1",
        prompt_tokens=2310,
        completion_tokens=412,
        created_at=datetime(2026, 1, 8, 14, 5, tzinfo=UTC),
    )
    values.update(overrides)
    return Analysis(**values)


def sample_entry(commit: Commit | None = None, **analysis_overrides) -> DigestEntry:
    """A digest entry of `commit` and a matching analysis."""
    commit = commit or sample_commit()
    return DigestEntry(commit=commit, analysis=sample_analysis(commit, **analysis_overrides))


def _day_entries(language: str = "zh") -> list[DigestEntry]:
    """A realistic day of one repository: high, medium and low commits, one heuristic, one without a PR."""
    zh = language == "zh"
    bump = sample_commit(
        sha="9dd76ba255092dffc78bd43d4f7442dc266125be",
        message="feat: bump up golang version to 1.25 (#5241)",
        committed_at=datetime(2026, 1, 7, 21, 4, 21, tzinfo=UTC),
        additions=6,
        deletions=6,
        files=tuple(
            FileChange(filename=name, additions=1, deletions=1)
            for name in (
                ".github/workflows/container-validation-backends.yml",
                "deploy/operator/Dockerfile",
                "deploy/operator/README.md",
                "deploy/operator/go.mod",
            )
        ),
        pull_request=PullRequest(number=5241, title="feat: bump up golang version to 1.25", url=_github(REPO, "pull", 5241)),
    )
    symlinks = sample_commit(
        sha="c4c2cc9a0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        message="fix: broken symlinks (#5235)",
        author_name="Nate Mailhot",
        author_login="nmailhot",
        committed_at=datetime(2026, 1, 7, 20, 16, 30, tzinfo=UTC),
        additions=2,
        deletions=2,
        files=(FileChange(filename="docs/guides/README.md", status="modified", additions=2, deletions=2),),
        pull_request=None,
    )
    typo = sample_commit(
        sha="1efc41e3b2a1908f7e6d5c4b3a29180f7e6d5c4b",
        message="docs: fix typo in the router README",
        author_name="Qi Wang",
        author_login="qiwang",
        committed_at=datetime(2026, 1, 8, 9, 52, 39, tzinfo=timezone(timedelta(hours=8))),
        additions=1,
        deletions=1,
        files=(FileChange(filename="components/router/README.md", additions=1, deletions=1),),
        pull_request=None,
    )
    nothing = Insights(architecture="", performance="", security="", maintainability="")
    return [
        sample_entry(language=language),
        sample_entry(
            bump,
            language=language,
            change_type=ChangeType.DEPENDENCY,
            summary=(
                "将 go.mod、Operator Dockerfile、CI 与 README 中的 Go 工具链从 1.24 升级到 1.25。"
                if zh
                else "Raises the Go toolchain from 1.24 to 1.25 in go.mod, the operator Dockerfile, CI and the README."
            ),
            impact=[
                ImpactItem(component="deploy/operator/go.mod", note="模块要求 go 1.25" if zh else "module now requires go 1.25"),
                ImpactItem(
                    component="CI 与 Operator 镜像" if zh else "CI and the operator image",
                    note="使用 1.25 工具链构建" if zh else "built with the 1.25 toolchain",
                ),
            ],
            insights=Insights(
                architecture="无代码改动，仅构建环境。" if zh else "No code change; build environment only.",
                performance="unknown",
                security="unknown",
                maintainability="",
            ),
            risks=[
                Risk(
                    description="仍使用 Go 1.24 的开发者无法再构建 Operator。" if zh else "Developers on Go 1.24 can no longer build the operator.",
                    severity=Severity.LOW,
                )
            ],
            recommendations=["更新本地工具链与 CI 缓存到 Go 1.25。" if zh else "Update local toolchains and CI caches to Go 1.25."],
            breaking_change=False,
        ),
        sample_entry(
            symlinks,
            language=language,
            change_type=ChangeType.DOCS,
            importance=Importance.MEDIUM,
            summary="修复指向已移动文件的文档符号链接。" if zh else "Repairs documentation symlinks that pointed at moved files.",
            impact=[ImpactItem(component="docs/guides/README.md", note="链接恢复可用" if zh else "links resolve again")],
            insights=Insights(architecture="unknown", performance="unknown", security="unknown", maintainability=""),
            risks=[],
            recommendations=[],
            breaking_change=False,
            source="heuristic",
            model="",
            prompt_tokens=0,
            completion_tokens=0,
            note="LLM 不可用（超时），使用启发式分析。" if zh else "LLM unavailable (timeout); heuristic analysis.",
        ),
        sample_entry(
            typo,
            language=language,
            change_type=ChangeType.DOCS,
            importance=Importance.LOW,
            summary="修正 router README 中的一处拼写错误。" if zh else "Corrects a typo in the router README.",
            impact=[],
            insights=nothing,
            risks=[],
            recommendations=[],
            breaking_change=False,
        ),
    ]


def sample_digest(entries: list[DigestEntry] | None = None, **overrides) -> Digest:
    """One repository's digest for `DAY` in `TZ` (default: a realistic mix of four commits)."""
    values = dict(
        repo=REPO,
        branch="main",
        day=DAY,
        timezone=TZ,
        language=overrides.get("language", "zh"),
        entries=tuple(entries if entries is not None else _day_entries(overrides.get("language", "zh"))),
    )
    values.update(overrides)
    return Digest(**values)


def second_digest(**overrides) -> Digest:
    """A digest of a second repository (one commit whose title duplicates one in `sample_digest`)."""
    repo = RepoRef(owner="example-org", name="widgets")
    commit = sample_commit(
        repo=repo,
        sha="ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
        message="fix: broken symlinks (#5235)",
        author_name="Ana Souza",
        author_login="asouza",
        committed_at=datetime(2026, 1, 8, 3, 0, 0, tzinfo=UTC),
        url=_github(repo, "commit", "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"),
        pull_request=None,
        files=(FileChange(filename="README.md", additions=3, deletions=1),),
        additions=3,
        deletions=1,
    )
    zh = overrides.get("language", "zh") == "zh"
    entry = sample_entry(
        commit,
        language="zh" if zh else "en",
        change_type=ChangeType.DOCS,
        importance=Importance.LOW,
        summary="修复 README 中的两个链接。" if zh else "Fixes two README links.",
        impact=[ImpactItem(component="README.md", note="链接" if zh else "links")],
        insights=Insights(architecture="", performance="", security="", maintainability=""),
        risks=[],
        recommendations=[],
        breaking_change=False,
    )
    values = dict(repo=repo, branch="main", day=DAY, timezone="UTC", language="zh" if zh else "en", entries=(entry,))
    values.update(overrides)
    return Digest(**values)


# --- hostile and oversized data -----------------------------------------------------------

HOSTILE_STRINGS = (
    "<!channel> deploy now",
    "<!here> <!everyone>",
    "<@U024BE7LH> please look",
    "<#C024BE7LH|general>",
    "<!subteam^SAZ94GDB8|oncall>",
    "<http://evil.example|click here>",
    "<https://evil.example>",
    "&lt;!channel&gt; &amp;lt;",
    "@channel @here @everyone",
    "<at id=all></at>",
    '<at user_id="all">所有人</at>',
    "<at email=a@b.c></at>",
    "<font color='red'>red</font>",
    "<link url='http://evil.example'>x</link>",
    "<a href='http://evil.example'>x</a>",
    ":OK: :DONE:",
    "[click](http://evil.example)",
    "![img](http://evil.example/x.png)",
    "[ref]: http://evil.example",
    "<script>alert(1)</script>",
    "| a | b |\n|---|---|\n| c | d |",
    "# Heading injection",
    "## also\n### more",
    "Title\n===",
    "line\n---",
    "```\ncode\n```",
    "    indented code",
    "1. one\n2) two",
    "- item\n* star\n+ plus",
    "> quote",
    "**bold** _it_ ~~strike~~ `code`",
    "back\\slash \\",
    "&amp; &#60; &#x3c;",
    "a|b|c",
    "trailing #",
    "\u202eevil\u202c",
    "\x1b[31mred\x1b[0m",
    "\x00nul",
    "emoji 😄 👩‍💻 ⚠️",
    "$x$ $$y$$",
)
HOSTILE = " ".join(HOSTILE_STRINGS)


def hostile_commit(text: str = HOSTILE, **overrides) -> Commit:
    """A commit whose every free-text field is `text`."""
    repo = overrides.get("repo", REPO)
    values = dict(
        message=f"{text}\n\n{text}",
        author_name=text,
        author_login=None,
        pull_request=PullRequest(number=666, title=text, body=text, url=_github(repo, "pull", 666)),
    )
    values.update(overrides)
    return sample_commit(**values)


def hostile_analysis(commit: Commit | None = None, text: str = HOSTILE, **overrides) -> Analysis:
    """An analysis whose every free-text field (summary, impact, insights, risks, advice, note, model) is `text`."""
    values = dict(
        summary=text,
        impact=[ImpactItem(component=text, note=text)],
        insights=Insights(architecture=text, performance=text, security=text, maintainability=text),
        risks=[Risk(description=text, severity=Severity.HIGH)],
        recommendations=[text],
        note=text,
        model=text,
        prompt_version=text,
    )
    values.update(overrides)
    return sample_analysis(commit or hostile_commit(text), **values)


def long_analysis(commit: Commit | None = None, paragraph_chars: int = 12_000, items: int = 60, **overrides) -> Analysis:
    """An analysis far beyond every platform limit: a huge summary and many long items."""
    sentence = "The scheduler now batches prefill requests, which changes latency under load. "
    summary = (sentence * (paragraph_chars // len(sentence) + 1))[:paragraph_chars]
    values = dict(
        summary=summary,
        impact=[ImpactItem(component=f"lib/module_{i}/src/engine.rs", note=sentence * 3) for i in range(items)],
        insights=Insights(
            architecture=sentence * 40, performance=sentence * 40, security=sentence * 40, maintainability=sentence * 40
        ),
        risks=[Risk(description=sentence * 5, severity=Severity.MEDIUM) for _ in range(items)],
        recommendations=[sentence * 4 for _ in range(items)],
    )
    values.update(overrides)
    return sample_analysis(commit, **values)
