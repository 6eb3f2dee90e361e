"""`/ask <sha> [owner/repo] <question>`, and a mention in the thread of the bot's post: one grounded answer.

The wording of every outcome lives here (and in the catalog), so Slack, Feishu and the console say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.commands import arguments
from bot.chat.commands.commit import _not_found_text, _repos
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.syntax import Parsed, UsageError
from bot.domain import RepoRef
from bot.service.questions import MAX_QUESTION_CHARS, Asked, Where
from bot.store.questions import ThreadPost


@dataclass(frozen=True)
class AskArgs:
    """Checked `/ask` arguments."""

    prefix: str
    repo: RepoRef | None
    question: str


def check_ask(parsed: Parsed, defaults: Defaults) -> AskArgs:
    """A SHA (or commit URL), an optional repository, then the question as typed."""
    url_repo, prefix = arguments.commit_target("ask", parsed.args[0])
    question = parsed.args[1]
    first, _, rest = question.partition(" ")
    named = RepoRef.parse_or_none(first) if "/" in first and rest.strip() else None
    if named is not None:
        question = rest.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError("ask", Message("arg.question_long", count=len(question), limit=MAX_QUESTION_CHARS))
    return AskArgs(prefix, named or url_repo, question)


def run_ask(args: AskArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Find the commit as /commit does, then answer the question about it."""
    questions = services.questions
    if questions is None or not questions.enabled:
        return Reply(text=say(lang, "ask.no_llm"))
    subs = services.subscriptions_of(ctx)
    result = services.commit_lookup().find(args.prefix, _repos(args.repo, subs))
    if result.status != "found" or result.commit is None:
        return Reply(text=_not_found_text(args.prefix, result, lang))
    commit = result.commit
    # The console's "thread" is the commit itself: follow-up /ask lines about it see the earlier turns.
    where = Where(ctx.platform, ctx.channel, f"ask:{commit.sha}", ctx.user_id)
    asked = questions.ask(commit, where, args.question)
    header = say(asked.language, "ask.header", repo=commit.repo.full_name, sha=commit.sha[:7])
    return Reply(text=f"{header}\n{asked_text(asked, questions.limits.per_user_per_hour)}",
                 public=asked.status in ("answered", "not_answered"))


def answer_in_thread(services: CommandServices, where: Where, question: str, post: ThreadPost) -> str | None:
    """The reply to a mention in the thread of the bot's `post` (plain, untrusted text); None: not answered."""
    questions = services.questions
    if questions is None:
        return None
    if not questions.enabled:
        return say(services.defaults.language, "ask.no_llm")
    asked = questions.ask_in_thread(where, question, post)
    return asked_text(asked, questions.limits.per_user_per_hour)


def asked_text(asked: Asked, limit: int) -> str:
    """One question's outcome in its language: the answer and the files it rests on, or why there is none."""
    lang = asked.language
    if asked.status in ("answered", "not_answered"):
        lines = [say(lang, "ask.not_answered")] if asked.status == "not_answered" else []
        lines.append(asked.answer)
        files = say(lang, "list.separator").join(asked.files)
        lines.append(say(lang, "ask.files", files=files) if files else say(lang, "ask.no_files"))
        return "\n\n".join(lines)
    if asked.status == "limited":
        return say(lang, "ask.limited", limit=limit)
    if asked.status == "too_long":
        return say(lang, "ask.too_long", count=asked.reason, limit=MAX_QUESTION_CHARS)
    if asked.status == "which_commit":
        return say(lang, "ask.which_commit", shas=", ".join(asked.candidates))
    if asked.status == "failed":
        return say(lang, "ask.failed", reason=asked.reason or "unknown")
    return say(lang, f"ask.{asked.status}")
