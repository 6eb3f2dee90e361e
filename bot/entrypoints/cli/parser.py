"""The argument parser: every subcommand, its options, and one-line argument errors.

Building it imports only the standard library and `bot.domain.values`: `commit-radar --help`
must not pay for pydantic, SQLAlchemy or any service library.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone

from bot import __version__
from bot.domain.values import (
    EVERY,
    check_sha,
    check_timezone,
    check_weekday,
    parse_hhmm,
    parse_week,
    split_repo_name,
    week_label,
)

EXIT_USAGE = 2
PLATFORMS = ["slack", "feishu", "feishu_webhook", "console"]
ENVIRONMENT = ("Settings come from environment variables and .env (or `commit-radar --env-file FILE COMMAND`); "
               ".env.example lists them.")


class UsageError(Exception):
    """A bad argument; printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)")


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _argtype(check):
    def convert(value: str):
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = check.__name__
    return convert


def _repo(text: str):
    owner, name = split_repo_name(text)
    # Imported only once an argument is converted: a real command loads pydantic anyway, --help does not.
    from bot.domain.model import RepoRef

    return RepoRef(owner=owner, name=name)


def _repo_or_owner(text: str):
    """`owner/name`, or `owner/*` (every repository of an organisation or user)."""
    owner, slash, rest = text.strip().partition("/")
    if slash and rest == "*":
        split_repo_name(f"{owner}/x")  # the owner must be a valid GitHub login
        from bot.domain.model import RepoRef

        return RepoRef(owner=owner.lower(), name="*")
    return _repo(text)


def _repo_at_sha(text: str):
    repo, at, sha = text.partition("@")
    if not at:
        raise ValueError(f"expected owner/repo@sha, got {text!r}")
    return _repo(repo), check_sha(sha)


# bot.service.digest.FIRST_DAY (a test keeps them equal): importing that module here would load the store.
_FIRST_DAY = date(2000, 1, 1)
_FURTHEST_AHEAD = timezone(timedelta(hours=14))  # UTC+14: where "today" is latest


def _day(text: str) -> date:
    # The day's timezone (--tz) may not be parsed yet: the latest day allowed is tomorrow at UTC+14.
    last = datetime.now(_FURTHEST_AHEAD).date() + timedelta(days=1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None
    if not _FIRST_DAY <= day <= last:
        raise ValueError(f"expected a date from {_FIRST_DAY} to {last}, got {text!r}")
    return day


def _week(text: str) -> date:
    # The Monday of the week; as for --date, the week must have begun somewhere on Earth.
    monday = parse_week(text)
    last = datetime.now(_FURTHEST_AHEAD).date() + timedelta(days=1)
    if monday + timedelta(days=6) < _FIRST_DAY or monday > last:
        raise ValueError(f"expected a week from {week_label(_FIRST_DAY)} to {week_label(last)}, got {text!r}")
    return monday


def _globs(text: str) -> list[str]:
    # Imported when --paths is given, not for --help (dataclasses and typing cost ~30 ms); the limits
    # in --paths' help text are checked against it by a test.
    from bot.domain.filters import check_patterns

    return check_patterns(_csv(text))


def _command(commands, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=description)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = _Parser(prog="commit-radar", description="Watch GitHub repositories; post LLM-analysed commits to chat.",
                     epilog=f"{ENVIRONMENT} Each command has --help.")
    parser.add_argument("--version", action="version", version=f"commit-radar {__version__}")
    parser.add_argument("--env-file", default=".env", metavar="FILE", help="dotenv file to read (default: .env)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    _command(commands, "run", "HTTP server and scheduler in one process (the default deployment)",
             "Run the whole bot in one process until SIGTERM: the HTTP server (chat events, GitHub webhook, "
             "/healthz, /metrics on HOST:PORT) and the scheduler (polling every POLL_INTERVAL, daily digests). "
             "With no chat platform configured, commands are read from stdin and cards printed to stdout. "
             + ENVIRONMENT)
    _command(commands, "serve", "HTTP server only (Slack/Feishu events, GitHub webhook, health, metrics)",
             "Run the web role: serve /slack/events, /feishu/events, /github/webhook, /healthz and /metrics on "
             "HOST:PORT, without polling or digests (run `commit-radar worker` beside it, sharing DATABASE_URL). "
             + ENVIRONMENT)
    _command(commands, "worker", "the jobs: polling, cards and digests (as many as you need)",
             "Run the worker role: the ticks and the jobs (poll the watched repositories, deliver cards, post the "
             "digests); /healthz and /metrics are served on HOST:PORT. Run any number of them on one PostgreSQL "
             "DATABASE_URL. " + ENVIRONMENT)
    _command(commands, "doctor", "print the effective configuration and check each configured service",
             "Print the effective configuration (secrets masked), then check the database, GitHub, Slack, Feishu "
             "and the LLM, one line each. Exits 1 when a check fails. " + ENVIRONMENT)

    analyze = _command(commands, "analyze", "analyse one commit and print it",
                       "Analyse one commit (with the LLM when one is configured, else the heuristic) and print the "
                       "analysis. A commit analysed before is read from the database, not analysed again.")
    analyze.add_argument("target", type=_argtype(_repo_at_sha), help="owner/repo@sha (4-40 hex digits)")
    analyze.add_argument("--lang", choices=["zh", "en"], help="language of the analysis (default: LANGUAGE)")
    analyze.add_argument("--tz", type=_argtype(check_timezone), metavar="AREA/CITY",
                         help="IANA timezone for times (default: TIMEZONE)")
    analyze.add_argument("--format", choices=["md", "json"], default="md",
                         help="md: the card as Markdown; json: the stored analysis (default: md)")

    asking = _command(commands, "ask", "ask a question about one commit and print the answer",
                      "Ask the LLM a question about one commit; the answer rests on the commit's message, pull "
                      "request, diff (within LLM_INPUT_TOKEN_BUDGET) and stored analysis, and names the files it "
                      "relied on. Needs an LLM (OPENAI_API_KEY or OPENAI_BASE_URL); counts against "
                      "ASK_PER_USER_PER_HOUR. Earlier questions about the same commit are remembered.")
    asking.add_argument("target", type=_argtype(_repo_at_sha), help="owner/repo@sha (4-40 hex digits)")
    asking.add_argument("question", nargs="+", help="the question (at most 2,000 characters)")

    digest = _command(commands, "digest", "write the daily (or weekly) report of one or more repositories as Markdown",
                      "Write one local day's (or ISO week's) report of one or more repositories as Markdown: a "
                      "commit table and statistics per repository, then each commit's analysis, by importance. "
                      "A weekly report's statistics add the counts by change type and the most changed areas.")
    digest.add_argument("repos", nargs="+", type=_argtype(_repo), metavar="owner/repo",
                        help="the repositories to report on")
    period = digest.add_mutually_exclusive_group(required=True)
    period.add_argument("--date", type=_argtype(_day), metavar="YYYY-MM-DD",
                        help="the local day in --tz to report (default: none; this or --week is required)")
    period.add_argument("--week", type=_argtype(_week), metavar="YYYY-Www",
                        help="the ISO week (Monday to Sunday, local days in --tz) to report, e.g. 2026-W48 "
                             "(default: none; this or --date is required)")
    digest.add_argument("--tz", type=_argtype(check_timezone), metavar="AREA/CITY",
                        help="IANA timezone of the day (default: TIMEZONE)")
    digest.add_argument("--lang", choices=["zh", "en"], help="language of the report (default: LANGUAGE)")
    digest.add_argument("--branch", help="branch (default: each repository's default branch)")
    digest.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")

    subs = _command(commands, "subscriptions", "list, add or remove subscriptions from a terminal",
                    "Manage subscriptions in the database from a terminal, as /subscribe, /unsubscribe and "
                    "/subscriptions do from chat.")
    actions = subs.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    listing = _command(actions, "list", "list subscriptions",
                       "List subscriptions with their branch, channel, threshold, digest time and state.")
    listing.add_argument("--platform", choices=PLATFORMS, help="only this platform (default: every platform)")
    listing.add_argument("--channel", help="only this channel (default: every channel)")
    add = _command(actions, "add", "add or update a subscription",
                   "Subscribe a channel to a branch of a repository, or update that subscription. Options not given "
                   "keep their current values when the subscription exists; a new one takes the defaults below.")
    add.add_argument("repo", type=_argtype(_repo_or_owner),
                     help="owner/name, or owner/* for every repository of an organisation or user")
    add.add_argument("--branch", default=None,
                     help="branch to watch, or a pattern such as 'release/*' for every matching branch "
                          "(default: the repository's default branch)")
    add.add_argument("--include-forks", action="store_true", default=None,
                     help="with owner/*: follow forks too (default: forks and archived repositories skipped)")
    add.add_argument("--platform", default="console", choices=PLATFORMS, help="where cards go (default: console)")
    add.add_argument("--channel", default="console",
                     help="Slack channel id, Feishu chat id, or webhook URL (default: console)")
    add.add_argument("--secret", metavar="SECRET", help="signing secret of a Feishu custom-bot webhook (default: none)")
    add.add_argument("--min", dest="threshold", choices=["high", "medium", "low"], default=None,
                     help="lowest importance posted as a card (default: keep the current threshold; "
                          "high for a new subscription)")
    add.add_argument("--digest", type=_argtype(parse_hhmm), metavar="HH:MM",
                     help="daily digest time HH:MM (default: DIGEST_TIME for a new subscription)")
    add.add_argument("--tz", type=_argtype(check_timezone), metavar="AREA/CITY",
                     help="IANA timezone, e.g. Asia/Shanghai (default: TIMEZONE for a new subscription)")
    add.add_argument("--lang", choices=["zh", "en"],
                     help="language of cards (default: LANGUAGE for a new subscription)")
    add.add_argument("--paths", type=_argtype(_globs), metavar="GLOB,…",
                     help="comma-separated globs the changed files must match, at most 20 of 100 characters with "
                          "10 wildcards each (default: every path for a new subscription)")
    add.add_argument("--ignore-authors", type=_csv, metavar="NAME,…",
                     help="comma-separated logins or names to skip (default: none for a new subscription)")
    history = add.add_mutually_exclusive_group()
    history.add_argument("--all-commits", action="store_true", default=None,
                         help="a card for every commit, the merged pull requests' commits too (default: keep the "
                              "current choice; the first-parent history, one card per merged pull request or "
                              "direct push, for a new subscription)")
    history.add_argument("--first-parent", dest="all_commits", action="store_false", default=None,
                         help="back to one card per merged pull request or direct push "
                              "(default: keep the current choice)")
    add.add_argument("--no-merges", action="store_true",
                     help="skip merge commits and follow each merged commit instead, as --all-commits does "
                          "(default: merges included)")
    add.add_argument("--skip-empty-digest", action="store_true",
                     help="post nothing on days without commits (default: a one-line note on such days)")
    add.add_argument("--every", choices=EVERY, default=None,
                     help="a daily digest, or a weekly one of the last full ISO week (default: keep the current "
                          "choice; day for a new subscription)")
    add.add_argument("--on", type=_argtype(check_weekday), metavar="mon|…|sun",
                     help="the weekly digest's day; alone it means --every week (default: keep the current day; "
                          "mon for a new subscription)")
    remove = _command(actions, "remove", "remove a subscription",
                      "Remove a channel's subscription to a repository (every branch unless --branch is given).")
    remove.add_argument("repo", type=_argtype(_repo_or_owner), help="owner/name, or owner/* (the whole pattern)")
    remove.add_argument("--branch", help="only this branch or branch pattern (default: every branch)")
    remove.add_argument("--platform", default="console", choices=PLATFORMS,
                        help="the channel's platform (default: console)")
    remove.add_argument("--channel", default="console", help="the channel (default: console)")
    return parser
