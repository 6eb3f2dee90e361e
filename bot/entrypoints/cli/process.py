"""`run`, `serve`, `worker` and `doctor`: the long-running process and its health checks."""

from __future__ import annotations

import logging
import sys

from bot.config import ConfigError, Settings
from bot.entrypoints.cli.parser import EXIT_USAGE
from bot.entrypoints.http import PortUnavailable

log = logging.getLogger("bot.entrypoints.cli")


def _log_config(settings: Settings) -> None:
    # At DEBUG: a person at the console should see the prompt, not 30 lines; `doctor` prints the same.
    for key, value in settings.masked().items():
        log.debug("config", extra={"key": key, "value": value})


def run(args, settings: Settings, inbound: bool = True, scheduler: bool = True) -> int:
    """The whole bot (web and worker; the console when no chat platform is set) until SIGTERM."""
    from bot.bootstrap import build, chat_platforms, platform_warnings
    from bot.entrypoints.process import serve_forever

    _log_config(settings)
    for warning in platform_warnings(settings):
        log.warning(warning)
    console = inbound and scheduler and not chat_platforms(settings)
    if console and "host" not in settings.model_fields_set:
        # Nothing but health, metrics and the GitHub webhook to serve: stay off the network unless HOST says so.
        settings = settings.model_copy(update={"host": "127.0.0.1"})
    try:
        app = build(settings)
    except ConfigError as exc:
        print(f"commit-radar: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        serve_forever(app, http=True, scheduler=scheduler, console=console, inbound=inbound)
    except PortUnavailable as exc:
        print(f"commit-radar: cannot listen on {settings.host}:{settings.port} ({exc}); "
              f"set PORT (or HOST) to a free address", file=sys.stderr)
        return 1
    finally:
        app.close()
    return 0


def serve(args, settings: Settings) -> int:
    """The web role: chat and GitHub endpoints; it queues jobs for the workers."""
    return run(args, settings, inbound=True, scheduler=False)


def worker(args, settings: Settings) -> int:
    """The worker role, as many replicas as wanted: the ticks and the jobs; /healthz and /metrics on PORT."""
    return run(args, settings, inbound=False, scheduler=True)


def doctor(args, settings: Settings) -> int:
    """Print the effective configuration and one line per service check; 1 if any failed."""
    from bot.bootstrap import iter_checks

    for key, value in settings.masked().items():
        print(f"{key}={value}")
    print(flush=True)
    failed = False
    # Each line as its check finishes: a slow service must not hide what is already known.
    for result in iter_checks(settings):
        print(result.line(), flush=True)
        failed = failed or not result.ok
    return 1 if failed else 0
