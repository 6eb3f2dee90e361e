"""Every text a chat command answers with, in English and Simplified Chinese, keyed by message id."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

# id -> (English, Chinese). Both sides take the same str.format placeholders (a test checks it).
# Values typed by the user are shown with !r so invisible characters cannot hide in a reply.
_TEXTS: dict[str, tuple[str, str]] = {
    # --- usage replies: "<problem>.\n<usage line>\n<pointer to help>" ---
    "usage.line": ("Usage: {usage}", "用法：{usage}"),
    "usage.more": ("(/{command} help for details)", "（输入 /{command} help 查看详细说明）"),
    "usage.end": ("{problem}.", "{problem}。"),
    # --- grammar ---
    "grammar.unbalanced_quote": ("unbalanced quote in the command", "命令中的引号不成对"),
    "grammar.empty": ("empty command", "命令为空"),
    "grammar.unknown_command": ("unknown command {name!r}", "没有 {name!r} 这个命令"),
    "grammar.unknown_option": ("unknown option {name!r} (options: {known})", "未知选项 {name!r}（可用选项：{known}）"),
    "grammar.no_options": ("unknown option {name!r} (/{command} takes no options)",
                           "未知选项 {name!r}（/{command} 不接受任何选项）"),
    "grammar.flag_with_value": ("option {name} takes no value", "选项 {name} 不接受取值"),
    "grammar.needs_value": ("option {name} needs a value", "选项 {name} 需要一个值"),
    "grammar.missing": ("missing argument: {name}", "缺少参数：{name}"),
    "grammar.unexpected": ("unexpected argument {value!r}", "多余的参数：{value!r}"),
    "help.no_such_command": ("no command named {name!r}", "没有名为 {name!r} 的命令"),
    # --- argument checks ---
    "arg.repo": ("repository must be owner/name, got {value!r}", "仓库须写成 owner/name，收到的是 {value!r}"),
    "arg.sha": ("SHA must be 4-40 hex digits, got {value!r}", "SHA 须为 4–40 位十六进制数字，收到的是 {value!r}"),
    "arg.branch": ("not a valid branch name: {value!r}", "不是有效的分支名：{value!r}"),
    "arg.branch_glob": ("not a valid branch pattern: {value!r}", "不是有效的分支模式：{value!r}"),
    "arg.hhmm": ("--digest: expected HH:MM between 00:00 and 23:59, got {value!r}",
                 "--digest 须为 00:00–23:59 之间的 HH:MM，收到的是 {value!r}"),
    "arg.timezone": ("--tz: not a known IANA timezone: {value!r} (use Area/City such as Asia/Shanghai, or UTC)",
                     "--tz：{value!r} 不是已知的 IANA 时区（请用 Area/City 形式，如 Asia/Shanghai，或 UTC）"),
    "arg.language": ("--lang must be zh or en, got {value!r}", "--lang 只能是 zh 或 en，收到的是 {value!r}"),
    "arg.threshold": ("--min must be high, medium or low, got {value!r}",
                      "--min 只能是 high、medium 或 low，收到的是 {value!r}"),
    "arg.list_empty": ("{option} needs at least one comma-separated value",
                       "{option} 至少需要一个值（多个值用逗号分隔）"),
    "arg.list_long": ("{option} takes at most {limit} values, got {count}",
                      "{option} 最多 {limit} 个值，收到 {count} 个"),
    "arg.list_item": ("{option}: not a usable value: {value!r}", "{option}：无法使用的值 {value!r}"),
    "arg.path_long": ("{option}: a pattern may have at most {limit} characters, got {count}: {value!r}",
                      "{option}：每个路径模式最多 {limit} 个字符，收到 {count} 个：{value!r}"),
    "arg.path_wildcards": ("{option}: a pattern may have at most {limit} wildcards (*, ** or ?), "
                           "got {count}: {value!r}",
                           "{option}：每个路径模式最多 {limit} 个通配符（*、** 或 ?），收到 {count} 个：{value!r}"),
    "arg.webhook": ("--feishu-webhook must be a custom-bot webhook URL "
                    "(https://open.feishu.cn/open-apis/bot/v2/hook/… or open.larksuite.com)",
                    "--feishu-webhook 须为自定义机器人的 webhook 地址"
                    "（https://open.feishu.cn/open-apis/bot/v2/hook/… 或 open.larksuite.com）"),
    "arg.day": ("date must be YYYY-MM-DD, got {value!r}", "日期须写成 YYYY-MM-DD，收到的是 {value!r}"),
    "arg.not_a_day": ("not a real date: {value!r}", "不存在的日期：{value!r}"),
    "arg.day_early": ("dates start at {first}, got {value!r}", "日期最早为 {first}，收到的是 {value!r}"),
    # --- weekly digests ---
    "arg.every": ("--every must be day or week, got {value!r}", "--every 只能是 day 或 week，收到的是 {value!r}"),
    "arg.weekday": ("--on must be a weekday (mon, tue, wed, thu, fri, sat or sun), got {value!r}",
                    "--on 须为星期几（mon、tue、wed、thu、fri、sat 或 sun），收到的是 {value!r}"),
    "arg.week": ("week must be YYYY-Www such as 2026-W48, got {value!r}",
                 "周须写成 YYYY-Www（如 2026-W48），收到的是 {value!r}"),
    "arg.not_a_week": ("not a real ISO week: {value!r}", "不存在的 ISO 周：{value!r}"),
    "sub.on_needs_week": ("--on goes with --every week (a daily digest is posted every day)",
                          "--on 须与 --every week 一起使用（日报每天都发）"),
    "sub.digest_weekly": ("weekly digest {weekday} {time} {timezone} ({language})",
                          "周报 {weekday} {time} {timezone}（{language}）"),
    "weekday.mon": ("Mon", "周一"),
    "weekday.tue": ("Tue", "周二"),
    "weekday.wed": ("Wed", "周三"),
    "weekday.thu": ("Thu", "周四"),
    "weekday.fri": ("Fri", "周五"),
    "weekday.sat": ("Sat", "周六"),
    "weekday.sun": ("Sun", "周日"),
    "digest.future_week": ("{week} has not started yet in {timezone} (the current week is {current})",
                           "按 {timezone} 时区，{week} 还没有开始（本周为 {current}）"),
    "digest.week_early": ("weeks start at {first}, got {value!r}", "周最早为 {first}，收到的是 {value!r}"),
    "digest.posted_week": ("Posted the weekly digest of {name} for {day} ({count} commits).",
                           "已发布 {name} {day} 的周报（{count} 个提交）。"),
    "digest.posted_week.one": ("Posted the weekly digest of {name} for {day} (1 commit).",
                               "已发布 {name} {day} 的周报（1 个提交）。"),
    "digest.posted_deferred_week": ("Posted the weekly digest of {name} for {day} ({count} commits; {deferred} "
                                    "replies deferred).",
                                    "已发布 {name} {day} 的周报（{count} 个提交；{deferred} 条回复稍后补发）。"),
    "digest.posted_deferred_week.one": ("Posted the weekly digest of {name} for {day} (1 commit; {deferred} replies "
                                        "deferred).",
                                        "已发布 {name} {day} 的周报（1 个提交；{deferred} 条回复稍后补发）。"),
    "digest.not_posted_week": ("The weekly digest of {name} for {day} was not posted: {reason}.",
                               "{name} {day} 的周报未发布：{reason}。"),
    "digest.reason.empty_week": ("no commits this week; empty digests are skipped for this subscription",
                                 "本周没有提交，此订阅设置为无提交时不发摘要"),
    # --- failures ---
    "failed.command": ("/{command} failed: {error}. The bot's log has the details.",
                       "/{command} 执行失败：{error}。详情见机器人日志。"),
    "failed.check": ("That command could not be read ({error}). The bot's log has the details.",
                     "无法解析这条命令（{error}）。详情见机器人日志。"),
    # --- /commit ---
    "commit.no_repos": ("this channel subscribes to no repositories to search; name one: /commit <sha> owner/repo",
                        "当前会话没有订阅任何仓库可供查找；请指定仓库：/commit <sha> owner/repo"),
    "commit.ambiguous": ("{prefix} matches {count} commits; add more digits or name the repository:",
                         "{prefix} 匹配到 {count} 个提交；请多输入几位，或指定仓库："),
    "commit.failed": ("Could not look up {prefix}: {failures}. Try again later.",
                      "查找 {prefix} 失败：{failures}。请稍后再试。"),
    "commit.not_found": ("No commit {prefix} in {repos}.", "在 {repos} 中没有找到提交 {prefix}。"),
    "commit.not_searched": ("No repository was searched for {prefix}.", "没有可供查找 {prefix} 的仓库。"),
    "commit.skipped": ("Not searched ({count} more repositories): name one with /commit {prefix} owner/repo",
                       "另有 {count} 个仓库未查找：可用 /commit {prefix} owner/repo 指定仓库"),
    "commit.skipped.one": ("Not searched (1 more repository): name it with /commit {prefix} owner/repo",
                           "另有 1 个仓库未查找：可用 /commit {prefix} owner/repo 指定仓库"),
    "commit.short_prefix": ("A short prefix may match several commits on GitHub; try 7 or more digits.",
                            "前缀太短，在 GitHub 上可能匹配到多个提交；请至少输入 7 位。"),
    # --- questions about a commit (/ask, a mention in a thread of the bot's post) ---
    "arg.question_long": ("the question has {count} characters; at most {limit} are allowed",
                          "问题有 {count} 个字符，最多允许 {limit} 个"),
    "ask.header": ("About {repo} {sha}:", "关于 {repo} {sha}："),
    "ask.no_llm": ("Questions about commits need an LLM, and none is configured for this bot "
                   "(OPENAI_API_KEY or OPENAI_BASE_URL).",
                   "回答关于提交的问题需要 LLM，但机器人没有配置（OPENAI_API_KEY 或 OPENAI_BASE_URL）。"),
    "ask.limited": ("You have asked {limit} questions in the last hour, the most allowed; please ask again later.",
                    "你在过去一小时内已提问 {limit} 次，达到上限；请稍后再问。"),
    "ask.too_long": ("That question has {count} characters; questions may have at most {limit}.",
                     "这个问题有 {count} 个字符，问题最多 {limit} 个字符。"),
    "ask.empty": ("Write your question after the mention, e.g. @commit-radar what could this break for clients?",
                  "请在提及机器人之后写下问题，例如：@commit-radar 这会影响哪些客户端？"),
    "ask.unknown_commit": ("I cannot tell which commit this thread is about, so I cannot answer here; "
                           "try /commit <sha> owner/repo and ask in the thread of its answer.",
                           "无法确定这个话题对应哪个提交，因此无法在这里回答；"
                           "可先用 /commit <sha> owner/repo，再在其回复的话题中提问。"),
    "ask.which_commit": ("This thread covers several commits; name the one you mean by its short SHA ({shas}).",
                         "这个话题包含多个提交；请在问题中写出所指提交的短 SHA（{shas}）。"),
    "ask.failed": ("Could not answer now ({reason}); please try again later.",
                   "暂时无法回答（{reason}）；请稍后再试。"),
    "ask.not_answered": ("This commit does not answer that question.", "这个提交本身回答不了这个问题。"),
    "ask.files": ("Based on: {files}", "依据的文件：{files}"),
    "ask.no_files": ("Based on: the commit's message, pull request and analysis (no file of its diff).",
                     "依据：提交说明、PR 与分析（未引用具体文件）。"),
    # --- /digest ---
    "digest.two_dates": ("two dates given: {value!r}", "给出了两个日期：{value!r}"),
    "digest.not_subscribed": ("this channel does not subscribe to {what}; /subscribe to it first",
                              "当前会话没有订阅 {what}，请先用 /subscribe 订阅"),
    "digest.future": ("{day} is in the future in {timezone} (a digest covers {first} to {last})",
                      "按 {timezone} 时区，{day} 还没有到（日报可选日期为 {first} 至 {last}）"),
    "digest.posted": ("Posted the digest of {name} for {day} ({count} commits).",
                      "已发布 {name} {day} 的日报（{count} 个提交）。"),
    "digest.posted.one": ("Posted the digest of {name} for {day} (1 commit).",
                          "已发布 {name} {day} 的日报（1 个提交）。"),
    "digest.posted_deferred.one": ("Posted the digest of {name} for {day} (1 commit; {deferred} replies deferred).",
                                   "已发布 {name} {day} 的日报（1 个提交；{deferred} 条回复稍后补发）。"),
    "digest.posted_deferred": ("Posted the digest of {name} for {day} ({count} commits; {deferred} replies deferred).",
                               "已发布 {name} {day} 的日报（{count} 个提交；{deferred} 条回复稍后补发）。"),
    "digest.not_posted": ("The digest of {name} for {day} was not posted: {reason}.",
                          "{name} {day} 的日报未发布：{reason}。"),
    "digest.reason.busy": ("this digest is being delivered by another run", "另一个任务正在发布这份日报"),
    "digest.reason.empty": ("no commits; empty digests are skipped for this subscription",
                            "当天没有提交，此订阅设置为无提交时不发日报"),
    "digest.reason.post_failed": ("the digest message could not be posted", "日报消息发送失败"),
    # --- /subscribe, /unsubscribe, /subscriptions ---
    "sub.merges_clash": ("--merges and --no-merges contradict each other", "--merges 与 --no-merges 互相矛盾"),
    "sub.history_clash": ("--all-commits and --first-parent contradict each other",
                          "--all-commits 与 --first-parent 互相矛盾"),
    "sub.secret_alone": ("--secret goes with --feishu-webhook URL", "--secret 须与 --feishu-webhook URL 一起使用"),
    "sub.what_branch": ("{repo} (branch {branch})", "{repo}（分支 {branch}）"),
    "sub.refused": ("Cannot subscribe: {problem}.", "无法订阅：{problem}。"),
    "sub.created": ("Subscribed this channel to {line}", "已为当前会话订阅 {line}"),
    "sub.updated": ("Updated this channel's subscription to {line}", "已更新当前会话的订阅：{line}"),
    "sub.webhook_created": ("Subscribed the Feishu custom-bot webhook to {line}",
                            "已为飞书自定义机器人 webhook 订阅 {line}"),
    "sub.webhook_updated": ("Updated the Feishu custom-bot webhook's subscription to {line}",
                            "已更新飞书自定义机器人 webhook 的订阅：{line}"),
    "sub.renamed": ("(GitHub names the repository {repo}.)", "（该仓库在 GitHub 上的名称是 {repo}。）"),
    "sub.resumed": ("Resumed; it was paused: {reason}.", "已恢复；此前暂停的原因：{reason}。"),
    "sub.private": ("Note: the repository is private; its commits will be shown in this channel.",
                    "注意：这是私有仓库，它的提交会显示在当前会话中。"),
    "gh.not_found": ("{what} was not found on GitHub, or the bot's token cannot read it",
                     "GitHub 上找不到 {what}，或机器人的令牌无权读取"),
    "gh.empty": ("{what} has no commits yet; subscribe once something is pushed",
                 "{what} 还没有任何提交；有推送后再订阅"),
    "gh.refused": ("GitHub refused the bot's token for {what} ({error}); ask whoever runs the bot",
                   "GitHub 拒绝了机器人读取 {what} 的令牌（{error}）；请联系机器人的管理员"),
    "gh.rate_limited": ("GitHub's rate limit is used up; try again later", "GitHub 的请求额度已用完；请稍后再试"),
    "gh.rate_limited_until": ("GitHub's rate limit is used up until {time} UTC; try again later",
                              "GitHub 的请求额度已用完，{time} UTC 恢复；请稍后再试"),
    "gh.unavailable": ("GitHub could not answer about {what} ({error}); try again later",
                       "GitHub 暂时无法答复 {what} 的查询（{error}）；请稍后再试"),
    "unsub.not_subscribed": ("this channel does not subscribe to {repo}", "当前会话没有订阅 {repo}"),
    "unsub.other_branches": ("this channel follows {repo} on {branches}, not {branch}",
                             "当前会话关注的是 {repo} 的 {branches} 分支，没有 {branch}"),
    "sub.forks_alone": ("--include-forks goes with owner/* (every repository of an owner)",
                        "--include-forks 须与 owner/*（某个所有者的全部仓库）一起使用"),
    "sub.owner_branch": ("{pattern} follows each repository's default branch; name no branch with it",
                         "{pattern} 关注每个仓库的默认分支，不能再指定分支"),
    "sub.what_owner": ("the organisation or user {owner}", "组织或用户 {owner}"),
    "sub.pattern_too_many": ("{what} has {count} to follow, more than the limit of {limit} "
                             "(MAX_REPOS_PER_PATTERN, set by whoever runs the bot)",
                             "{what} 需要关注 {count} 个，超过上限 {limit}"
                             "（MAX_REPOS_PER_PATTERN，由机器人的管理员设置）"),
    "sub.pattern_too_long": ("{what} lists more than {listed} entries, more than the bot reads for one pattern",
                             "{what} 列出的条目超过 {listed} 个，超出机器人为一个模式读取的上限"),
    "sub.owner_following": ("Following {count} repositories of {owner} now; new ones are added as they appear.",
                            "目前关注 {owner} 的 {count} 个仓库；新建的仓库会自动加入。"),
    "sub.owner_following.one": ("Following 1 repository of {owner} now; new ones are added as they appear.",
                                "目前关注 {owner} 的 1 个仓库；新建的仓库会自动加入。"),
    "sub.owner_none": ("{owner} has no repository to follow yet; new ones are added as they appear.",
                       "{owner} 目前没有可关注的仓库；新建的仓库会自动加入。"),
    "sub.owner_skipped": ("Skipped: {forks} forks (--include-forks follows them), {archived} archived.",
                          "已跳过：{forks} 个 fork（加 --include-forks 可关注），{archived} 个已归档仓库。"),
    "sub.branches_following": ("{glob} matches {count} branches of {repo} now: {names}. New ones are added as "
                               "they appear.",
                               "{glob} 目前匹配 {repo} 的 {count} 个分支：{names}。新建的匹配分支会自动加入。"),
    "sub.branches_following.one": ("{glob} matches 1 branch of {repo} now: {names}. New ones are added as they "
                                   "appear.",
                                   "{glob} 目前匹配 {repo} 的 1 个分支：{names}。新建的匹配分支会自动加入。"),
    "sub.branches_none": ("{glob} matches no branch of {repo} yet; subscribed anyway: matching branches are "
                          "added as they appear.",
                          "{glob} 目前没有匹配 {repo} 的任何分支；仍已订阅：匹配的分支出现后会自动加入。"),
    "sub.kept_own": ("{count} of them this channel already follows on its own, with their own options.",
                     "其中 {count} 个当前会话已单独订阅，保留其原有选项。"),
    "sub.pattern_owner_count": ("{count} repositories", "{count} 个仓库"),
    "sub.pattern_owner_count.one": ("1 repository", "1 个仓库"),
    "sub.pattern_branch_count": ("{count} branches", "{count} 个分支"),
    "sub.pattern_branch_count.one": ("1 branch", "1 个分支"),
    "sub.forks": ("forks included", "包括 fork"),
    "unsub.from_pattern": ("{name} comes with {pattern}; /unsubscribe {command} to stop following it",
                           "{name} 来自模式订阅 {pattern}；要取消请用 /unsubscribe {command}"),
    "unsub.pattern_done": ("Unsubscribed this channel from {pattern} ({following}).",
                           "已为当前会话取消订阅 {pattern}（{following}）。"),
    "unsub.done": ("Unsubscribed this channel from {names}.", "已为当前会话取消订阅 {names}。"),
    "list.empty": ("This channel has no subscriptions. Add one with /subscribe owner/repo",
                   "当前会话还没有订阅。可用 /subscribe owner/repo 添加"),
    "list.head_one": ("This channel follows {count} repository branch:", "当前会话关注 {count} 个仓库分支："),
    "list.head_many": ("This channel follows {count} repository branches:", "当前会话关注 {count} 个仓库分支："),
    "list.head_one_paused": ("This channel follows {count} repository branch ({paused} paused):",
                             "当前会话关注 {count} 个仓库分支（{paused} 个已暂停）："),
    "list.head_many_paused": ("This channel follows {count} repository branches ({paused} paused):",
                              "当前会话关注 {count} 个仓库分支（{paused} 个已暂停）："),
    # --- subscription lines (/subscribe, /subscriptions) ---
    "sub.threshold": ("cards at {level} importance and above", "推送重要度为{level}及以上的卡片"),
    "sub.digest": ("digest {time} {timezone} ({language})", "日报 {time} {timezone}（{language}）"),
    "sub.paths": ("paths {paths}", "路径 {paths}"),
    "sub.ignoring": ("ignoring {authors}", "忽略作者 {authors}"),
    "sub.no_merges": ("no merge commits", "不含合并提交"),
    "sub.all_commits": ("every commit, not one card per merged pull request",
                        "逐个提交推送，而非每个合并的 PR 一张卡片"),
    "sub.skip_empty": ("no digest on empty days", "无提交时不发日报"),
    "sub.separator": ("; ", "；"),
    "list.separator": (", ", "、"),
    "sub.undelivered": ("{count} messages could not be delivered here; the latest: {reason}",
                        "有 {count} 条消息未能发送到这里；最近一次原因：{reason}"),
    "sub.undelivered.one": ("1 message could not be delivered here: {reason}",
                            "有 1 条消息未能发送到这里：{reason}"),
    "sub.paused": ("paused: {reason} (fix it, then /subscribe {repo} {branch} to resume)",
                   "已暂停：{reason}（解决后用 /subscribe {repo} {branch} 恢复）"),
    "sub.no_reason": ("no reason recorded", "未记录原因"),
    "level.high": ("high", "高"),
    "level.medium": ("medium", "中"),
    "level.low": ("low", "低"),
    # --- help ---
    "help.overview": ("commit-radar commands (add `help` after any of them for details):",
                      "commit-radar 命令（在任一命令后加 `help` 查看详细说明）："),
    "help.commit": (
        "Show the full analysis card of one commit, visible to the channel.\n"
        "<sha> is 4-40 hex digits (or paste the commit's GitHub URL). Without owner/repo, the repositories "
        "this channel subscribes to are searched: stored commits first, then GitHub.\n"
        "Examples: /commit 3f2a9c1   /commit 3f2a9c1 golang/go",
        "显示某个提交的完整分析卡片，会话中所有人可见。\n"
        "<sha> 为 4–40 位十六进制数字（也可直接粘贴该提交的 GitHub 链接）。不指定 owner/repo 时，"
        "在当前会话订阅的仓库中查找：先查已保存的提交，再查 GitHub。\n"
        "示例：/commit 3f2a9c1   /commit 3f2a9c1 golang/go",
    ),
    "help.subscribe": (
        "Follow a branch of a repository in this channel (default: the repository's default branch). "
        "The repository and branch are checked on GitHub first. Run it again to change options.\n"
        "--min high|medium|low   post live cards at or above this importance (default high)\n"
        "--digest HH:MM          daily digest time; --tz Area/City its timezone; --lang zh|en\n"
        "--paths 'glob,…'        only commits touching these paths; --ignore-authors 'name,…'\n"
        "A merged pull request is one card (the branch's first-parent history: merges and direct pushes).\n"
        "--all-commits           a card for every commit, the merged ones too; --first-parent: back to one per PR\n"
        "--no-merges             skip merge commits, each merged commit on its own instead (as --all-commits)\n"
        "--skip-empty            no digest on days without commits\n"
        "--every day|week        a daily digest (default) or a weekly one, of the last full ISO week (Monday to "
        "Sunday); --on mon|tue|…|sun its day (default mon)\n"
        "/subscribe acme/*       every repository of an organisation or user (each one's default branch), new "
        "ones included; archived ones and forks skipped (--include-forks: forks too)\n"
        "/subscribe owner/repo 'release/*'   every branch matching the pattern, new ones included\n"
        "--feishu-webhook URL    post to a Feishu custom-bot webhook instead (outbound only); "
        "--secret S its signing secret\n"
        "Example: /subscribe golang/go master --min medium --digest 09:30 --tz Asia/Shanghai",
        "在当前会话关注某个仓库的一个分支（默认为仓库的默认分支）。"
        "会先在 GitHub 上确认仓库和分支存在。再次执行可修改选项。\n"
        "--min high|medium|low   重要度达到该级别才实时推送卡片（默认 high）\n"
        "--digest HH:MM          每日日报时间；--tz Area/City 日报时区；--lang zh|en 语言\n"
        "--paths 'glob,…'        只关注改动这些路径的提交；--ignore-authors 'name,…' 忽略这些作者\n"
        "合并的 PR 算一个整体，推送一张卡片（分支的第一父提交历史：合并提交与直接推送）。\n"
        "--all-commits           每个提交都推送，包括 PR 中的各个提交；--first-parent：恢复为每个 PR 一张\n"
        "--no-merges             跳过合并提交，改为逐个推送被合并的提交（同 --all-commits）\n"
        "--skip-empty            无提交的日子不发日报\n"
        "--every day|week        每天发日报（默认），或每周发周报，汇总上一个完整的 ISO 周（周一至周日）；"
        "--on mon|tue|…|sun 周报在星期几发布（默认 mon）\n"
        "/subscribe acme/*       关注某个组织或用户的全部仓库（各自的默认分支），包括以后新建的；"
        "跳过已归档仓库和 fork（--include-forks：也关注 fork）\n"
        "/subscribe owner/repo 'release/*'   关注所有匹配该模式的分支，包括以后新建的\n"
        "--feishu-webhook URL    改为发到飞书自定义机器人 webhook（只发不收）；"
        "--secret S 为其签名密钥\n"
        "示例：/subscribe golang/go master --min medium --digest 09:30 --tz Asia/Shanghai",
    ),
    "help.unsubscribe": (
        "Stop following a repository in this channel (one branch, or every branch when none is given). "
        "A pattern ends as it was typed: /unsubscribe acme/*, /unsubscribe owner/repo 'release/*'.\n"
        "Example: /unsubscribe golang/go",
        "在当前会话取消关注某个仓库（指定分支则只取消该分支，否则取消全部分支）。"
        "模式订阅按原样取消：/unsubscribe acme/*、/unsubscribe owner/repo 'release/*'。\n"
        "示例：/unsubscribe golang/go",
    ),
    "help.subscriptions": ("List this channel's subscriptions with their options; paused ones say why.",
                           "列出当前会话的订阅及其选项；已暂停的会注明原因。"),
    "help.digest": (
        "Post the daily digest of a subscribed repository now: one message plus the analyses in its thread.\n"
        "The date defaults to yesterday in the subscription's timezone. A week YYYY-Www (ISO, e.g. 2026-W48) "
        "posts that week's weekly digest instead, its thread holding the high-importance analyses; a weekly "
        "subscription's default is the last full week.\n"
        "Example: /digest golang/go 2024-05-01   /digest golang/go 2026-W48",
        "立即发布已订阅仓库的每日日报：一条汇总消息，各提交的分析在其话题回复中。\n"
        "日期默认为订阅时区的昨天。给出周 YYYY-Www（ISO 周，如 2026-W48）则发布该周的周报，"
        "其话题回复为高重要度提交的分析；按周订阅的默认为上一个完整的周。\n"
        "示例：/digest golang/go 2024-05-01   /digest golang/go 2026-W48",
    ),
    "help.ask": (
        "Ask a question about one commit. The answer rests on the commit's message, pull request, diff and "
        "stored analysis (and the earlier questions about it here), names the files it relied on and says so "
        "when the commit does not answer. Needs an LLM; each person may ask ASK_PER_USER_PER_HOUR "
        "(default 20) an hour.\n"
        "In Slack and Feishu, mention the bot in the thread of a card, a digest or a /commit answer instead: "
        "@commit-radar what could this break for clients on v1?\n"
        "Example: /ask 3f2a9c1 golang/go does this change the default timeout?",
        "就某个提交提问。回答依据该提交的说明、PR、diff 和已保存的分析（以及此前在这里对它的提问），"
        "会注明所依据的文件；提交本身无法回答时会直说。需要 LLM；"
        "每人每小时最多 ASK_PER_USER_PER_HOUR 个问题（默认 20）。\n"
        "在 Slack 和飞书中，也可以在卡片、日报或 /commit 回复的话题里提及机器人提问："
        "@commit-radar 这会影响 v1 的客户端吗？\n"
        "示例：/ask 3f2a9c1 golang/go 这会改变默认超时吗？",
    ),
    # --- the console ---
    "console.welcome": (
        "commit-radar console — no chat platform configured, so cards print here.\n"
        "Type /help for commands, e.g. /subscribe owner/repo --min medium, /commit <sha> owner/repo; "
        "/quit (or Ctrl-D) stops the bot.",
        "commit-radar 控制台 —— 未配置聊天平台，卡片会打印在这里。\n"
        "输入 /help 查看命令，例如 /subscribe owner/repo --min medium、/commit <sha> owner/repo；"
        "/quit（或 Ctrl-D）停止机器人。",
    ),
    "console.help_quit": ("  /quit (or exit, Ctrl-D)   stop the bot and leave the console",
                          "  /quit（或 exit、Ctrl-D）  停止机器人并退出控制台"),
    "console.goodbye": ("Stopping commit-radar. Bye.", "正在停止 commit-radar，再见。"),
    "console.failed": ("Something went wrong; see the log.", "出错了，详情见日志。"),
}

CATALOG: dict[str, dict[str, str]] = {
    language: {key: pair[index] for key, pair in _TEXTS.items()} for index, language in enumerate(LANGUAGES)
}


def say(lang: str, key: str, /, **params: object) -> str:
    """The text of message `key` in `lang` (English when the language is unknown), filled in."""
    texts = CATALOG.get(lang, CATALOG["en"])
    # English needs its singular: "1 commit", not "1 commits".
    if params.get("count") == 1 and f"{key}.one" in texts:
        key = f"{key}.one"
    return texts[key].format(**params)


class Message:
    """A message id and its values, rendered in whichever language the reply ends up in."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        if key not in CATALOG["en"]:
            raise KeyError(f"no message {key!r}")
        self.key = key
        self.params = params

    def render(self, lang: str) -> str:
        """The filled-in text in `lang`."""
        return say(lang, self.key, **self.params)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.params!r})"
