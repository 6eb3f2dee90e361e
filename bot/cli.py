"""Command-line entry point: parse, call a service, render. `commit-radar --help` lists the commands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date

from bot import __version__
from bot.config import ConfigError, Settings, check_timezone, load_settings, parse_hhmm
from bot.domain import RepoRef, Subscription, check_sha

log = logging.getLogger("bot.cli")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `commit-radar` and `python -m bot`."""
    try:
        args = build_parser().parse_args(argv)
        settings = load_settings(args.env_file)
    except UsageError as exc:
        print(f"commit-radar: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"commit-radar: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.secret_values())
    handler = {"run": _run, "serve": _serve, "worker": _worker, "doctor": _doctor,
               "subscriptions": _subscriptions, "analyze": _analyze, "digest": _digest}[args.command]
    try:
        return handler(args, settings)
    except KeyboardInterrupt:
        return 130


def _log_config(settings: Settings) -> None:
    for key, value in settings.masked().items():
        log.info("config", extra={"key": key, "value": value})


def _run(args, settings: Settings, http: bool = True, scheduler: bool = True) -> int:
    from bot.bootstrap import build
    from bot.service.process import serve_forever

    _log_config(settings)
    try:
        bot = build(settings)
    except ConfigError as exc:
        print(f"commit-radar: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    console = http and scheduler and not settings.chat_platforms
    try:
        serve_forever(bot, http=http, scheduler=scheduler, console=console)
    finally:
        bot.close()
    return 0


def _serve(args, settings: Settings) -> int:
    return _run(args, settings, http=True, scheduler=False)


def _worker(args, settings: Settings) -> int:
    return _run(args, settings, http=False, scheduler=True)


def _doctor(args, settings: Settings) -> int:
    from bot.bootstrap import build_store_only as build
    from bot.service.doctor import run_checks

    for key, value in settings.masked().items():
        print(f"{key}={value}")
    print()
    bot = build(settings)
    try:
        results = run_checks(settings, bot.store)
    finally:
        bot.close()
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name:<9} {result.detail}")
    return 0 if all(result.ok for result in results) else 1


def _analyze(args, settings: Settings) -> int:
    from bot.bootstrap import build
    from bot.github.errors import GitHubError
    from bot.render.markdown import analysis_markdown
    from bot.service.report import fetch_or_load, resolve

    repo, prefix = args.target
    language = args.lang or settings.language
    bot = build(settings)
    try:
        try:
            commit = fetch_or_load(bot.source, bot.store, repo, resolve(bot.source, bot.store, repo, prefix))
        except GitHubError as exc:
            print(f"commit-radar: {exc}", file=sys.stderr)
            return 1
        analysis = bot.analyser.analyse(commit, language)
    finally:
        bot.close()
    if args.format == "json":
        print(analysis.model_dump_json(indent=2))
    else:
        print(analysis_markdown(commit, analysis, args.tz or settings.timezone, language))
    return 0


def _digest(args, settings: Settings) -> int:
    from tqdm import tqdm

    from bot.bootstrap import build
    from bot.github.errors import GitHubError
    from bot.render.markdown import report
    from bot.service.report import day_digest

    language = args.lang or settings.language
    timezone = args.tz or settings.timezone
    bot = build(settings)
    digests = []
    # A progress bar only on a terminal: never in pipes or logs.
    bar = tqdm(total=0, unit="commit", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        for repo in args.repos:
            bar.set_description(str(repo))

            def grow(count: int) -> None:
                bar.total += count
                bar.refresh()

            try:
                digests.append(day_digest(bot.source, bot.store, bot.analyser, repo, args.branch, args.date,
                                          timezone, language, on_total=grow, on_step=bar.update))
            except GitHubError as exc:
                bar.close()
                print(f"commit-radar: {exc}", file=sys.stderr)
                return 1
    finally:
        bar.close()
        bot.close()
    text = report(digests, args.date, language)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.output} ({sum(len(d.entries) for d in digests)} commits)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _subscriptions(args, settings: Settings) -> int:
    from bot.bootstrap import build_store_only as build

    if args.action == "add":
        try:
            sub = Subscription(
                platform=args.platform, channel=args.channel, repo=args.repo, branch=args.branch,
                threshold=args.threshold, digest_time=args.digest or settings.digest_clock,
                timezone=args.tz or settings.timezone, language=args.lang or settings.language,
                paths=args.paths, ignore_authors=args.ignore_authors, include_merges=not args.no_merges,
                empty_digest="skip" if args.skip_empty_digest else "note", webhook_secret=args.secret,
            )
        except ValueError as exc:
            print(f"commit-radar: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_USAGE
    bot = build(settings)
    try:
        store = bot.store.subscriptions
        if args.action == "list":
            _print_subscriptions(store.list(platform=args.platform, channel=args.channel))
        elif args.action == "add":
            saved, created = store.save(sub)
            print(f"{'added' if created else 'updated'} #{saved.id} {saved.repo}@{saved.branch} "
                  f"-> {saved.platform}:{saved.channel} (min {saved.threshold.value})")
        else:
            removed = store.remove(args.platform, args.channel, args.repo, args.branch)
            if not removed:
                print(f"no subscription to {args.repo} for {args.platform}:{args.channel}", file=sys.stderr)
                return 1
            print(f"removed {removed} subscription(s) to {args.repo}")
    finally:
        bot.close()
    return 0


def _print_subscriptions(subs: list[Subscription]) -> None:
    if not subs:
        print("no subscriptions")
        return
    print(f"{'id':>4}  {'repo@branch':<40} {'platform:channel':<30} {'min':<6} {'digest':<18} state")
    for sub in subs:
        state = f"paused: {sub.paused_reason}" if sub.paused else "active"
        digest = f"{sub.digest_time:%H:%M} {sub.timezone}"
        print(f"{sub.id:>4}  {f'{sub.repo}@{sub.branch}':<40} {f'{sub.platform}:{sub.channel}':<30} "
              f"{sub.threshold.value:<6} {digest:<18} {state}")
