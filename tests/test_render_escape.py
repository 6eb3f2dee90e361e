"""The escaping module, GitHub anchors and the text-fitting helpers, on known inputs."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from bot.render import escape as E
from bot.render.anchors import Slugger, slug
from bot.render.fit import cut, shorten, shrink, split

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def test_clean_drops_controls_and_bidi_overrides_keeps_text():
    assert E.clean("a\x00b\x1b[31mc\u202ed\u2066e\r\nf\rg\th") == "ab[31mcde\nf\ng h"
    assert E.clean("emoji 👩‍💻 ⚠️ 中文") == "emoji 👩‍💻 ⚠️ 中文"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123> <#C1>", "&lt;@U123&gt; &lt;#C1&gt;"),
        ("<http://evil|click>", "&lt;http://evil|click&gt;"),
        ("&lt;!here&gt;", "&amp;lt;!here&amp;gt;"),
        ("ping @here and @Channel", "ping @\u2060here and @\u2060Channel"),
        ("mail me@hereford.org", "mail me@hereford.org"),
    ],
)
def test_slack_mrkdwn(raw, expected):
    assert E.slack_mrkdwn(raw) == expected


def test_slack_plain_breaks_every_angle_token_invisibly():
    assert E.slack_plain("<!channel> a & b") == "<\u2060!channel> a & b"
    assert E.slack_plain("@everyone") == "@\u2060everyone"


def test_slack_link_escapes_label_and_rejects_non_http_urls():
    assert E.slack_link("https://github.com/o/r/commit/abc", "a|b <c>") == "<https://github.com/o/r/commit/abc|a¦b &lt;c&gt;>"
    assert E.slack_link("javascript:alert(1)", "x") == "x"
    assert E.slack_link("https://x.example/a b", "x") == "x"
    assert E.slack_link("https://x.example/a>b|c", "x") == "<https://x.example/a%3Eb%7Cc|x>"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r/pull/1", "https://github.com/o/r/pull/1"),
        ("http://h:8080/p?q=1&r=2#f", "http://h:8080/p?q=1&r=2#f"),
        ("https://h/p(1)", "https://h/p%281%29"),
        ("ftp://h/x", None),
        ("//h/x", None),
        ("https://h/\nx", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url, expected):
    assert E.safe_url(url) == expected


def test_feishu_markdown_turns_tags_and_markup_into_entities():
    assert E.feishu_markdown("<at id=all></at>") == "&#60;at id=all&#62;&#60;/at&#62;"
    assert E.feishu_markdown("[x](http://e) **b** `c` ~d~ _e_ | $") == (
        "&#91;x&#93;(http://e) &#42;&#42;b&#42;&#42; &#96;c&#96; &#126;d&#126; &#95;e&#95; &#124; &#36;"
    )
    assert E.feishu_markdown(":OK: at 21:59") == "&#58;OK: at 21:59"
    assert E.feishu_markdown("# h\n- item\n1. one\n    code") == "&#35; h<br>&#45; item<br>1&#46; one<br>code"
    assert E.feishu_markdown("&#60;") == "&#38;#60;"


def test_feishu_plain_and_link():
    assert E.feishu_plain("a\n<at id=all>") == "a <\u2060at id=all>"
    assert E.feishu_link("https://h/x(y)", "[v]") == "[&#91;v&#93;](https://h/x%28y%29)"
    assert E.feishu_link("file:///etc/passwd", "v") == "v"


def _render_text(markdown: str) -> str:
    tokens = MD.parse(markdown)
    inline = [t for t in tokens if t.type == "inline"]
    return "".join(child.content for t in inline for child in t.children or [])


@pytest.mark.parametrize(
    "raw",
    [
        "# heading",
        "fix: a | b (#12) trailing #",
        "[x](http://e) ![i](http://e/i.png) <http://e> <b>b</b>",
        "*a* _b_ ~~c~~ `d` \\e",
        "&amp; &#60; &copy; R&D",
        "1. one",
        "2) two",
        "- dash",
        "+ plus",
        "= equals",
        "> quote",
        "$x$",
    ],
)
def test_markdown_inline_round_trips_to_the_same_text_without_structure(raw):
    escaped = E.markdown_inline(raw)
    tokens = MD.parse(escaped)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children
    assert {c.type for c in children} <= {"text"}, escaped
    assert _render_text(escaped) == raw


def test_markdown_text_keeps_lines_and_paragraphs_but_no_blocks():
    raw = "# not a heading\n| a | b |\n|---|---|\n\n```\nfence\n```\n    indented\nTitle\n==="
    tokens = MD.parse(E.markdown_text(raw))
    assert {t.type for t in tokens} == {"paragraph_open", "inline", "paragraph_close"}
    assert [sum(1 for c in t.children if c.type == "hardbreak") for t in tokens if t.type == "inline"] == [2, 5]
    assert sum(1 for t in tokens if t.type == "paragraph_open") == 2


def test_markdown_table_cell_is_one_line_and_never_empty():
    assert E.markdown_table_cell("a|b\nc") == "a\\|b c"
    assert E.markdown_table_cell("") == " "


def test_markdown_link_escapes_label_and_parentheses():
    assert E.markdown_link("https://h/a(b)", "[x]") == "[\\[x\\]](https://h/a%28b%29)"
    assert E.markdown_link("data:text/html,x", "x") == "x"


# --- anchors: vectors from github-slugger's fixtures ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpha", "alpha"),
        ("bravoCharlieDelta", "bravocharliedelta"),
        ("heading with a - dash", "heading-with-a---dash"),
        ("heading with an _ underscore", "heading-with-an-_-underscore"),
        ("heading with a period.txt", "heading-with-a-periodtxt"),
        ("exchange.bind_headers(exchange, routing [, bindCallback])", "exchangebind_headersexchange-routing--bindcallback"),
        (" a ", "-a-"),
        ("apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
        ("I ♥ unicode", "i--unicode"),
        ("en–dash", "endash"),
        ("😄 - an emoji", "---an-emoji"),
        (":smile: - a gemoji", "smile---a-gemoji"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        ("a» ’ ” › b", "a----b"),
        ("Ⓐ circled", "ⓐ-circled"),
        ("📊 统计摘要", "-统计摘要"),
    ],
)
def test_slug_matches_github_slugger(text, expected):
    assert slug(text) == expected


def test_slugger_deduplicates_like_github_slugger():
    slugger = Slugger()
    sequence = ["alpha", "alpha", "echo", "echo", "echo 1", "echo-1", "echo", "foxtrot-1", "foxtrot", "foxtrot"]
    expected = ["alpha", "alpha-1", "echo", "echo-1", "echo-1-1", "echo-1-2", "echo-2", "foxtrot-1", "foxtrot", "foxtrot-2"]
    assert [slugger.slug(text) for text in sequence] == expected


# --- fitting ------------------------------------------------------------------------------


def test_cut_prefers_sentence_then_word_and_never_splits_an_entity():
    text = "First sentence here. Second sentence is longer than the limit allows"
    assert cut(text, 36) == "First sentence here."  # a sentence end past half the limit wins
    assert cut(text, 50) == "First sentence here. Second sentence is longer"
    assert cut("one two three four", 12) == "one two"
    entity_text = "x" * 9 + "&amp;" + "y" * 10
    for limit in range(1, len(entity_text)):
        piece = cut(entity_text, limit)
        assert len(piece) <= limit
        assert not re.search(r"&[a-z#0-9]*$", piece) or piece.endswith(";"), piece
    assert shorten("abc def ghi", 8) == "abc def…"
    assert shorten("abc", 8) == "abc"


def test_split_keeps_every_character_and_respects_the_limit():
    words = " ".join(f"word{i}" for i in range(800))
    text = "\n".join([words, "short line", "", "para two " * 50])
    pieces = split(text, 500)
    assert all(len(p) <= 500 for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    for piece in pieces:  # never mid-word: each piece starts and ends on a whole word
        assert re.match(r"^(word\d+|short|para|$)", piece.strip() or "")


def test_split_handles_unbreakable_and_entity_runs():
    text = "&lt;" * 1000
    pieces = split(text, 301)
    assert all(len(p) <= 301 and p.startswith("&lt;") and p.endswith("&lt;") for p in pieces)
    assert "".join(pieces) == text


def test_shrink_drops_trailing_items_before_cutting_and_reports_it():
    groups = [["a" * 10], ["b " * 50, "c " * 50, "d " * 50]]
    shrunk, touched = shrink(groups, 150)
    assert shrunk[0] == ["a" * 10]
    assert shrunk[1][:1] == ["b " * 50]
    assert touched == 2
    assert sum(len(x) + 1 for g in shrunk for x in g) <= 314 - 150

    sentences = "One. Two. Three. Four. Five. Six. Seven. Eight. " * 10
    shrunk, touched = shrink([["x", sentences]], 100)  # a long last item is cut, not dropped
    assert touched == 1 and shrunk[0][1].endswith("…") and shrunk[0][1].startswith("One.")
    assert len(sentences) - len(shrunk[0][1]) >= 100
