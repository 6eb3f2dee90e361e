"""The composition root: builds the real adapters from Settings. Nothing connects at import time."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.store import Store, open_store


@dataclass
class Bot:
    """Everything a process needs, built once from Settings."""

    settings: Settings
    store: Store

    def close(self) -> None:
        """Release connections."""
        self.store.close()


def build(settings: Settings, migrate: bool = True) -> Bot:
    """Build the bot's adapters; migrations run here unless told otherwise."""
    store = open_store(settings.database_url, run_migrations=migrate)
    return Bot(settings=settings, store=store)
