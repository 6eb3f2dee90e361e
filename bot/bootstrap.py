"""The composition root: builds the real adapters from Settings. Nothing connects at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.store import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything a process needs, built once from Settings."""

    settings: Settings
    store: Store
    clock: Clock = system_clock
    metrics: Any = None
    source: Any = None
    analyser: Any = None
    deliverer: Any = None
    digests: Any = None
    watcher: Any = None
    handler: Any = None
    slack: Any = None
    feishu: Any = None
    console: Any = None
    _listeners: list = field(default_factory=list)

    def on_subscriptions_changed(self, listener) -> None:
        """Call `listener()` whenever a command changes subscriptions (the scheduler re-syncs)."""
        self._listeners.append(listener)

    def subscriptions_changed(self) -> None:
        """Tell every listener that subscriptions changed."""
        for listener in self._listeners:
            listener()

    def close(self) -> None:
        """Release connections and stop platform workers."""
        for part in (self.slack, self.feishu):
            if part is not None:
                part.stop()
        if self.source is not None:
            self.source.close()
        self.store.close()


def platform_warnings(settings: Settings) -> list[str]:
    """One line per chat platform that is half configured (and so not started)."""
    warnings = []
    slack_parts = [name for name in ("slack_signing_secret", "slack_app_token") if getattr(settings, name)]
    if slack_parts and not settings.slack_bot_token:
        named = " and ".join(name.upper() for name in slack_parts)
        warnings.append(f"Slack is off: {named} set but SLACK_BOT_TOKEN is not")
    feishu_parts = [name for name in ("feishu_app_id", "feishu_app_secret", "feishu_verification_token",
                                      "feishu_encrypt_key") if getattr(settings, name)]
    missing = [name.upper() for name in ("feishu_app_id", "feishu_app_secret") if not getattr(settings, name)]
    if feishu_parts and missing:
        warnings.append(f"Feishu app bot is off: {' and '.join(name.upper() for name in feishu_parts)} set "
                        f"but {' and '.join(missing)} not")
    return warnings


def build_store_only(settings: Settings, migrate: bool = True) -> Bot:
    """Just the store (for terminal commands that need nothing else)."""
    return Bot(settings=settings, store=open_store(settings.database_url, run_migrations=migrate))


def build(settings: Settings, migrate: bool = True, clock: Clock = system_clock, console_out=None) -> Bot:
    """Build every adapter and service; platforms only when configured, the console when none is."""
    from bot.chat.commands import CommandHandler, CommandServices, Defaults
    from bot.chat.console import ConsoleNotifier
    from bot.github.source import GitHubSource
    from bot.scrub import install
    from bot.service.delivery import Deliverer
    from bot.service.digest import DigestService
    from bot.service.metrics import Metrics
    from bot.service.watcher import Watcher

    install(settings.secret_values())  # every output of the process hides these from here on
    bot = build_store_only(settings, migrate)
    bot.clock = clock
    bot.metrics = metrics = Metrics()
    bot.source = GitHubSource.from_settings(settings)
    metrics.add_stats(lambda: _github_stats(bot.source))
    bot.analyser = build_analyser(settings, bot.store, clock)
    metrics.add_stats(lambda: _analysis_stats(bot.analyser))
    bot.deliverer = Deliverer(bot.store, {}, clock, metrics)
    bot.digests = DigestService(bot.store, bot.analyser, bot.deliverer, clock)
    services = CommandServices(store=bot.store, source=bot.source, analyser=bot.analyser, digests=bot.digests,
                               defaults=Defaults.from_settings(settings), clock=clock,
                               on_subscriptions_changed=bot.subscriptions_changed)
    bot.handler = CommandHandler(services)
    if settings.slack_bot_token:
        from bot.chat.slack.channel import build_slack

        bot.slack = build_slack(settings, bot.handler, bot.store)
        bot.deliverer.register("slack", bot.slack.notifier)
    from bot.chat.feishu.channel import build_feishu

    bot.feishu = build_feishu(settings, bot.handler, bot.store)
    for platform, notifier in bot.feishu.notifiers.items():
        bot.deliverer.register(platform, notifier)
    # The console always delivers for console subscriptions; it reads stdin only without a chat platform.
    bot.console = ConsoleNotifier(console_out)
    bot.deliverer.register("console", bot.console)
    bot.watcher = Watcher(bot.store, bot.source, bot.analyser, bot.deliverer, clock,
                          max_cards_per_poll=settings.max_cards_per_poll,
                          poll_concurrency=settings.poll_concurrency, metrics=metrics)
    return bot


def build_analyser(settings: Settings, store: Store, clock: Clock):
    """The analyser: an OpenAI-compatible LLM when a key or base URL is set, else the heuristic alone."""
    from bot.analysis.llm import OpenAIChat, make_client
    from bot.analysis.service import Analyser

    llm = None
    if settings.openai_api_key or settings.openai_base_url:
        # Local servers (vLLM, Ollama) take any key; the library insists on one.
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
        llm = OpenAIChat(make_client(settings.openai_base_url, key, settings.llm_timeout), settings.llm_model)
    return Analyser(store.analyses, llm, settings.llm_model, input_budget=settings.llm_input_token_budget,
                    concurrency=settings.llm_concurrency, clock=clock,
                    output_tokens=settings.llm_output_token_budget, prompts_dir=settings.prompts_dir)


def _github_stats(source) -> list[tuple[str, str, float]]:
    stats = source.stats
    rows = [("github_requests", "GitHub requests made", stats.requests),
            ("github_not_modified", "GitHub requests answered 304 (free)", stats.not_modified),
            ("github_rate_limit_waits", "Waits for a GitHub rate-limit reset", stats.rate_limit_waits)]
    if stats.rate_limit_remaining is not None:
        rows.append(("github_rate_limit_remaining", "GitHub rate limit remaining", stats.rate_limit_remaining))
    return rows


def _analysis_stats(analyser) -> list[tuple[str, str, float]]:
    return [(f"analysis_{name}", f"Analyser counter: {name}", value)
            for name, value in analyser.counters.snapshot().items()]
