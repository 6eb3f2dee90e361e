"""The argument parser: every subcommand, its options, and one-line argument errors."""

from __future__ import annotations

import argparse
from datetime import date

from bot import __version__
from bot.config import check_timezone, parse_hhmm
from bot.domain import RepoRef, check_sha

EXIT_USAGE = 2


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


def _repo_at_sha(text: str) -> tuple[RepoRef, str]:
    repo, at, sha = text.partition("@")
    if not at:
        raise ValueError(f"expected owner/repo@sha, got {text!r}")
    return RepoRef.parse(repo), check_sha(sha)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = _Parser(prog="commit-radar", description="Watch GitHub repositories; post LLM-analysed commits to chat.")
    parser.add_argument("--version", action="version", version=f"commit-radar {__version__}")
    parser.add_argument("--env-file", default=".env", help="dotenv file to read (default: .env)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    commands.add_parser("run", help="HTTP server and scheduler in one process (the default deployment)")
    commands.add_parser("serve", help="HTTP server only (Slack/Feishu events, GitHub webhook, health, metrics)")
    commands.add_parser("worker", help="scheduler only: polling and digests (run exactly one)")
    commands.add_parser("doctor", help="print the effective configuration and check each configured service")

    analyze = commands.add_parser("analyze", help="analyse one commit and print it")
    analyze.add_argument("target", type=_argtype(_repo_at_sha), help="owner/repo@sha (4-40 hex digits)")
    analyze.add_argument("--lang", choices=["zh", "en"])
    analyze.add_argument("--tz", type=_argtype(check_timezone), help="timezone for times (default TIMEZONE)")
    analyze.add_argument("--format", choices=["md", "json"], default="md")

    digest = commands.add_parser("digest", help="write the daily report of one or more repositories as Markdown")
    digest.add_argument("repos", nargs="+", type=_argtype(RepoRef.parse), metavar="owner/repo")
    digest.add_argument("--date", required=True, type=_argtype(_day), help="YYYY-MM-DD, a local day in --tz")
    digest.add_argument("--tz", type=_argtype(check_timezone), help="IANA timezone (default TIMEZONE)")
    digest.add_argument("--lang", choices=["zh", "en"])
    digest.add_argument("--branch", help="branch (default: each repository's default branch)")
    digest.add_argument("-o", "--output", help="file to write (default: stdout)")

    subs = commands.add_parser("subscriptions", help="list, add or remove subscriptions from a terminal")
    actions = subs.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    listing = actions.add_parser("list", help="list subscriptions")
    listing.add_argument("--platform", choices=["slack", "feishu", "feishu_webhook", "console"])
    listing.add_argument("--channel")
    add = actions.add_parser("add", help="add or update a subscription")
    add.add_argument("repo", type=_argtype(RepoRef.parse), help="owner/name")
    add.add_argument("--branch", default="main")
    add.add_argument("--platform", default="console", choices=["slack", "feishu", "feishu_webhook", "console"])
    add.add_argument("--channel", default="console", help="Slack channel id, Feishu chat id, or webhook URL")
    add.add_argument("--secret", help="signing secret of a Feishu custom-bot webhook")
    add.add_argument("--min", dest="threshold", choices=["high", "medium", "low"], default="high")
    add.add_argument("--digest", type=_argtype(parse_hhmm), help="daily digest time HH:MM")
    add.add_argument("--tz", type=_argtype(check_timezone), help="IANA timezone, e.g. Asia/Shanghai")
    add.add_argument("--lang", choices=["zh", "en"])
    add.add_argument("--paths", type=_csv, default=[], help="comma-separated globs the changed files must match")
    add.add_argument("--ignore-authors", type=_csv, default=[], help="comma-separated logins or names to skip")
    add.add_argument("--no-merges", action="store_true", help="skip merge commits")
    add.add_argument("--skip-empty-digest", action="store_true", help="post nothing on days without commits")
    remove = actions.add_parser("remove", help="remove a subscription")
    remove.add_argument("repo", type=_argtype(RepoRef.parse), help="owner/name")
    remove.add_argument("--branch", help="only this branch (default: every branch)")
    remove.add_argument("--platform", default="console", choices=["slack", "feishu", "feishu_webhook", "console"])
    remove.add_argument("--channel", default="console")
    return parser
