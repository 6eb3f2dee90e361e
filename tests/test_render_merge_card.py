"""A merge's card describes its pull request: the PR's title, "N commits" and the commits by name (issue 15)."""

from __future__ import annotations

import json

from bot.domain import PullRequest
from bot.domain.model import MergedCommit
from bot.render import feishu, slack
from bot.render.card import MERGED_LISTED, build_card
from bot.render.markdown import analysis_markdown
from tests.fakes import FakeAnalyser, make_commit


def merge_of(count: int, title: str = "feat: step {n}", pull: PullRequest | None = None):
    merged = [MergedCommit(sha=f"{n + 1:x}".ljust(40, "0"), title=title.format(n=n), author_name="Ada") for n in range(count)]
    merge = make_commit(n=99, message="Merge pull request #7 from octo/feature\n\nAdd the widget cache")
    merge = merge.model_copy(update={"parents": ("a" * 40, "b" * 40), "pull_request": pull})
    return merge.with_merged(merged)


def card_of(commit, language: str = "en"):
    return build_card(commit, FakeAnalyser().analyse(commit, language), "UTC", language)


def test_a_merge_card_is_titled_by_its_pull_request_and_names_its_commits():
    pull = PullRequest(number=7, title="Cache widgets", url="https://github.com/octo/widgets/pull/7")
    card = card_of(merge_of(3, pull=pull))
    assert card.title == "Cache widgets"
    assert ("Commits", "3 commits") in [(field.label, field.value) for field in card.fields]
    [merged] = [section for section in card.sections if section.key == "merged"]
    assert [(item.label, item.value) for item in merged.items] == [
        (f"{n + 1:x}".ljust(7, "0"), f"feat: step {n}") for n in range(3)]
    zh = card_of(merge_of(1, pull=pull), "zh")
    assert ("提交", "1 个提交") in [(field.label, field.value) for field in zh.fields]


def test_without_a_known_pull_request_the_merge_message_names_it():
    assert card_of(merge_of(2)).title == "Add the widget cache"


def test_a_long_merge_names_every_commit_the_later_ones_by_short_sha():
    merge = merge_of(MERGED_LISTED + 15)
    card = card_of(merge)
    [merged] = [section for section in card.sections if section.key == "merged"]
    rest = ", ".join(named.short_sha for named in merge.merged_commits[MERGED_LISTED:])
    assert len(merged.items) == MERGED_LISTED + 1 and merged.items[-1].value == f"… and 15 more: {rest}"
    assert ("Commits", f"{MERGED_LISTED + 15} commits") in [(field.label, field.value) for field in card.fields]
    # Beyond what is kept by name (a huge maintenance merge), the rest are counted.
    cut = merge.model_copy(update={"merged_count": len(merge.merged_commits) + 200})
    [merged] = [section for section in card_of(cut).sections if section.key == "merged"]
    assert merged.items[-1].value == f"… and 215 more: {rest}, +200"


def test_plain_commits_have_no_commit_list():
    card = card_of(make_commit(n=5))
    assert all(section.key != "merged" for section in card.sections)
    assert all(field.label != "Commits" for field in card.fields)


def test_merged_commit_titles_are_escaped_everywhere():
    merge = merge_of(2, title="<!channel> <@U123> [x](https://evil.example) <at user_id=\"all\"></at> {n}")
    card = card_of(merge)
    blocks = json.dumps(slack.card_blocks(card))
    assert "<!channel>" not in blocks and "<@U123>" not in blocks
    payload = json.dumps(feishu.card_json(card), ensure_ascii=False)
    assert '<at user_id=\\"all\\">' not in payload and "](https://evil.example)" not in payload
    report = analysis_markdown(merge, FakeAnalyser().analyse(merge, "en"), "UTC", "en")
    assert "[x](https://evil.example)" not in report and "<!channel>" in report.replace("\\", "")
