"""Benchmark: prompt size and build time for commits from tiny to huge; heuristic agreement.

Part 1 builds the real prompt (system + user message + schema) for synthetic commits with
10, 1,000 and 50,000 changed lines spread over 1, 100 and 3,000 files (at least one line per
file, so "10 lines" over 3,000 files is 3,000 lines), for both languages
and both output modes, and prints the estimated prompt tokens, files whose diff was included,
listed and omitted, changed lines omitted, and the build time. Target: every prompt within
LLM_INPUT_TOKEN_BUDGET. When bpe-openai (dev extra) is installed the real cl100k_base and
o200k_base counts of the same prompt are printed too.

Part 2 runs the heuristic analyser on the 17 commits of the reference report (titles and the
file lists its "impact" sections give, parsed at run time) and prints its agreement with the
report's importance labels. The report gives no line counts, so size rules cannot fire.

    .venv/bin/python bench/prompt_budget.py [--budget 8000] [--reference PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.analysis.heuristic import judge  # noqa: E402
from bot.analysis.prompt import build_prompt  # noqa: E402
from bot.analysis.prompts import load_templates, response_format_schema_json  # noqa: E402
from bot.analysis.tokens import estimate_messages, estimate_tokens, usable_budget  # noqa: E402
from bot.domain import Commit, FileChange, RepoRef  # noqa: E402

DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "daily-report-example.md"
EMOJI = {"🔴": "high", "🟡": "medium", "🟢": "low"}


def _code_lines() -> list[str]:
    import openai
    lines = []
    for path in sorted(Path(openai.__file__).parent.rglob("*.py"))[:200]:
        lines.extend(line for line in path.read_text().splitlines() if line.strip())
    return lines


def _path(i: int, files: int) -> str:
    # A realistic mix: mostly source, some tests and docs, and in big commits a lockfile and a binary.
    if files >= 100 and i == 1:
        return "package-lock.json"
    if files >= 100 and i == 2:
        return "assets/diagram.png"
    kind = i % 10
    if kind < 6:
        return f"src/pkg{i % 37}/module_{i}.py"
    if kind < 9:
        return f"tests/pkg{i % 37}/test_module_{i}.py"
    return f"docs/page_{i}.md"


def synthetic_commit(lines: int, files: int, code: list[str]) -> Commit:
    """A commit with `lines` changed lines over `files` files (at least one line each)."""
    per_file, extra = divmod(lines, files)
    changes, cursor = [], 0
    for i in range(files):
        count = max(1, per_file + (1 if i < extra else 0))
        path = _path(i, files)
        body = []
        for j in range(count):
            sign = "+" if j % 3 else "-"
            body.append(sign + code[(cursor + j) % len(code)])
        cursor += count
        patch = None if path.endswith(".png") else f"@@ -1,{count} +1,{count} @@\n" + "\n".join(body) + "\n"
        adds = sum(1 for line in body if line.startswith("+"))
        changes.append(FileChange(filename=path, additions=adds, deletions=count - adds, patch=patch))
    return Commit(repo=RepoRef.parse("bench/repo"), sha="f" * 40, message=f"feat: synthetic change of {lines} lines",
                  author_name="Bench", committed_at=datetime(2026, 1, 8, 12, tzinfo=UTC),
                  url="https://github.com/bench/repo/commit/" + "f" * 40, parents=("e" * 40,),
                  additions=sum(c.additions for c in changes), deletions=sum(c.deletions for c in changes),
                  files=tuple(changes))


def _real_counters():
    try:
        import bpe_openai
    except ImportError:
        return {}
    return {name: bpe_openai.get_encoding(name) for name in ("cl100k_base", "o200k_base")}


def _real_count(encoding, messages: list[dict], schema_text: str) -> int:
    # The same chat overheads as the estimator (3 + 4 per message), then the real BPE counts.
    total = 3 + len(schema_text and encoding.encode(schema_text))
    for message in messages:
        content = message["content"]
        total += 4 + sum(len(encoding.encode(content[i:i + 4000])) for i in range(0, len(content), 4000))
    return total


def budget_table(budget: int, repeat: int) -> bool:
    templates = load_templates("v1")
    code = _code_lines()
    real = _real_counters()
    usable = usable_budget(budget)
    print(f"LLM_INPUT_TOKEN_BUDGET={budget} (estimates must stay <= {usable}, the budget less the "
          f"estimator's 10% undercount margin)\n")
    head = f"{'lines':>7} {'files':>5} {'lang':>4} {'mode':>11} {'est.tok':>7} " + \
        "".join(f"{name[:6]:>8}" for name in real) + f" {'diffs':>5} {'listed':>6} {'omitted':>7} " \
        f"{'lines omitted':>13} {'build ms':>8}"
    print(head)
    print("-" * len(head))
    ok = True
    worst_real = 0
    for lines in (10, 1_000, 50_000):
        for files in (1, 100, 3_000):
            commit = synthetic_commit(lines, files, code)
            for language in ("zh", "en"):
                for schema_in_prompt in (False, True):
                    timings = []
                    for _ in range(repeat):
                        start = time.perf_counter()
                        prompt = build_prompt(commit, language, templates, budget, schema_in_prompt)
                        timings.append(time.perf_counter() - start)
                    schema_text = "" if schema_in_prompt else response_format_schema_json()
                    schema_tokens = estimate_tokens(schema_text) if schema_text else 0
                    estimated = estimate_messages(prompt.messages) + schema_tokens
                    counts = [_real_count(enc, prompt.messages, schema_text) for enc in real.values()]
                    worst_real = max([worst_real, *counts])
                    fits = estimated <= usable and all(count <= budget for count in counts)
                    ok &= fits
                    stats = prompt.stats
                    mode = "json_object" if schema_in_prompt else "json_schema"
                    print(f"{lines:>7,} {files:>5,} {language:>4} {mode:>11} {estimated:>7,} "
                          + "".join(f"{count:>8,}" for count in counts)
                          + f" {stats.files_with_diff:>5,} {stats.files_listed:>6,} {stats.files_omitted:>7,} "
                          f"{stats.lines_omitted:>13,} {statistics.median(timings) * 1000:>8.1f}"
                          + ("" if fits else "  OVER BUDGET"))
    print(f"\nlargest real prompt: {worst_real:,} tokens" if real else "\n(bpe-openai not installed: no real counts)")
    print(f"target (every prompt <= {budget:,} tokens): {'met' if ok else 'MISSED'}\n")
    return ok


def parse_reference(path: Path) -> list[tuple[str, list[str], str]]:
    """(title, files, importance) for each analysed commit of the reference report."""
    text = path.read_text(encoding="utf-8")
    entries = []
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        title, _, body = section.partition("\n")
        label = re.search(r"重要程度\**\s*[:：]\s*(🔴|🟡|🟢)", body)
        if not label:
            continue
        scope = re.search(r"影响范围\**\s*[:：]?\s*\**(.*?)(?=\n\*\*|\n---|\Z)", body, flags=re.S)
        files = []
        # Paths appear as `code` or **bold** in the report's impact sections.
        for token in re.findall(r"`([^`\n]+)`|\*\*([^*\n]+)\*\*", scope.group(1) if scope else ""):
            token = "".join(token)
            if token.isascii() and " " not in token and ("/" in token or re.search(r"\.[A-Za-z]{1,5}$", token)) \
                    and not token.startswith(("-", "http")):
                files.append(token)
        entries.append((title.strip(), list(dict.fromkeys(files)), EMOJI[label.group(1)]))
    return entries


def agreement(reference: Path) -> None:
    if not reference.exists():
        print(f"reference report not found at {reference}; pass --reference")
        return
    entries = parse_reference(reference)
    print(f"Heuristic vs the reference report's importance labels ({len(entries)} commits; titles and "
          f"impact-section file lists only, no line counts)\n")
    agree = 0
    confusion: Counter = Counter()
    for title, files, expected in entries:
        commit = Commit(repo=RepoRef.parse("ai-dynamo/dynamo"), sha="0" * 40, message=title, author_name="x",
                        committed_at=datetime(2026, 1, 8, tzinfo=UTC), url="https://github.com/x",
                        files=tuple(FileChange(filename=f) for f in files))
        verdict = judge(commit)
        got = verdict.importance.value
        agree += got == expected
        confusion[(expected, got)] += 1
        mark = "ok " if got == expected else "DIFF"
        print(f"{mark} ref={expected:<6} heuristic={got:<6} {verdict.change_type.value:<11} files={len(files):<2} "
              f"{title[:70]}")
    print(f"\nagreement: {agree}/{len(entries)} = {agree / len(entries):.0%}")
    pairs = ", ".join(f"{a}->{b}: {n}" for (a, b), n in sorted(confusion.items()))
    print("confusion (reference -> heuristic): " + pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3, help="builds per row; the median time is printed")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    args = parser.parse_args()
    ok = budget_table(args.budget, args.repeat)
    agreement(args.reference)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
