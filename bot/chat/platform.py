"""The platform interface: what a chat platform gives the application, and how bootstrap finds each one.

A platform package (bot/chat/slack, bot/chat/feishu, bot/chat/console.py) exposes one `KIND`:
whether the settings switch it on, how to build it, and its `doctor` check. Bootstrap loops over
`KINDS` (bot/bootstrap.py); adding a platform is a new package and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

from bot.service.notifier import Notifier
from bot.wsgi import WSGIApp

if TYPE_CHECKING:
    from bot.chat.commands import CommandHandler
    from bot.config import Settings
    from bot.store import Store


class Platform(Protocol):
    """One chat platform, built and running: where cards go out and where people's messages come in."""

    # A read-only property, so an implementation may hold its name as a class attribute.
    @property
    def name(self) -> str:
        """Its name as bootstrap and logs show it ("slack", "feishu", "console")."""
        ...

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        """The notifiers it delivers with, by `Subscription.platform` ("slack", "feishu_webhook", …)."""
        ...

    def routes(self) -> Mapping[str, WSGIApp]:
        """The HTTP endpoints it serves, by path (none in Socket Mode or long-connection mode)."""
        ...

    def start(self) -> None:
        """Open inbound connections that are not HTTP (Socket Mode, Feishu's long connection); web role only."""
        ...

    def stop(self) -> None:
        """Close connections and let answers already running finish."""
        ...


@dataclass(frozen=True)
class Inbound:
    """What a platform needs from the application to answer people: the commands, the store, the terminal."""

    handler: CommandHandler
    store: Store
    console_out: IO[str] | None = None


@dataclass(frozen=True)
class PlatformKind:
    """A platform as bootstrap and `doctor` see it before anything is built."""

    name: str
    # True when the settings switch it on (built and delivering).
    enabled: Callable[[Settings], bool]
    # True when it takes people's commands under these settings (without any, `run` reads the console).
    answers: Callable[[Settings], bool]
    # One line per setting that is half there, so the platform is not started (logged at start-up).
    warnings: Callable[[Settings], list[str]]
    build: Callable[[Settings, Inbound], Platform]
    # The doctor line's detail when it answers; raises bot.checks.CheckFailed when it does not (None: no line).
    check: Callable[[Settings, float], str] | None
    # Why `doctor` skips it under these settings, or None when it should be checked.
    skip_check: Callable[[Settings], str | None]
