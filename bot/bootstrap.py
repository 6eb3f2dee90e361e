"""The composition root: the whole application built from Settings plus explicit overrides.

Nothing connects at import time. Tests build the real application here with fakes in place of
GitHub, the LLM, the clock and the chat platforms (tests/testbot.py); the entry points build it
with nothing overridden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from bot.chat.platform import Inbound, Platform, PlatformKind
from bot.checks import TIMEOUT, Check, CheckResult, run_checks
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.store import Store, open_store

if TYPE_CHECKING:
    from bot.analysis.runner import ChatModel
    from bot.analysis.service import Analyser
    from bot.chat.commands import CommandHandler
    from bot.github.port import CommitSource
    from bot.service.delivery import Deliverer
    from bot.service.digest import DigestService
    from bot.service.jobs import Jobs
    from bot.service.metrics import Metrics
    from bot.service.pushes import PushRequests
    from bot.service.questions import QuestionService
    from bot.service.queue import JobQueue
    from bot.service.scheduler import Scheduler
    from bot.service.watcher import Watcher
    from bot.wsgi import Router

log = logging.getLogger(__name__)


def platform_kinds() -> tuple[PlatformKind, ...]:
    """Every chat platform the bot knows, in the order they are built and checked."""
    from bot.chat import console
    from bot.chat.feishu import kind as feishu
    from bot.chat.slack import kind as slack

    return slack.KIND, feishu.KIND, console.KIND


@dataclass
class Application:
    """Everything a process needs, built once by `build`."""

    settings: Settings
    store: Store
    clock: Clock
    metrics: Metrics
    source: CommitSource
    analyser: Analyser
    deliverer: Deliverer
    digests: DigestService
    watcher: Watcher
    handler: CommandHandler
    scheduler: Scheduler
    jobs: Jobs
    queue: JobQueue
    router: Router
    # What a worker serves on PORT: /healthz and /metrics, no chat or GitHub endpoint.
    ops_router: Router
    # /healthz's checks; the process adds the scheduler's when it runs one.
    health: dict[str, Callable[[], None]]
    platforms: list[Platform] = field(default_factory=list)

    def platform(self, name: str) -> Platform | None:
        """The built platform called `name` ("slack", "feishu", "console"), if any."""
        return next((platform for platform in self.platforms if platform.name == name), None)

    def start_inbound(self) -> None:
        """Open every platform's non-HTTP inbound connection (web role)."""
        for platform in self.platforms:
            platform.start()

    def close(self) -> None:
        """Stop platforms and the job queue, then release connections."""
        for platform in self.platforms:
            platform.stop()
        self.queue.stop()
        self.source.close()
        self.store.close()


def build(settings: Settings, *, migrate: bool = True, clock: Clock = system_clock,
          source: CommitSource | None = None, llm: ChatModel | None = None,
          platforms: Sequence[Callable[[Inbound], Platform]] | None = None,
          console_out: IO[str] | None = None, store: Store | None = None) -> Application:
    """The whole application; each override replaces the real adapter (tests, demos).

    `platforms` are factories given the inbound side (handler, store), so a recording platform
    in a test answers commands like Slack would; None builds every platform the settings enable.
    """
    from bot.chat.commands import CommandHandler, CommandServices, Defaults
    from bot.scrub import install
    from bot.service.delivery import Deliverer
    from bot.service.digest import DigestService
    from bot.service.jobs import Jobs
    from bot.service.metrics import Metrics
    from bot.service.pacing import Pacing
    from bot.service.patterns import Patterns
    from bot.service.pushes import PushRequests
    from bot.service.scheduler import TICK_SECONDS, Scheduler
    from bot.service.watcher import Watcher, WatchLimits

    install(settings.secret_values())  # every output of the process hides these from here on
    store = store or open_store(settings.database_url, run_migrations=migrate)
    metrics = Metrics()
    # The queue is built below; the budget first asks it at the first GitHub request.
    source = source or build_source(settings, lambda: queue.live_workers(), lambda: queue.current_job() is not None)
    metrics.add_stats(lambda: _github_stats(source))
    llm = build_llm(settings, llm)
    analyser = build_analyser(settings, store, clock, llm)
    metrics.add_stats(lambda: _analysis_stats(analyser))
    queue = build_queue(settings, store, migrate)
    metrics.add_stats(lambda: _queue_stats(queue))
    deliverer = Deliverer(store, {}, clock, metrics, owners=queue)
    digests = DigestService(store, analyser, deliverer, clock)
    limits = WatchLimits(max_cards_per_poll=settings.max_cards_per_poll, poll_concurrency=settings.poll_concurrency,
                         analysis_concurrency=settings.llm_concurrency)
    watcher = Watcher(store, source, analyser, deliverer, clock, limits, metrics=metrics)
    pacing = Pacing(store, settings.poll_interval, settings.github_requests_per_minute, TICK_SECONDS,
                    on_interval=metrics.poll_interval.set)
    patterns = Patterns(store, source, clock, limit=settings.max_repos_per_pattern)
    jobs = Jobs(store=store, watcher=watcher, digests=digests, queue=queue, pacing=pacing, clock=clock,
                patterns=patterns)
    scheduler = Scheduler(jobs, queue, clock)
    services = CommandServices(store=store, source=source, analyser=analyser, digests=digests,
                               defaults=Defaults.from_settings(settings), clock=clock,
                               questions=build_questions(settings, store, source, analyser, clock, llm),
                               on_subscriptions_changed=scheduler.resync, patterns=patterns)
    handler = CommandHandler(services)
    inbound = Inbound(handler, store, console_out)
    factories = platforms if platforms is not None else [
        _factory(kind, settings) for kind in platform_kinds() if kind.enabled(settings)]
    built = [make(inbound) for make in factories]
    for platform in built:
        for name, notifier in platform.notifiers.items():
            deliverer.register(name, notifier)
    health: dict[str, Callable[[], None]] = {"database": store.ping}
    return Application(settings=settings, store=store, clock=clock, metrics=metrics, source=source,
                       analyser=analyser, deliverer=deliverer, digests=digests, watcher=watcher, handler=handler,
                       scheduler=scheduler, jobs=jobs, queue=queue,
                       router=_router(settings, metrics, health, PushRequests(store, clock, jobs), built),
                       ops_router=_ops_router(metrics, health),
                       health=health, platforms=built)


def build_queue(settings: Settings, store: Store, migrate: bool = True) -> JobQueue:
    """procrastinate on PostgreSQL (any number of workers); the in-process queue on SQLite (one process)."""
    from bot.service.queue import DIGEST, POLL, TICK

    concurrency = {POLL: settings.poll_concurrency, DIGEST: 2, TICK: 1}
    if store.engine.dialect.name == "postgresql":
        from bot.jobs.pg import PostgresQueue, install_schema

        if migrate:
            install_schema(store.engine)
        return PostgresQueue(settings.database_url, concurrency)
    from bot.jobs.local import LocalQueue

    return LocalQueue(concurrency)


def build_store(settings: Settings, migrate: bool = True) -> Store:
    """Just the store, for terminal commands that need nothing else."""
    return open_store(settings.database_url, run_migrations=migrate)


def build_llm(settings: Settings, llm: ChatModel | None = None) -> ChatModel | None:
    """`llm`, else an OpenAI-compatible LLM when a key or base URL is set, else None (no LLM)."""
    if llm is not None or not (settings.openai_api_key or settings.openai_base_url):
        return llm
    from bot.analysis.llm import OpenAIChat, make_client

    # Local servers (vLLM, Ollama) take any key; the library insists on one.
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return OpenAIChat(make_client(settings.openai_base_url, key, settings.llm_timeout), settings.llm_model)


def build_questions(settings: Settings, store: Store, source: CommitSource, analyser: Analyser, clock: Clock,
                    llm: ChatModel | None) -> QuestionService:
    """Answers to questions about commits, through `llm` when it can answer in prose (else a reply saying so)."""
    from bot.analysis.ask import AnswerModel, AskRunner, load_ask_templates
    from bot.analysis.retry import LLMRetry, real_sleep
    from bot.service.questions import AskLimits, QuestionService

    runner = None
    if isinstance(llm, AnswerModel):
        runner = AskRunner(llm, load_ask_templates("v1", settings.prompts_dir), settings.llm_input_token_budget,
                           settings.llm_output_token_budget, LLMRetry(), real_sleep)
    return QuestionService(store, source, analyser, runner, clock, AskLimits(settings.ask_per_user_per_hour),
                           settings.language)


def build_analyser(settings: Settings, store: Store, clock: Clock, llm: ChatModel | None = None) -> Analyser:
    """The analyser: `llm`, else an OpenAI-compatible LLM when a key or base URL is set, else the heuristic alone."""
    from bot.analysis.service import Analyser, AnalyserLimits

    if llm is None and (settings.openai_api_key or settings.openai_base_url):
        from bot.analysis.llm import OpenAIChat, make_client

        # Local servers (vLLM, Ollama) take any key; the library insists on one.
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
        llm = OpenAIChat(make_client(settings.openai_base_url, key, settings.llm_timeout), settings.llm_model)
    limits = AnalyserLimits(input_budget=settings.llm_input_token_budget,
                            output_tokens=settings.llm_output_token_budget, concurrency=settings.llm_concurrency)
    return Analyser(store.analyses, llm, settings.llm_model, limits, prompts_dir=settings.prompts_dir, clock=clock)


def platform_warnings(settings: Settings) -> list[str]:
    """One line per chat platform that is half configured (and so not started)."""
    return [line for kind in platform_kinds() for line in kind.warnings(settings)]


def chat_platforms(settings: Settings) -> list[str]:
    """The platforms that take people's commands; none means `run` reads them from the console."""
    return [kind.name for kind in platform_kinds() if kind.answers(settings)]


def doctor_checks(settings: Settings, open_db: Callable[[], Store] | None = None,
                  timeout: float = TIMEOUT) -> list[Check]:
    """`doctor`'s checks in order: the database, GitHub, each chat platform, the LLM."""
    from bot.analysis.check import check_llm
    from bot.github.check import check_github
    from bot.store.check import check_database

    opener = open_db or (lambda: build_store(settings))
    checks = [Check("database", lambda: check_database(opener, settings.database_url)),
              Check("github", lambda: check_github(settings, timeout))]
    for kind in platform_kinds():
        if kind.check is None:
            continue
        skipped = kind.skip_check(settings)
        checks.append(Check(kind.name, skipped=skipped) if skipped else
                      Check(kind.name, _bound(kind.check, settings, timeout)))
    llm_off = not (settings.openai_api_key or settings.openai_base_url)
    checks.append(Check("llm", skipped="not configured (OPENAI_API_KEY unset): cards use the heuristic analysis")
                  if llm_off else Check("llm", lambda: check_llm(settings, timeout)))
    return checks


def iter_checks(settings: Settings, open_db: Callable[[], Store] | None = None,
                timeout: float = TIMEOUT) -> Iterator[CheckResult]:
    """Run `doctor`'s checks, yielding each line's result as it completes."""
    return run_checks(doctor_checks(settings, open_db, timeout), settings.secret_values())


def _bound(check: Callable[[Settings, float], str], settings: Settings, timeout: float) -> Callable[[], str]:
    return lambda: check(settings, timeout)


def _factory(kind: PlatformKind, settings: Settings) -> Callable[[Inbound], Platform]:
    return lambda inbound: kind.build(settings, inbound)


def build_source(settings: Settings, workers: Callable[[], int] | None = None,
                 counted: Callable[[], bool] | None = None) -> CommitSource:
    """GitHub, under GITHUB_REQUESTS_PER_MINUTE shared among the `workers()` live worker processes
    (a terminal command alone: the whole budget); `counted()`: a request comes from one of them."""
    from bot.github.source import GitHubSource

    return GitHubSource.from_settings(settings, workers=workers, counted=counted)


def _ops_router(metrics: Metrics, health: dict[str, Callable[[], None]]) -> Router:
    from bot.service.metrics import metrics_app
    from bot.wsgi import Router, health_app

    router = Router()
    router.mount("/healthz", health_app(health))
    router.mount("/metrics", metrics_app(metrics))
    return router


def _router(settings: Settings, metrics: Metrics, health: dict[str, Callable[[], None]], pushes: PushRequests,
            platforms: list[Platform]) -> Router:
    """Every HTTP endpoint: health, metrics, the GitHub webhook, and each platform's routes."""
    from bot.github.webhook import github_webhook_app
    from bot.service.metrics import metrics_app
    from bot.wsgi import Router, health_app

    router = Router()
    router.mount("/healthz", health_app(health))
    router.mount("/metrics", metrics_app(metrics))
    secret = settings.github_webhook_secret
    router.mount("/github/webhook", github_webhook_app(secret.get_secret_value() if secret else None,
                                                        pushes.request, pushes.is_watched))
    for platform in platforms:
        for path, app in platform.routes().items():
            router.mount(path, app)
    return router


def _github_stats(source: CommitSource) -> list[tuple[str, str, float]]:
    stats = getattr(source, "stats", None)
    if stats is None:  # a fake source in a test keeps no request counts
        return []
    rows = [("github_requests_total", "GitHub requests made", stats.requests),
            ("github_not_modified_total", "GitHub requests answered 304 (free)", stats.not_modified),
            ("github_rate_limit_waits_total", "Waits for a GitHub rate-limit reset", stats.rate_limit_waits),
            ("github_budget_waits_total", "GitHub requests held back by GITHUB_REQUESTS_PER_MINUTE",
             stats.budget_waits)]
    if stats.rate_limit_remaining is not None:
        rows.append(("github_rate_limit_remaining", "GitHub rate limit remaining", stats.rate_limit_remaining))
    return rows


def _queue_stats(queue: JobQueue) -> list[tuple[str, str, float]]:
    try:
        depth = queue.depth()
    except Exception:  # a scrape must not fail because the queue's database blinked
        log.warning("job queue depth unavailable", exc_info=True)
        return []
    return [(f"jobs_waiting_{name}", f"Jobs waiting on the {name} queue", count) for name, count in depth.items()]


def _analysis_stats(analyser: Analyser) -> list[tuple[str, str, float]]:
    return [(f"analysis_{name}_total", f"Analyser counter: {name}", value)
            for name, value in analyser.counters.snapshot().items()]
