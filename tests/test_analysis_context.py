"""Prompt context: within budget for any commit, filled to >= 90% of it when the diff is larger, priorities,
skipped files, omission line."""

from __future__ import annotations

import json

import bpe_openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.context import build_context
from bot.analysis.files import classify
from bot.analysis.llm import OpenAIChat, make_client
from bot.analysis.prompt import BudgetError, build_prompt
from bot.analysis.prompts import load_templates, response_format_schema_json
from bot.analysis.service import Analyser, AnalyserLimits
from bot.analysis.tokenizer import counter_for
from bot.analysis.tokens import estimate_messages, estimate_tokens, usable_budget
from bot.domain import FileChange
from tests.fake_openai import _threaded_server, fake_openai, sample_commit, threaded_httpserver, valid  # noqa: F401
from tests.test_analysis_llm import make_analyser

TEMPLATES = load_templates("v1")


def patch(lines: int, tag: str = "value") -> str:
    body = "".join(f"+    {tag}_{i} = compute({tag}_{i - 1}, {i})  # step {i}\n" for i in range(lines))
    return f"@@ -0,0 +1,{lines} @@\n" + body


def synthetic(files: int, lines: int, prefix: str = "src/module"):
    per_file = max(1, lines // files)
    changes = tuple(FileChange(filename=f"{prefix}{i}/file{i}.py", additions=per_file, deletions=0,
                               patch=patch(per_file)) for i in range(files))
    return sample_commit(message="feat: synthetic change", files=changes)


def prompt_size(prompt, schema_in_prompt: bool) -> int:
    return estimate_messages(prompt.messages) + (0 if schema_in_prompt else estimate_tokens(response_format_schema_json()))


@pytest.mark.parametrize("files, lines", [(1, 10), (1, 1000), (1, 50_000), (100, 1000), (100, 50_000),
                                          (3000, 50_000), (3000, 3000)])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_prompt_fits_the_budget(files, lines, language):
    commit = synthetic(files, lines)
    for schema_in_prompt in (False, True):
        prompt = build_prompt(commit, language, TEMPLATES, 8000, schema_in_prompt)
        assert prompt_size(prompt, schema_in_prompt) <= usable_budget(8000)
        assert prompt.tokens == prompt_size(prompt, schema_in_prompt)


def test_small_commit_is_shown_whole():
    context = build_context(synthetic(1, 10), 6000)
    assert context.stats.files_with_diff == 1 and context.stats.lines_omitted == 0
    assert context.text.rstrip().endswith("Omitted: nothing; every changed line is shown above.")


def test_large_commit_names_what_was_left_out():
    context = build_context(synthetic(3000, 50_000), 6000)
    stats = context.stats
    assert stats.files_listed < 3000 and stats.files_with_diff < 3000
    assert f"Omitted: {3000 - stats.files_with_diff:,} files without a diff shown; " in context.text
    assert f"{stats.lines_omitted:,} changed lines" in context.text
    assert "more not listed]" in context.text
    assert context.tokens <= 6000


def test_per_file_cap_leaves_room_for_several_large_files():
    commit = sample_commit(files=tuple(FileChange(filename=f"src/big{i}.py", additions=5000, patch=patch(5000, f"v{i}"))
                                       for i in range(3)))
    context = build_context(commit, 6000)
    assert context.stats.files_with_diff == 3 and context.stats.files_truncated == 3
    assert context.text.count("of this file's changes omitted]") == 3


def test_source_before_tests_before_docs():
    files = (FileChange(filename="docs/guide.md", additions=400, patch=patch(400, "doc")),
             FileChange(filename="tests/test_core.py", additions=400, patch=patch(400, "test")),
             FileChange(filename="src/core.py", additions=400, patch=patch(400, "src")))
    text = build_context(sample_commit(files=files), 8000).text
    assert text.index("### src/core.py") < text.index("### tests/test_core.py") < text.index("### docs/guide.md")
    shown = [text.count(f"+    {tag}_") for tag in ("src", "test", "doc")]
    assert shown[0] > shown[1] >= shown[2] > 0
    for budget in range(500, 1000, 50):
        tight = build_context(sample_commit(files=files), budget).text
        shown = [tight.count(f"+    {tag}_") for tag in ("src", "test", "doc")]
        assert shown[0] > 0 and shown[0] >= shown[1] >= shown[2], (budget, shown)


@pytest.mark.parametrize("path, patch_text, reason", [
    ("package-lock.json", "+x", "lockfile"),
    ("go.sum", "+x", "lockfile"),
    ("vendor/github.com/lib/pq/conn.go", "+x", "vendored"),
    ("api/service_pb2.py", "+x", "generated"),
    ("pkg/zz_generated.deepcopy.go", "+x", "generated"),
    ("static/app.min.js", "+x", "minified"),
    ("web/bundle.js", "+" + "a" * 5000, "minified"),
    ("assets/logo.png", None, "binary"),
])
def test_unreadable_files_are_listed_but_their_diff_skipped(path, patch_text, reason):
    change = FileChange(filename=path, additions=10, patch=patch_text)
    assert classify(change).skip == reason
    commit = sample_commit(files=(change, FileChange(filename="src/a.py", additions=1, patch="+ok")))
    text = build_context(commit, 4000).text
    assert f"{path} +10 -0 [{reason}: diff not shown]" in text
    assert f"### {path}" not in text and "### src/a.py" in text
    assert f"skipped by type: {reason} 1" in text


def test_long_message_and_pr_body_are_capped():
    from bot.domain import PullRequest
    message = "fix: x\n\n" + "\n".join(f"detail line {i} with some words" for i in range(5000))
    commit = sample_commit(message=message).model_copy(update={"pull_request": PullRequest(
        number=9, title="Big PR", body="\n".join(f"body {i}" for i in range(5000)), url="https://x/9")})
    context = build_context(commit, 6000)
    assert "of this text omitted]" in context.text and "## Pull request #9: Big PR" in context.text
    assert context.tokens <= 6000 and "### deploy/operator" in context.text


def test_budget_too_small_for_the_instructions_falls_back_without_a_call(store, fake_openai):
    with pytest.raises(BudgetError):
        build_prompt(sample_commit(), "zh", TEMPLATES, 500, False)
    analyser, _ = make_analyser(store, fake_openai, budget=500)
    analysis = analyser.analyse(sample_commit(), "en")
    assert analysis.source == "heuristic" and "LLM_INPUT_TOKEN_BUDGET=500" in analysis.note
    assert fake_openai.requests == []


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["src/a.py", "docs/b.md", "tests/t.py", "x/y/z.go", "Cargo.lock"]),
                          st.lists(_line, max_size=60)), max_size=10),
       st.text(max_size=2000), st.integers(min_value=3000, max_value=20000))
def test_any_commit_fits_any_budget(files, message, budget):
    changes = tuple(FileChange(filename=f"{i}/{name}", additions=len(lines),
                               patch="".join("+" + line + "\n" for line in lines)) for i, (name, lines) in enumerate(files))
    commit = sample_commit(message=message or "x", files=changes)
    prompt = build_prompt(commit, "zh", TEMPLATES, budget, False)
    assert prompt_size(prompt, False) <= usable_budget(budget)



def real_tokens(encoding_name: str, messages: list[dict[str, str]], schema: str = "") -> int:
    """A request's prompt tokens counted straight from the vocabulary, framed as OpenAI frames chat messages."""
    encoding = bpe_openai.get_encoding(encoding_name)
    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))
    return 3 + count(schema) + sum(3 + count(m["role"]) + count(m["content"]) for m in messages)


def mixed_commit(files: int, lines: int):
    """Source, tests and docs, English and Chinese comments: `lines` changed lines over `files` files."""
    per_file = lines // files
    changes = []
    for i in range(files):
        path = ("src/core{}.py", "tests/test_core{}.py", "docs/guide{}.md")[i % 3].format(i)
        body = "".join(f"+    total_{j} = merge(total_{j - 1}, batch[{j}])  # 合并第 {j} 批数据，保留原始顺序\n"
                       if j % 2 else f"-    old_{j} = legacy_merge(rows, {j})\n" for j in range(per_file))
        changes.append(FileChange(filename=path, additions=per_file // 2, deletions=per_file - per_file // 2,
                                  patch=f"@@ -1,{per_file} +1,{per_file} @@\n" + body))
    return sample_commit(message="feat: 合并批处理 (merge batches)", files=tuple(changes))


@pytest.mark.parametrize("model, encoding", [("gpt-4.1-mini", "o200k_base"), ("gpt-4", "cl100k_base")])
@pytest.mark.parametrize("files", [1, 100, 3000])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_huge_diff_fills_at_least_90_percent_of_the_budget_and_never_more(model, encoding, files, language):
    commit = mixed_commit(files, 50_000)
    for schema_in_prompt in (False, True):
        prompt = build_prompt(commit, language, TEMPLATES, 8000, schema_in_prompt, counter=counter_for(model))
        real = real_tokens(encoding, prompt.messages, "" if schema_in_prompt else response_format_schema_json())
        assert prompt.tokens == real
        assert 0.9 * 8000 <= real <= 8000, (schema_in_prompt, real)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_other_models_stay_within_the_budget_by_the_estimate(language):
    commit = mixed_commit(100, 50_000)
    prompt = build_prompt(commit, language, TEMPLATES, 8000, False, counter=counter_for("llama3.1:8b"))
    assert prompt.tokens == prompt_size(prompt, False) <= usable_budget(8000)
    for encoding in ("o200k_base", "cl100k_base"):  # the estimate bounds the vocabularies it was measured on
        assert real_tokens(encoding, prompt.messages, response_format_schema_json()) <= 8000


def test_the_request_an_openai_model_receives_is_counted_exactly(store, fake_openai):
    # Through the real client and runner: the model's name is all that picks the counter.
    fake_openai.script(valid())
    chat = OpenAIChat(make_client(fake_openai.base_url, "sk-test", 5.0), "gpt-4o-mini")
    analyser = Analyser(store.analyses, chat, "gpt-4o-mini", AnalyserLimits(input_budget=6000))
    analysis = analyser.analyse(mixed_commit(10, 50_000), "zh")
    request = fake_openai.requests[0]
    assert analysis.source == "llm" and request["model"] == "gpt-4o-mini"
    schema = json.dumps(request["response_format"]["json_schema"]["schema"])
    assert 0.9 * 6000 <= real_tokens("o200k_base", request["messages"], response_format_schema_json()) <= 6000
    assert real_tokens("o200k_base", request["messages"], schema) <= 6000


def test_a_merge_names_the_commits_it_brought_in():
    from bot.domain.model import MergedCommit

    merged = [MergedCommit(sha=f"{n:x}" * 40, title=f"step {n} of the feature") for n in range(1, 4)]
    commit = sample_commit().model_copy(update={"parents": ("a" * 40, "b" * 40)}).with_merged(merged, count=5)
    text = build_context(commit, 8000).text
    assert "## Commits merged (5)" in text and "1111111 step 1 of the feature" in text
    assert "and 2 more" in text
    assert "Commits merged" not in build_context(sample_commit(), 8000).text
