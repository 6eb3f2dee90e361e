"""Benchmark: prompt size and build time for commits from tiny to huge; heuristic agreement.

Part 1 builds the real prompt (system + user message + schema) for synthetic commits with
10, 1,000 and 50,000 changed lines spread over 1, 100 and 3,000 files (at least one line per
file, so "10 lines" over 3,000 files is 3,000 lines), for an o200k model (gpt-4.1-mini), a
cl100k model (gpt-4) and a model measured by the estimate (llama3.1:8b), both languages and both
output modes. It prints the tokens the builder counted, the real count straight from the
vocabulary, the share of LLM_INPUT_TOKEN_BUDGET used beside the target, files whose diff was
included and omitted, changed lines omitted, and the build time; first, the time and memory the
first count of each vocabulary costs. Targets: every prompt within the budget; a commit whose
diff does not fit uses >= 90% of it (OpenAI models, counted exactly).

Part 2 runs the heuristic analyser on the 17 commits of the reference report (titles and the
file lists its "impact" sections give, parsed at run time) and prints its agreement with the
report's importance labels. The report gives no line counts, so size rules cannot fire.

    .venv/bin/python bench/prompt_budget.py [--budget 8000] [--reference PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
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
from bot.analysis.tokenizer import ESTIMATE, bpe_counter, counter_for  # noqa: E402
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


FAMILIES = (("gpt-4.1-mini", "o200k"), ("gpt-4", "cl100k"), ("llama3.1:8b", "estimate"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_cost() -> None:
    """Time and resident memory of the first count (the import and vocabulary load) per encoding."""
    for model, family in FAMILIES[:2]:
        counter = counter_for(model)
        before, start = _rss_mb(), time.perf_counter()
        counter.count("x")
        print(f"first {family} count (import + vocabulary): {time.perf_counter() - start:.2f} s, "
              f"+{_rss_mb() - before:.0f} MB resident")
    print()


def real_tokens(encoding: str, messages: list[dict], schema_text: str) -> int:
    """Prompt tokens straight from the vocabulary, framed as OpenAI frames chat messages."""
    count = bpe_counter(encoding)
    return 3 + count(schema_text) + sum(3 + count(m["role"]) + count(m["content"]) for m in messages)


def budget_table(budget: int, repeat: int) -> bool:
    templates = load_templates("v1")
    code = _code_lines()
    load_cost()
    print(f"LLM_INPUT_TOKEN_BUDGET={budget}. Target: every prompt <= {budget:,} real tokens; a diff larger than "
          f"the budget fills >= 90% ({int(0.9 * budget):,}) for OpenAI models. Other models are measured by the "
          f"estimate, kept <= {ESTIMATE.usable(budget):,} (10% undercount margin); their 'real' column is o200k.\n")
    head = (f"{'lines':>7} {'files':>5} {'family':>8} {'lang':>4} {'mode':>11} {'counted':>7} {'real':>6} "
            f"{'used':>6} {'target':>12} {'diffs':>5} {'omitted':>7} {'lines omitted':>13} {'build ms':>8}")
    print(head)
    print("-" * len(head))
    ok = True
    for lines in (10, 1_000, 50_000):
        for files in (1, 100, 3_000):
            commit = synthetic_commit(lines, files, code)
            for family in FAMILIES:
                for language in ("zh", "en"):
                    for schema_in_prompt in (False, True):
                        ok &= _row(commit, (lines, files), family, language, schema_in_prompt, budget, repeat,
                                   templates)
    print(f"\ntarget (every prompt within {budget:,} tokens, >= 90% used by big diffs on OpenAI models): "
          f"{'met' if ok else 'MISSED'}\n")
    return ok


def _row(commit: Commit, size: tuple[int, int], family: tuple[str, str], language: str, schema_in_prompt: bool,
         budget: int, repeat: int, templates) -> bool:
    (lines, files), (model, name) = size, family
    counter = counter_for(model)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        prompt = build_prompt(commit, language, templates, budget, schema_in_prompt, counter=counter)
        timings.append(time.perf_counter() - start)
    schema_text = "" if schema_in_prompt else response_format_schema_json()
    real = real_tokens(counter.name if counter.exact else "o200k_base", prompt.messages, schema_text)
    # The diff did not fit: a file was cut, or a readable file got no diff (lockfiles and binaries never do).
    big = prompt.stats.files_truncated > 0 or prompt.stats.files_omitted > sum(prompt.stats.skipped.values())
    if counter.exact:
        fits = real <= budget and (not big or real >= 0.9 * budget)
        target = ">=90%, <=100%" if big else "<=100%"
    else:
        fits = prompt.tokens <= counter.usable(budget) and real <= budget
        target = "est. <=90%"
    stats = prompt.stats
    mode = "json_object" if schema_in_prompt else "json_schema"
    print(f"{lines:>7,} {files:>5,} {name:>8} {language:>4} {mode:>11} {prompt.tokens:>7,} {real:>6,} "
          f"{real / budget:>6.1%} {target:>12} {stats.files_with_diff:>5,} {stats.files_omitted:>7,} "
          f"{stats.lines_omitted:>13,} {statistics.median(timings) * 1000:>8.1f}" + ("" if fits else "  MISSED"))
    return fits


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
