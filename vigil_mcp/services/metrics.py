"""Operational metrics, counted while vigil runs and written by prometheus_client in the text exposition format.

Each Metrics has a registry of its own (two servers in one process do not share counts): tool
calls and search latency are counted as they happen; numbers read from the store and registries
(`Readings`) are collected when a scraper asks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

prometheus_client.disable_created_metrics()  # no *_created series: scrapers here never used them

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes
# Searches answer from memory in about a millisecond; the top buckets catch a cold or busy index.
SEARCH_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Tool names come from registered tools, but a client can call any name: bound the label set.
MAX_TOOL_LABELS = 500
OTHER_TOOL = "_other"
UNKNOWN_TOOL = "_unknown"

Outcome = Literal["ok", "error", "invalid", "failed"]


@dataclass(frozen=True, slots=True)
class Readings:
    """Numbers read from the store and the registries when the scrape happens."""

    messages_by_role: Mapping[str, int] = field(default_factory=dict[str, int])
    suggestions_by_status: Mapping[str, int] = field(default_factory=dict[str, int])
    knowledge_by_kind: Mapping[str, int] = field(default_factory=dict[str, int])
    index_ready: bool = False
    skills_by_status: Mapping[str, int] = field(default_factory=dict[str, int])
    skill_problems: int = 0
    tools_loaded: int = 0
    tools_served: int = 0
    tool_file_problems: int = 0


def _by(family: GaugeMetricFamily | CounterMetricFamily, values: Mapping[str, int]) -> Metric:
    for key, n in sorted(values.items()):
        family.add_metric([key], n)
    return family


def _gauge(name: str, text: str, value: float) -> Metric:
    return GaugeMetricFamily(name, text, value=value)


class _ReadingsCollector(Collector):
    """The families read at scrape time."""

    def __init__(self, readings: Readings) -> None:
        self._r = readings

    def collect(self) -> Iterator[Metric]:
        r = self._r
        yield _by(
            CounterMetricFamily(
                "vigil_messages_observed",
                "Dialogue messages stored, by role (customer, analyst, bot).",
                labels=["role"],
            ),
            r.messages_by_role,
        )
        yield CounterMetricFamily(
            "vigil_suggestions_made", "Draft answers vigil has made.", value=sum(r.suggestions_by_status.values())
        )
        yield _by(
            GaugeMetricFamily(
                "vigil_suggestions",
                "Draft answers by current status: pending, adopted, edited, rejected, expired.",
                labels=["status"],
            ),
            r.suggestions_by_status,
        )
        yield _by(
            GaugeMetricFamily("vigil_knowledge_items", "Knowledge items in the store, by kind.", labels=["kind"]),
            r.knowledge_by_kind,
        )
        yield _gauge(
            "vigil_knowledge_index_ready", "1 once the search index is loaded, 0 while it loads.", r.index_ready
        )
        yield _by(
            GaugeMetricFamily(
                "vigil_skills_loaded", "Skills being served, by status (draft, approved, retired).", labels=["status"]
            ),
            r.skills_by_status,
        )
        yield _gauge(
            "vigil_skill_problems",
            "Errors in skill files now on disk (the last good version keeps serving); see `vigil skills check`.",
            r.skill_problems,
        )
        yield _gauge("vigil_tools_loaded", "Diagnostic tools loaded from the tool folders.", r.tools_loaded)
        yield _gauge("vigil_tools_served", "Diagnostic tools the selection serves.", r.tools_served)
        yield _gauge(
            "vigil_tool_file_problems",
            "Problems in tool files now on disk (such files are skipped); see `vigil tools check`.",
            r.tool_file_problems,
        )


class _Both(Collector):
    def __init__(self, *parts: CollectorRegistry | Collector) -> None:
        self._parts = parts

    def collect(self) -> Iterator[Metric]:
        for part in self._parts:
            yield from part.collect()


class Metrics:
    """What vigil counts while it runs: tool calls by name and outcome, search latency."""

    def __init__(self, search_buckets: Sequence[float] = SEARCH_BUCKETS) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.search_seconds = Histogram(
            "vigil_search_duration_seconds",
            "Time to answer one knowledge search.",
            buckets=search_buckets,
            registry=self.registry,
        )
        self._calls = Counter(
            "vigil_tool_calls",
            "MCP tools/call requests by tool and outcome (ok, error, invalid, failed).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def observe_search(self, seconds: float) -> None:
        """One knowledge search took `seconds` (the KnowledgeService.on_search hook)."""
        self.search_seconds.observe(seconds)

    def tool_call(self, name: str, outcome: Outcome) -> None:
        """Count one tools/call: ok, error (an is_error result), invalid (a protocol error), failed (a crash)."""
        with self._lock:
            if name not in self._names:
                if len(self._names) >= MAX_TOOL_LABELS:
                    name = OTHER_TOOL
                self._names.add(name)
        self._calls.labels(tool=name, outcome=outcome).inc()

    def tool_calls(self) -> dict[tuple[str, str], int]:
        """The tool call counts so far, by (name, outcome)."""
        return {
            (s.labels["tool"], s.labels["outcome"]): int(s.value)
            for family in self._calls.collect()
            for s in family.samples
            if s.name.endswith("_total")
        }

    def exposition(self, readings: Readings) -> str:
        """The whole /metrics page: the counted families and those read now."""
        page = CollectorRegistry(auto_describe=False)
        page.register(_Both(self.registry, _ReadingsCollector(readings)))
        return generate_latest(page).decode("utf-8")
