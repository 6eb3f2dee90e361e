"""`ask`: one question about one commit, answered as in chat (grounded in the commit; needs an LLM)."""

from __future__ import annotations

import sys

from bot.config import Settings

CLI = "cli"  # the platform, channel and person a terminal question is counted and remembered under


def ask(args, settings: Settings) -> int:
    """Print the answer to a question about owner/repo@sha; exit 1 when there is none (no LLM, GitHub, LLM failure)."""
    from bot.bootstrap import build
    from bot.chat.commands.ask import asked_text
    from bot.github.errors import GitHubError
    from bot.service.commits import Commits
    from bot.service.questions import Where

    repo, prefix = args.target
    question = " ".join(args.question).strip()
    bot = build(settings)
    try:
        questions = bot.handler.services.questions
        assert questions is not None  # bootstrap always builds the service
        commits = Commits(bot.store, bot.source)
        try:
            commit, _ = commits.get(repo, commits.resolve(repo, prefix))
        except GitHubError as exc:
            print(f"commit-radar: {exc}", file=sys.stderr)
            return 1
        # Terminal questions about one commit form one thread: a follow-up sees the earlier turns.
        asked = questions.ask(commit, Where(CLI, CLI, f"ask:{commit.sha}", CLI), question)
        text = asked_text(asked, questions.limits.per_user_per_hour)
    finally:
        bot.close()
    answered = asked.status in ("answered", "not_answered")
    print(text, file=sys.stdout if answered else sys.stderr)
    return 0 if answered else 1
