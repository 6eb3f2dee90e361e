"""Command replies follow LANGUAGE (or the command's --lang): every kind of reply, in zh and in en."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest

from bot.chat.commands.messages import CATALOG, LANGUAGES, Message, say
from bot.github.errors import EmptyRepository, Forbidden, RateLimited, Unavailable
from tests.fakes import make_commit
from tests.test_commands import Env

SHA = "3f2a9c1" + "0" * 33
# Words of the English templates (not option or command names); a Chinese reply holding one has an
# untranslated piece.
ENGLISH = re.compile(r"(?<![-/\w])(the|this|channel|Usage|Could|found|posted|Subscribed|Updated|Unsubscribed|failed|try|"
                     r"must|got|repository|matches|details|Posted|Cannot|Note|follows|paused|digest|help for)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(template: str) -> list[tuple[str, str | None, str]]:
    return sorted((name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None)


def test_every_message_has_both_languages_with_the_same_placeholders():
    assert set(CATALOG) == set(LANGUAGES)
    assert CATALOG["en"].keys() == CATALOG["zh"].keys()
    for key, english in CATALOG["en"].items():
        chinese = CATALOG["zh"][key]
        assert english.strip() and chinese.strip(), key
        assert placeholders(english) == placeholders(chinese), key
        assert english != chinese, key


def test_chinese_texts_are_chinese_and_english_ones_are_not():
    syntax_only = {"usage.end", "sub.separator", "list.separator", "sub.what_branch", "sub.digest"}
    for key, chinese in CATALOG["zh"].items():
        assert key in syntax_only or CJK.search(chinese), key
        assert not CJK.search(CATALOG["en"][key]), key


def test_messages_render_late_in_the_language_asked_for():
    message = Message("arg.sha", value="xyz")
    assert message.render("en") == "SHA must be 4-40 hex digits, got 'xyz'" == str(message)
    assert message.render("zh") == "SHA 须为 4–40 位十六进制数字，收到的是 'xyz'"
    assert say("fr", "grammar.empty") == "empty command"  # an unknown language falls back to English
    with pytest.raises(KeyError):
        Message("no.such.message")


@pytest.fixture(params=["zh", "en"])
def lang_env(request, store):
    return Env(store, request.param)


def run(env: Env, text: str) -> str:
    reply = env.run(text)
    assert reply.text, text
    return reply.text


def check(env: Env, text: str, zh: str, en: str) -> str:
    """The reply holds `zh` or `en` for the Env's language, and nothing of the other language."""
    language = env.handler.language
    expected = zh if language == "zh" else en
    assert expected in text, text
    if language == "zh":
        assert not ENGLISH.search(text), text
    else:
        assert not CJK.search(text), text
    return text


# --- usage errors and help ---


@pytest.mark.parametrize("command, zh, en", [
    ("/commit xyz1234", "SHA 须为 4–40 位十六进制数字，收到的是 'xyz1234'。\n用法：/commit <sha> [owner/repo]\n"
                        "（输入 /commit help 查看详细说明）",
     "SHA must be 4-40 hex digits, got 'xyz1234'.\nUsage: /commit <sha> [owner/repo]\n(/commit help for details)"),
    ("/commit", "缺少参数：<sha>。", "Missing argument: <sha>."),
    ("/commit abcd a/b extra", "多余的参数：'extra'", "Unexpected argument 'extra'"),
    ("/commit abcd --min high", "未知选项 '--min'（/commit 不接受任何选项）", "Unknown option '--min' (/commit takes no options)"),
    ("/subscribe a/b --colour red", "未知选项 '--colour'（可用选项：--min", "Unknown option '--colour' (options: --min"),
    ("/subscribe a/b --no-merges=yes", "选项 --no-merges 不接受取值", "Option --no-merges takes no value"),
    ("/subscribe a/b --min", "选项 --min 需要一个值", "Option --min needs a value"),
    ("/subscribe octo", "仓库须写成 owner/name，收到的是 'octo'", "Repository must be owner/name, got 'octo'"),
    ("/subscribe o/r 'bad branch'", "不是有效的分支名：'bad branch'", "Not a valid branch name: 'bad branch'"),
    ("/subscribe o/r --digest 25:00", "--digest 须为 00:00–23:59 之间的 HH:MM", "--digest: expected HH:MM between"),
    ("/subscribe o/r --tz Mars/Olympus", "不是已知的 IANA 时区", "not a known IANA timezone"),
    ("/subscribe o/r --min urgent", "--min 只能是 high、medium 或 low", "--min must be high, medium or low"),
    ("/subscribe o/r --paths ' , '", "--paths 至少需要一个值", "--paths needs at least one"),
    ("/subscribe o/r --ignore-authors " + ",".join("p" * 51), "--ignore-authors 最多 50 个值，收到 51 个",
     "--ignore-authors takes at most 50 values"),
    ("/subscribe o/r --ignore-authors 'a\x01b'", "--ignore-authors：无法使用的值", "--ignore-authors: not a usable value"),
    ("/subscribe o/r --merges --no-merges", "--merges 与 --no-merges 互相矛盾", "contradict each other"),
    ("/subscribe o/r --secret s", "--secret 须与 --feishu-webhook URL 一起使用", "--secret goes with --feishu-webhook"),
    ("/subscribe o/r --feishu-webhook https://example.com/x", "--feishu-webhook 须为自定义机器人的 webhook 地址",
     "--feishu-webhook must be a custom-bot webhook URL"),
    ("/digest o/r 2026-02-30", "不存在的日期：'2026-02-30'", "Not a real date: '2026-02-30'"),
    ("/digest o/r 2026-1-2", "日期须写成 YYYY-MM-DD", "Date must be YYYY-MM-DD"),
    ("/digest o/r 2026-01-01 2026-01-02", "给出了两个日期", "Two dates given"),
    ("/subscribe o/r 'unclosed", "命令中的引号不成对。\ncommit-radar 命令", "Unbalanced quote in the command.\ncommit-radar commands"),
    ("/help deploy", "没有名为 'deploy' 的命令", "No command named 'deploy'"),
])
def test_usage_errors(lang_env, command, zh, en):
    check(lang_env, run(lang_env, command), zh, en)
    assert lang_env.handler.quick(command).text == run(lang_env, command)  # same answer inside the ack deadline


@pytest.mark.parametrize("command, zh, en", [
    ("help", "commit-radar 命令（在任一命令后加 `help` 查看详细说明）：\n  /commit <sha> [owner/repo]",
     "commit-radar commands (add `help` after any of them for details):\n  /commit <sha> [owner/repo]"),
    ("/commit help", "用法：/commit <sha> [owner/repo]\n显示某个提交的完整分析卡片", "Usage: /commit <sha> [owner/repo]\nShow"),
    ("/subscribe --help", "--min high|medium|low   重要度达到该级别才实时推送卡片", "--min high|medium|low   post live"),
    ("/unsubscribe help", "在当前会话取消关注某个仓库", "Stop following a repository"),
    ("/subscriptions help", "列出当前会话的订阅", "List this channel's subscriptions"),
    ("/help digest", "立即发布已订阅仓库的每日日报", "Post the daily digest"),
])
def test_help(lang_env, command, zh, en):
    check(lang_env, run(lang_env, command), zh, en)


# --- /commit ---


def test_commit_replies(lang_env, store):
    env = lang_env
    check(env, run(env, "/commit deadbee"), "当前会话没有订阅任何仓库可供查找；请指定仓库：/commit <sha> owner/repo",
          "This channel subscribes to no repositories to search")
    env.subscribe()
    env.subscribe("octo/gears")
    env.source.add_repo("octo/widgets")
    env.source.add_repo("octo/gears")
    check(env, run(env, "/commit deadbee"), "在 octo/widgets、octo/gears 中没有找到提交 deadbee。",
          "No commit deadbee in octo/widgets, octo/gears.")
    check(env, run(env, "/commit dead"), "前缀太短，在 GitHub 上可能匹配到多个提交；请至少输入 7 位。",
          "A short prefix may match several commits on GitHub; try 7 or more digits.")
    store.commits.save(make_commit(sha="abcd1" + "1" * 35, message="one"), branch="main")
    store.commits.save(make_commit("octo/gears", sha="abcd2" + "2" * 35, message="two"), branch="main")
    text = check(env, run(env, "/commit abcd"), "abcd 匹配到 2 个提交；请多输入几位，或指定仓库：",
                 "abcd matches 2 commits; add more digits or name the repository:")
    assert "• octo/gears abcd22222222 two" in text
    env.source.fail_next.append(RateLimited("API rate limit exceeded (HTTP 403)", 403))
    text = run(env, "/commit feedbee")
    assert text.startswith({"zh": "查找 feedbee 失败：octo/widgets: API rate limit exceeded (HTTP 403)。请稍后再试。",
                            "en": "Could not look up feedbee: octo/widgets: API rate limit exceeded (HTTP 403). "
                                  "Try again later."}[env.handler.language])


def test_many_subscriptions_name_the_ones_not_searched(lang_env):
    for n in range(22):
        lang_env.subscribe(f"octo/repo{n}")
    check(lang_env, run(lang_env, "/commit deadbee"), "另有 2 个仓库未查找：可用 /commit deadbee owner/repo 指定仓库",
          "Not searched (2 more repositories): name one with /commit deadbee owner/repo")


def test_a_failing_command_and_a_failing_check(lang_env, store):
    lang_env.subscribe()
    store.commits.save(make_commit(sha=SHA), branch="main")

    def broken(commit, language):
        raise RuntimeError("database went away")

    lang_env.analyser.analyse = broken
    check(lang_env, run(lang_env, "/commit 3f2a9c1"), "/commit 执行失败：RuntimeError。详情见机器人日志。",
          "/commit failed: RuntimeError. The bot's log has the details.")
    lang_env.handler.services.defaults = type(lang_env.handler.services.defaults)(
        language=lang_env.handler.language, webhook_hosts=None)
    text = run(lang_env, "/subscribe o/r --feishu-webhook https://open.feishu.cn/open-apis/bot/v2/hook/x")
    check(lang_env, text, "无法解析这条命令（TypeError）。详情见机器人日志。", "That command could not be read (TypeError).")


# --- /digest ---


def test_digest_replies(lang_env):
    env = lang_env
    check(env, run(env, "/digest octo/widgets"), "当前会话没有订阅 octo/widgets，请先用 /subscribe 订阅",
          "This channel does not subscribe to octo/widgets; /subscribe to it first")
    env.subscribe()
    check(env, run(env, "/digest octo/widgets 2026-01-09"), "按 UTC 时区，2026-01-09 还没有到",
          "2026-01-09 is in the future in UTC")
    check(env, run(env, "/digest octo/widgets"), "已发布 octo/widgets@main 2026-01-07 的日报（3 个提交）。",
          "Posted the digest of octo/widgets@main for 2026-01-07 (3 commits).")
    env.digests.outcome.reason = "posted; 2 replies deferred"
    check(env, run(env, "/digest octo/widgets"), "（3 个提交；2 条回复稍后补发）", "(3 commits; 2 replies deferred)")
    env.digests.outcome.posted, env.digests.outcome.reason = False, "the digest message could not be posted"
    check(env, run(env, "/digest octo/widgets"), "octo/widgets@main 2026-01-07 的日报未发布：日报消息发送失败。",
          "The digest of octo/widgets@main for 2026-01-07 was not posted: the digest message could not be posted.")
    env.digests.outcome.reason = "no commits; empty digests are skipped for this subscription"
    check(env, run(env, "/digest octo/widgets"), "当天没有提交，此订阅设置为无提交时不发日报", "no commits; empty digests")
    env.digests.outcome.reason = "this digest is being delivered by another run"
    check(env, run(env, "/digest octo/widgets"), "另一个任务正在发布这份日报", "being delivered by another run")


# --- /subscribe, /unsubscribe, /subscriptions ---


def test_subscribe_replies(lang_env):
    env = lang_env
    env.source.add_repo("Octo/Widgets", private=True)
    text = check(env, run(env, "/subscribe octo/widgets --paths 'src/**,docs/*' --no-merges --skip-empty"),
                 "已为当前会话订阅 Octo/Widgets@main — 推送重要度为高及以上的卡片；日报 09:00 UTC（",
                 "Subscribed this channel to Octo/Widgets@main — cards at high importance and above; digest 09:00 UTC (")
    assert {"zh": "路径 src/**、docs/*；不含合并提交；无提交时不发日报\n（该仓库在 GitHub 上的名称是 Octo/Widgets。）\n"
                  "注意：这是私有仓库，它的提交会显示在当前会话中。",
            "en": "paths src/**, docs/*; no merge commits; no digest on empty days\n"
                  "(GitHub names the repository Octo/Widgets.)\n"
                  "Note: the repository is private; its commits will be shown in this channel."}[env.handler.language] in text
    [sub] = env.store.subscriptions.list(channel="C1")
    env.store.subscriptions.set_paused(sub.id, True, None)
    text = check(env, run(env, "/subscribe Octo/Widgets --min medium"), "已更新当前会话的订阅：Octo/Widgets@main — 推送重要度为中及以上的卡片",
                 "Updated this channel's subscription to Octo/Widgets@main — cards at medium importance and above")
    check(env, text, "已恢复；此前暂停的原因：未记录原因。", "Resumed; it was paused: no reason recorded.")


@pytest.mark.parametrize("failure, zh, en", [
    (None, "无法订阅：GitHub 上找不到 octo/missing，或机器人的令牌无权读取。",
     "Cannot subscribe: octo/missing was not found on GitHub, or the bot's token cannot read it."),
    (EmptyRepository("empty", 409), "无法订阅：octo/missing 还没有任何提交；有推送后再订阅。", "has no commits yet"),
    (Forbidden("Bad token (HTTP 403)", 403), "GitHub 拒绝了机器人读取 octo/missing 的令牌（Bad token (HTTP 403)）；请联系机器人的管理员",
     "GitHub refused the bot's token for octo/missing (Bad token (HTTP 403)); ask whoever runs the bot"),
    (RateLimited("limit", 403, reset_at=datetime(2026, 1, 8, 21, 5, tzinfo=UTC)),
     "GitHub 的请求额度已用完，21:05 UTC 恢复；请稍后再试", "GitHub's rate limit is used up until 21:05 UTC; try again later"),
    (RateLimited("limit", 403), "无法订阅：GitHub 的请求额度已用完；请稍后再试。", "GitHub's rate limit is used up; try again later"),
    (Unavailable("boom (HTTP 502)", 502), "GitHub 暂时无法答复 octo/missing 的查询（boom (HTTP 502)）；请稍后再试",
     "GitHub could not answer about octo/missing (boom (HTTP 502)); try again later"),
])
def test_subscribe_refusals(lang_env, failure, zh, en):
    if failure is not None:
        lang_env.source.add_repo("octo/missing")
        lang_env.source.fail_next.append(failure)
    check(lang_env, run(lang_env, "/subscribe octo/missing"), zh, en)


def test_subscribe_refused_branch(lang_env):
    lang_env.source.add_repo("octo/widgets")
    check(lang_env, run(lang_env, "/subscribe octo/widgets nope"), "GitHub 上找不到 octo/widgets（分支 nope）",
          "octo/widgets (branch nope) was not found on GitHub")


def test_unsubscribe_and_list_replies(lang_env, store):
    env = lang_env
    check(env, run(env, "/subscriptions"), "当前会话还没有订阅。可用 /subscribe owner/repo 添加",
          "This channel has no subscriptions. Add one with /subscribe owner/repo")
    check(env, run(env, "/unsubscribe octo/widgets"), "当前会话没有订阅 octo/widgets",
          "This channel does not subscribe to octo/widgets")
    sub = env.subscribe(ignore_authors=["bot", "ci"])
    check(env, run(env, "/subscriptions"), "当前会话关注 1 个仓库分支：\n• octo/widgets@main — ",
          "This channel follows 1 repository branch:\n• octo/widgets@main — ")
    check(env, run(env, "/subscriptions"), "忽略作者 bot、ci", "ignoring bot, ci")
    env.subscribe(branch="dev")
    store.subscriptions.set_paused(sub.id, True, "not_in_channel")  # stored reasons are shown as recorded
    text = check(env, run(env, "/subscriptions"), "当前会话关注 2 个仓库分支（1 个已暂停）：",
                 "This channel follows 2 repository branches (1 paused):")
    check(env, text, "已暂停：not_in_channel（解决后用 /subscribe octo/widgets main 恢复）",
          "paused: not_in_channel (fix it, then /subscribe octo/widgets main to resume)")
    check(env, run(env, "/unsubscribe octo/widgets nope"), "当前会话关注的是 octo/widgets 的 main、dev 分支，没有 nope",
          "This channel follows octo/widgets on main, dev, not nope")
    check(env, run(env, "/unsubscribe octo/widgets"), "已为当前会话取消订阅 octo/widgets@main、octo/widgets@dev。",
          "Unsubscribed this channel from octo/widgets@main, octo/widgets@dev.")


# --- --lang on the command line ---


def test_lang_option_answers_in_that_language(store):
    zh_bot, en_bot = Env(store, "zh"), Env(store, "en")
    zh_bot.source.add_repo("octo/widgets")
    assert run(zh_bot, "/subscribe octo/widgets --lang en").startswith("Subscribed this channel to octo/widgets@main")
    assert run(en_bot, "/subscribe octo/widgets --lang=zh --min urgent").startswith("--min 只能是 high、medium 或 low")
    assert run(en_bot, "/subscribe octo/widgets --lang zh --colour red").startswith("未知选项 '--colour'")
    assert run(zh_bot, "/subscribe octo/widgets --lang fr").startswith("--lang 只能是 zh 或 en，收到的是 'fr'")
    assert run(en_bot, "/subscribe octo/widgets --lang").startswith("Option --lang needs a value")
    [sub] = store.subscriptions.list()
    assert sub.language == "en"  # the subscription itself takes --lang, as before


def test_one_thing_is_named_in_the_singular():
    from bot.chat.commands.messages import say

    assert say("en", "digest.posted", name="a/b", day="2026-01-08", count=1).endswith("(1 commit).")
    assert say("en", "digest.posted", name="a/b", day="2026-01-08", count=2).endswith("(2 commits).")
    assert "(1 more repository)" in say("en", "commit.skipped", count=1, prefix="abc1234")
    assert "1 个提交" in say("zh", "digest.posted", name="a/b", day="2026-01-08", count=1)


# --- hardening: path pattern limits and digest dates, in both languages ---


@pytest.mark.parametrize("command, zh, en", [
    ("/subscribe o/r --paths '" + ",".join(["**?" * 66 + "Z"] * 50) + "'", "--paths 最多 20 个值，收到 50 个",
     "--paths takes at most 20 values, got 50"),
    ("/subscribe o/r --paths " + "a" * 101, "--paths：每个路径模式最多 100 个字符，收到 101 个",
     "--paths: a pattern may have at most 100 characters, got 101"),
    ("/subscribe o/r --paths '" + "*?" * 6 + "'", "--paths：每个路径模式最多 10 个通配符（*、** 或 ?），收到 12 个",
     "--paths: a pattern may have at most 10 wildcards (*, ** or ?), got 12"),
    ("/digest o/r 0001-01-01", "日期最早为 2000-01-01，收到的是 '0001-01-01'", "Dates start at 2000-01-01, got '0001-01-01'"),
])
def test_limit_usage_errors(lang_env, command, zh, en):
    text = check(lang_env, run(lang_env, command), zh, en)
    assert ("用法：/" if lang_env.handler.language == "zh" else "Usage: /") in text
    assert lang_env.handler.quick(command).text == text


@pytest.mark.parametrize("zone, today", [("Pacific/Kiritimati", "2026-01-09"), ("Etc/GMT+12", "2026-01-08")])
def test_a_digest_date_past_today_names_the_range(lang_env, zone, today):
    lang_env.subscribe(timezone=zone)
    check(lang_env, run(lang_env, "/digest octo/widgets 9999-12-31"),
          f"按 {zone} 时区，9999-12-31 还没有到（日报可选日期为 2000-01-01 至 {today}）",
          f"9999-12-31 is in the future in {zone} (a digest covers 2000-01-01 to {today})")
    assert lang_env.digests.calls == []
