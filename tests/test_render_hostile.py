"""Property tests: no hostile commit or LLM text yields a mention, a link or a broken structure anywhere.

Every free-text field of a commit and its analysis is filled with a generated string built from
the tokens each platform parses (`<!channel>`, `<at …>`, `[x](url)`, `|`, `#`, newlines, …) and
random Unicode; every renderer's output is then checked with the platform's own rules.
"""

from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from slack_sdk.models.blocks import Block

from bot.domain import DigestEntry
from bot.render import console, feishu, slack
from bot.render.anchors import Slugger
from bot.render.card import build_card
from bot.render.escape import WORD_JOINER, feishu_markdown, markdown_inline, one_line, slack_mrkdwn
from bot.render.markdown import analysis_markdown, report
from tests.samples import DAY, HOSTILE_STRINGS, TZ, hostile_analysis, hostile_commit, sample_digest

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
FRAGMENTS = HOSTILE_STRINGS + (
    "<", ">", "&", "|", "\n", "\n\n", "#", "*", "_", "`", "[", "]", "(", ")", "!", ":", "@", "~", "$", "\\",
    " ", "    ", "-", "=", "+", ".", "1.", "http://evil.example", "www.evil.example", "&lt;", "&#60;", "&amp;",
    "at", "OK", "channel", "here", "U123", "<!", "<@", "<#", "|evil>", "](", "\u2060", "\u202e", "\t", "\r",
)
hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), min_size=1, max_size=10
).map("".join)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# rendering everything (and parsing the Markdown) costs ~50 ms an example
PROPERTY_HEAVY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
SLACK_TOKEN = re.compile(r"<([^<>]*)>")
FEISHU_LINK = re.compile(r"\[([^\[\]]*)\]\(([^()]*)\)")
FEISHU_EMOJI = re.compile(r":[A-Za-z_][A-Za-z0-9_]*:")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
OUR_FEISHU_TAGS = ("<br>", "<font color='grey'>", "</font>")


def _strings(node: object, key: str = ""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, key)
    elif isinstance(node, str):
        yield key, node


def _text_objects(node: object):
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for v in node.values():
            yield from _text_objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _text_objects(v)


def check_slack(payload: dict, allowed: set[str]) -> None:
    for raw in payload["blocks"]:
        Block.parse(raw).validate_json()
    assert len(payload["blocks"]) <= slack.MAX_BLOCKS
    assert slack.text_length(payload["blocks"]) <= slack.TEXT_BUDGET
    for _, value in _strings(payload):
        for token in ("<!", "<@", "<#"):
            assert token not in value, value
        assert not BROADCAST.search(value), value
    for kind, text in [("mrkdwn", payload["text"]), *_text_objects(payload["blocks"])]:
        if kind == "plain_text":
            assert all(text[i + 1] == WORD_JOINER for i, ch in enumerate(text) if ch == "<"), text
            continue
        for match in SLACK_TOKEN.finditer(text):
            url, _, label = match.group(1).partition("|")
            assert url in allowed, f"link to {url!r} in {text!r}"
        assert "<" not in SLACK_TOKEN.sub("", text) and ">" not in SLACK_TOKEN.sub("", text), text


def _feishu_nodes(node: object):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _feishu_nodes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _feishu_nodes(v)


def check_feishu(card: dict, allowed: set[str]) -> None:
    assert card["schema"] == "2.0"
    assert feishu.card_size(card) <= feishu.CARD_BUDGET_BYTES
    markdown = {id(n["content"]): n["content"] for n in _feishu_nodes(card) if n.get("tag") == "markdown"}
    for key, value in _strings(card):
        if key == "default_url":
            assert value in allowed
        elif id(value) in markdown:
            stripped = value
            for tag in OUR_FEISHU_TAGS:
                stripped = stripped.replace(tag, "")
            for match in FEISHU_LINK.finditer(stripped):
                assert match.group(2) in allowed, f"link to {match.group(2)!r}"
            stripped = FEISHU_LINK.sub("", stripped)
            assert "<" not in stripped and ">" not in stripped, value
            assert "![" not in stripped and not FEISHU_EMOJI.search(stripped), value
        else:  # plain text (header, buttons, preview summary): shown as is, any `<` made inert
            assert all(value[i + 1] == WORD_JOINER for i, ch in enumerate(value) if ch == "<"), value


def check_markdown(markdown: str, allowed: set[str], headings: int, tables: list[int]) -> None:
    tokens = MD.parse(markdown)
    slugger = Slugger()
    anchors, links, found_tables, table = set(), [], [], None
    levels = []
    for index, token in enumerate(tokens):
        assert token.type not in ("html_block", "code_block", "fence", "hr") or token.type == "hr", token.type
        if token.type == "heading_open":
            inline = tokens[index + 1]
            anchors.add(slugger.slug("".join(c.content for c in inline.children if c.type in ("text", "code_inline"))))
            levels.append(int(token.tag[1]))
        if token.type == "table_open":
            table = 0
        if token.type == "tr_open":
            table += 1
        if token.type == "table_close":
            found_tables.append(table)
        for child in token.children or []:
            assert child.type not in ("html_inline", "image", "s_open"), child.type
            if child.type == "link_open":
                links.append(child.attrs["href"])
    assert len(levels) == headings, levels
    assert all(b <= a + 1 for a, b in pairwise(levels)), levels
    assert found_tables == tables
    for href in links:
        if href.startswith("#"):
            assert unquote(href[1:]) in anchors, href
        else:
            assert href in allowed, href


def _render_everything(text: str):
    commit = hostile_commit(text)
    analysis = hostile_analysis(commit, text)
    allowed = {commit.url, commit.pull_request.url}
    return commit, analysis, allowed


def check_everything(text: str, language: str) -> None:
    """Render `text` through every renderer and check each output with its platform's rules."""
    commit, analysis, allowed = _render_everything(text)
    card = build_card(commit, analysis, TZ, language)
    digest = sample_digest([DigestEntry(commit=commit, analysis=analysis)], language=language)

    check_slack(slack.card_message(card), allowed)
    check_slack(slack.digest_message(digest), allowed)
    check_slack({"text": "x", "blocks": slack.unfurl(card)["blocks"]}, allowed)
    if text.strip():
        check_slack(slack.text_message(text), allowed)

    check_feishu(feishu.card_json(card), allowed)
    check_feishu(feishu.digest_card(digest), allowed)
    if text.strip():
        assert "<a" not in feishu.text_message(text)["text"].replace("<" + WORD_JOINER, "")

    # title, contents, repo, statistics, three importance sections, one commit
    check_markdown(report([digest], DAY, language), allowed, headings=8, tables=[2])
    check_markdown(analysis_markdown(commit, analysis, TZ, language), allowed, headings=1, tables=[])

    for output in (console.card_text(card), console.digest_text(digest)):
        assert not CONTROL.search(output), repr(output)


@PROPERTY_HEAVY
@given(text=hostile_text, language=st.sampled_from(["zh", "en"]))
def test_hostile_text_cannot_mention_link_or_break_structure(text, language):
    check_everything(text, language)


def test_oversized_hostile_text_still_fits_every_limit():
    from tests.samples import HOSTILE

    for language in ("zh", "en"):
        check_everything(HOSTILE * 8, language)  # ~6,000 characters in every field
        check_everything(HOSTILE.replace("\n", " ") * 8, language)  # ... and in the title line


def assert_renders_as_plain_text(escaped: str, expected: str) -> None:
    """Under CommonMark, `escaped` is one paragraph of plain text reading exactly `expected`."""
    tokens = MD.parse(escaped)
    if not expected:
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert all(child.type == "text" for child in tokens[1].children)
    assert "".join(child.content for child in tokens[1].children) == expected


@PROPERTY
@given(text=st.text(max_size=60) | hostile_text)
def test_markdown_inline_renders_back_to_exactly_the_text(text):
    assert_renders_as_plain_text(markdown_inline(text), one_line(text))


@PROPERTY
@given(text=st.text(max_size=60) | hostile_text)
def test_feishu_markdown_renders_back_to_the_text_under_commonmark(text):
    # Feishu's rich text is CommonMark plus its own tags; a plain CommonMark parser must see only text
    line = one_line(text)
    assert_renders_as_plain_text(feishu_markdown(line), line)


@PROPERTY
@given(text=st.text(max_size=80) | hostile_text)
def test_slack_mrkdwn_leaves_no_angle_bracket(text):
    escaped = slack_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert not BROADCAST.search(escaped)
