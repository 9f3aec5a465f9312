"""The Prometheus text exposition of the figures gathered for one scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.ops.service import Figures


class _FiguresCollector(Collector):
    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        sessions = GaugeMetricFamily(
            "ferry_sessions", "Migration sessions by status", labels=["status"]
        )
        for session_status, count in sorted(figures.sessions.items()):
            sessions.add_metric([session_status], count)
        yield sessions

        records = CounterMetricFamily(
            "ferry_records",
            "Records of every session by entity and outcome (session_entities at scrape time)",
            labels=["entity", "outcome"],
        )
        for (entity, outcome), count in sorted(figures.records.items()):
            records.add_metric([entity, outcome], count)
        yield records

        calls = CounterMetricFamily(
            "ferry_vendor_calls",
            "HTTP answers from vendor APIs (sources and Pipedrive) by system and status",
            labels=["system", "status"],
        )
        rate_limited = CounterMetricFamily(
            "ferry_vendor_rate_limited",
            "429 Too Many Requests answers from vendor APIs by system",
            labels=["system"],
        )
        limited: dict[str, int] = {}
        for (system, status), count in sorted(figures.calls.items()):
            calls.add_metric([system, str(status)], count)
            limited.setdefault(system, 0)
            if status == 429:
                limited[system] += count
        for system, count in sorted(limited.items()):
            rate_limited.add_metric([system], count)
        yield calls
        yield rate_limited

        yield CounterMetricFamily(
            "ferry_pipedrive_tokens_spent",
            "Pipedrive API tokens spent by every session (x-token-cost)",
            value=figures.tokens_spent,
        )
        yield GaugeMetricFamily(
            "ferry_queue_jobs",
            "Jobs waiting or deferred in the queue (embedded mode: also running)",
            value=figures.queue_depth,
        )


def exposition(figures: Figures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FiguresCollector(figures))
    return generate_latest(registry)
