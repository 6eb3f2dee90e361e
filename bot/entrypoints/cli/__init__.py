"""Command-line entry point: parse, call a service, render. `commit-radar --help` lists the commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.entrypoints.cli.parser import EXIT_USAGE, UsageError, build_parser

__all__ = ["main", "build_parser"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `commit-radar` and `python -m bot`."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"commit-radar: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Imported only now: `--help` and usage errors must not pay for pydantic.
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings(args.env_file)
    except ConfigError as exc:
        print(f"commit-radar: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from bot.logs import setup_logging
    from bot.scrub import install

    install(settings.secret_values(), guard_streams=True)  # before logging, whose handler writes to stderr
    setup_logging(settings.log_level, settings.secret_values())
    from bot.entrypoints.cli import ask, process, reports, subscriptions

    handler = {"run": process.run, "serve": process.serve, "worker": process.worker, "doctor": process.doctor,
               "subscriptions": subscriptions.manage, "analyze": reports.analyze,
               "digest": reports.digest, "ask": ask.ask}[args.command]
    try:
        return handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Start-up failures (database, prompts) are one line and exit 1; anything else is a bug and keeps its traceback.
        line = _startup_failure(exc)
        if line is None:
            raise
        print(f"commit-radar: {line}", file=sys.stderr)
        return 1


def _startup_failure(exc: Exception) -> str | None:
    from bot.analysis.prompts import PromptError
    from bot.store.errors import StoreUnavailable

    if isinstance(exc, StoreUnavailable):
        return str(exc)
    if isinstance(exc, PromptError):
        return f"prompts: {exc}"
    return None
