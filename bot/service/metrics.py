"""Prometheus metrics: one registry per process, served as text at /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.scrub import scrub_text


class Metrics:
    """The bot's counters; components with their own stats are read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter("commit_radar_polls", "Branch polls by outcome", ["outcome"], registry=self.registry)
        self.cycles = Counter("commit_radar_poll_cycles", "Completed poll cycles", registry=self.registry)
        self.new_commits = Counter("commit_radar_new_commits", "New commits found by polling", registry=self.registry)
        self.analyses = Counter("commit_radar_analyses", "Analyses made, by source", ["source"], registry=self.registry)
        self.deliveries = Counter("commit_radar_deliveries", "Messages delivered", ["platform", "kind"],
                                  registry=self.registry)
        self.given_up = Counter("commit_radar_deliveries_given_up", "Deliveries that failed for good (refused, or "
                                "still failing when their retry time ran out)", ["platform", "kind"],
                                registry=self.registry)
        self.errors = Counter("commit_radar_errors", "Errors by kind", ["kind"], registry=self.registry)
        self.poll_interval = Gauge("commit_radar_poll_interval_effective_seconds",
                                   "Seconds between two polls of a branch: POLL_INTERVAL, or longer when the watched "
                                   "branches do not fit GITHUB_REQUESTS_PER_MINUTE", registry=self.registry)
        self.last_cycle = Gauge("commit_radar_last_cycle_timestamp_seconds", "When the last poll cycle ended",
                                registry=self.registry)
        self._sources: list[Callable[[], Iterable[tuple[str, str, float]]]] = []
        self.registry.register(_StatsCollector(self._sources))

    def add_stats(self, read: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        """Export (name, help, value) gauges read from a component at scrape time."""
        self._sources.append(read)

    def render(self) -> tuple[bytes, str]:
        """The exposition text (label values scrubbed: some name upstream errors) and its content type."""
        return scrub_text(generate_latest(self.registry).decode()).encode(), CONTENT_TYPE_LATEST


class _StatsCollector:
    def __init__(self, sources: list[Callable[[], Iterable[tuple[str, str, float]]]]) -> None:
        self._sources = sources

    def collect(self) -> Iterable[Metric]:
        for read in self._sources:
            for name, help_text, value in read():
                family = GaugeMetricFamily(f"commit_radar_{name}", help_text)
                family.add_metric([], float(value))
                yield family


def metrics_app(metrics: Metrics) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """`/metrics` as a WSGI app."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body, content_type = metrics.render()
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app
