"""Prometheus metrics: one registry per process, served as text at /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.scrub import scrub_text

_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


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
        # How long each step takes: a poll job (poll and deliver one branch), one analysis, one delivery.
        self.poll_seconds = Histogram("commit_radar_poll_seconds", "Seconds a poll job took (poll and deliver "
                                      "one branch)", buckets=_BUCKETS, registry=self.registry)
        self.analysis_seconds = Histogram("commit_radar_analysis_seconds", "Seconds one analysis took",
                                          ["source"], buckets=_BUCKETS, registry=self.registry)
        self.delivery_seconds = Histogram("commit_radar_delivery_seconds", "Seconds one post to a chat platform took",
                                          ["platform"], buckets=_BUCKETS, registry=self.registry)
        self.last_cycle = Gauge("commit_radar_last_cycle_timestamp_seconds", "When the last poll cycle ended",
                                registry=self.registry)
        self._sources: list[Callable[[], Iterable[tuple[str, str, float]]]] = []
        self.registry.register(_StatsCollector(self._sources))

    def add_stats(self, read: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        """Export (name, help, value) read from a component at scrape time: a counter when the name ends in
        `_total`, else a gauge."""
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
                family: Metric
                if name.endswith("_total"):
                    family = CounterMetricFamily(f"commit_radar_{name.removesuffix('_total')}", help_text,
                                                 value=float(value))
                else:
                    family = GaugeMetricFamily(f"commit_radar_{name}", help_text, value=float(value))
                yield family


def metrics_app(metrics: Metrics) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """`/metrics` as a WSGI app."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body, content_type = metrics.render()
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app
