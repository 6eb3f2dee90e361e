"""Golden files: every renderer's output in zh and en, reviewed by eye once and pinned.

Regenerate only on purpose: `UPDATE_GOLDEN=1 pytest tests/test_render_golden.py`, then read the
diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

from bot.analysis.heuristic import heuristic_content
from bot.domain import Analysis
from bot.render import console, feishu, slack
from bot.render.card import build_card
from bot.render.markdown import analysis_markdown, report
from tests.samples import DAY, TZ, sample_analysis, sample_commit, sample_digest, second_digest

GOLDEN = Path(__file__).parent / "golden"


def _json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


@cache
def _outputs(language: str) -> dict[str, str]:
    commit = sample_commit()
    analysis = sample_analysis(commit, language=language)
    card = build_card(commit, analysis, TZ, language)
    digest = sample_digest(language=language)
    heuristic = digest.entries[2]
    heuristic_card = build_card(heuristic.commit, heuristic.analysis, TZ, language)
    # The same commit as the rules alone analyse it (no LLM configured), as a person at the console sees it.
    rules = Analysis.model_validate({
        **heuristic.analysis.model_dump(), **heuristic_content(heuristic.commit, language).model_dump(),
        "model": "heuristic", "note": "规则分析：未配置 LLM。" if language == "zh" else "Rule analysis: no LLM configured."})
    rules_card = build_card(heuristic.commit, rules, "UTC", language)
    return {
        f"slack_card_{language}.json": _json(slack.card_message(card)),
        f"slack_card_heuristic_{language}.json": _json(slack.card_message(heuristic_card)),
        f"slack_digest_{language}.json": _json(slack.digest_message(digest)),
        f"slack_unfurl_{language}.json": _json(slack.unfurl(card)),
        f"feishu_card_{language}.json": _json(feishu.card_json(card)),
        f"feishu_card_heuristic_{language}.json": _json(feishu.card_json(heuristic_card)),
        f"feishu_digest_{language}.json": _json(feishu.digest_card(digest)),
        f"report_{language}.md": report([digest, second_digest(language=language)], DAY, language),
        f"analysis_{language}.md": analysis_markdown(commit, analysis, TZ, language),
        f"console_card_{language}.txt": console.card_text(card),
        f"console_card_rules_{language}.txt": console.card_text(rules_card),
        f"console_digest_{language}.txt": console.digest_text(digest),
    }


CASES = [(language, name) for language in ("zh", "en") for name in _outputs(language)]


@pytest.mark.parametrize(("language", "name"), CASES)
def test_output_matches_golden_file(language, name):
    rendered = _outputs(language)[name]
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        pytest.skip(f"rewrote {path.name}; review the diff before committing")
    assert path.exists(), f"{path} missing: run once with UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")
