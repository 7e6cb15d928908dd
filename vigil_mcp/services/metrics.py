"""Operational metrics, counted in memory and written in the Prometheus text exposition format (0.0.4).

Hand-written rather than `prometheus_client`: vigil needs three counters and one histogram, and
the rest are numbers read from the store and registries when a scraper asks. A library registry
would be process-global (two servers in one test process would share it) and would need custom
collectors for everything read at scrape time, so it would be more code, not less.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Searches answer from memory in about a millisecond; the top buckets catch a cold or busy index.
SEARCH_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Tool names come from registered tools, but a client can call any name: bound the label set.
MAX_TOOL_LABELS = 500
OTHER_TOOL = "_other"
UNKNOWN_TOOL = "_unknown"

Outcome = Literal["ok", "error", "invalid", "failed"]
Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One line of a family: the metric name's suffix (`_bucket`, `_sum`...), its labels and value."""

    suffix: str
    labels: Labels
    value: float


@dataclass(frozen=True, slots=True)
class Family:
    """A metric family: name, type, help text and samples."""

    name: str
    kind: Kind
    help: str
    samples: Sequence[Sample]


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


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The families as Prometheus text: HELP and TYPE lines, then one line per sample."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sample.labels)
            braces = f"{{{labels}}}" if labels else ""
            lines.append(f"{family.name}{sample.suffix}{braces} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


class Histogram:
    """Cumulative buckets, sum and count of observed values (seconds); safe from any thread."""

    def __init__(self, buckets: Sequence[float]) -> None:
        if list(buckets) != sorted(set(buckets)) or not buckets:
            raise ValueError("histogram buckets must be distinct and increasing")
        self.buckets = tuple(buckets)
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        """Count one observation."""
        with self._lock:
            self._sum += value
            self._count += 1
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[i] += 1
                    break

    def samples(self) -> list[Sample]:
        """The `_bucket` lines (cumulative, ending with +Inf), then `_sum` and `_count`."""
        with self._lock:
            counts, total, count = list(self._counts), self._sum, self._count
        out: list[Sample] = []
        running = 0
        for bound, n in zip(self.buckets, counts, strict=True):
            running += n
            out.append(Sample("_bucket", (("le", _number(bound)),), running))
        out.append(Sample("_bucket", (("le", "+Inf"),), count))
        out.append(Sample("_sum", (), total))
        out.append(Sample("_count", (), count))
        return out


class Metrics:
    """What vigil counts while it runs: tool calls by name and outcome, search latency."""

    def __init__(self, search_buckets: Sequence[float] = SEARCH_BUCKETS) -> None:
        self.search_seconds = Histogram(search_buckets)
        self._tool_calls: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def observe_search(self, seconds: float) -> None:
        """One knowledge search took `seconds` (the KnowledgeService.on_search hook)."""
        self.search_seconds.observe(seconds)

    def tool_call(self, name: str, outcome: Outcome) -> None:
        """Count one tools/call: ok, error (an is_error result), invalid (a protocol error), failed (a crash)."""
        with self._lock:
            names = {n for n, _ in self._tool_calls}
            if name not in names and len(names) >= MAX_TOOL_LABELS:
                name = OTHER_TOOL
            key = (name, outcome)
            self._tool_calls[key] = self._tool_calls.get(key, 0) + 1

    def tool_calls(self) -> dict[tuple[str, str], int]:
        """A copy of the tool call counts, by (name, outcome)."""
        with self._lock:
            return dict(self._tool_calls)

    def families(self, readings: Readings) -> list[Family]:
        """Every family, the counted ones and those read at scrape time."""
        calls = sorted(self.tool_calls().items())

        def by(label: str, values: Mapping[str, int]) -> list[Sample]:
            return [Sample("", ((label, key),), n) for key, n in sorted(values.items())]

        return [
            Family(
                "vigil_messages_observed_total",
                "counter",
                "Dialogue messages stored, by role (customer, analyst, bot).",
                by("role", readings.messages_by_role),
            ),
            Family(
                "vigil_suggestions_made_total",
                "counter",
                "Draft answers vigil has made.",
                [Sample("", (), sum(readings.suggestions_by_status.values()))],
            ),
            Family(
                "vigil_suggestions",
                "gauge",
                "Draft answers by current status: pending, adopted, edited, rejected, expired.",
                by("status", readings.suggestions_by_status),
            ),
            Family(
                "vigil_search_duration_seconds",
                "histogram",
                "Time to answer one knowledge search.",
                self.search_seconds.samples(),
            ),
            Family(
                "vigil_tool_calls_total",
                "counter",
                "MCP tools/call requests by tool and outcome (ok, error, invalid, failed).",
                [Sample("", (("tool", name), ("outcome", outcome)), n) for (name, outcome), n in calls],
            ),
            Family(
                "vigil_knowledge_items",
                "gauge",
                "Knowledge items in the store, by kind.",
                by("kind", readings.knowledge_by_kind),
            ),
            Family(
                "vigil_knowledge_index_ready",
                "gauge",
                "1 once the search index is loaded, 0 while it loads.",
                [Sample("", (), 1 if readings.index_ready else 0)],
            ),
            Family(
                "vigil_skills_loaded",
                "gauge",
                "Skills being served, by status (draft, approved, retired).",
                by("status", readings.skills_by_status),
            ),
            Family(
                "vigil_skill_problems",
                "gauge",
                "Errors in skill files now on disk (the last good version keeps serving); see `vigil skills check`.",
                [Sample("", (), readings.skill_problems)],
            ),
            Family(
                "vigil_tools_loaded",
                "gauge",
                "Diagnostic tools loaded from the tool folders.",
                [Sample("", (), readings.tools_loaded)],
            ),
            Family(
                "vigil_tools_served",
                "gauge",
                "Diagnostic tools the selection serves.",
                [Sample("", (), readings.tools_served)],
            ),
            Family(
                "vigil_tool_file_problems",
                "gauge",
                "Problems in tool files now on disk (such files are skipped); see `vigil tools check`.",
                [Sample("", (), readings.tool_file_problems)],
            ),
        ]

    def exposition(self, readings: Readings) -> str:
        """The whole /metrics page."""
        return render(self.families(readings))
