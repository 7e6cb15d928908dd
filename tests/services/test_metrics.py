import re
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from vigil_mcp.services.metrics import MAX_TOOL_LABELS, OTHER_TOOL, Metrics, Readings

# One sample line of the text format: name, optional {labels}, value (no timestamps from us).
SAMPLE_LINE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? '
    r"(-?[0-9.e+-]+|[+-]Inf|NaN)$"
)

READINGS = Readings(
    messages_by_role={"customer": 7, "analyst": 5, "bot": 0},
    suggestions_by_status={"pending": 1, "adopted": 2, "edited": 1, "rejected": 1, "expired": 0},
    knowledge_by_kind={"runbook": 126, "skill": 15},
    index_ready=True,
    skills_by_status={"approved": 3},
    skill_problems=1,
    tools_loaded=6,
    tools_served=5,
    tool_file_problems=2,
)


def parsed(text: str) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """family name -> (sample name, sorted labels) -> value, as Prometheus' own parser reads it."""
    out: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}
    return out


def test_the_page_parses_as_prometheus_text_with_every_family_and_a_type_line_each() -> None:
    metrics = Metrics()
    metrics.observe_search(0.0008)
    metrics.tool_call("search_knowledge", "ok")
    text = metrics.exposition(READINGS)

    families = parsed(text)

    assert text.endswith("\n")
    for line in text.splitlines():
        assert line.startswith(("# HELP ", "# TYPE ")) or SAMPLE_LINE.match(line), line
    # prometheus_client names counter families without their _total suffix
    assert {"vigil_messages_observed", "vigil_suggestions_made", "vigil_suggestions", "vigil_tool_calls"} <= set(
        families
    )
    assert families["vigil_messages_observed"][("vigil_messages_observed_total", (("role", "customer"),))] == 7
    assert families["vigil_suggestions_made"][("vigil_suggestions_made_total", ())] == 5
    assert families["vigil_suggestions"][("vigil_suggestions", (("status", "adopted"),))] == 2
    assert families["vigil_knowledge_items"][("vigil_knowledge_items", (("kind", "runbook"),))] == 126
    assert families["vigil_skill_problems"][("vigil_skill_problems", ())] == 1
    assert families["vigil_tool_file_problems"][("vigil_tool_file_problems", ())] == 2
    key = ("vigil_tool_calls_total", (("outcome", "ok"), ("tool", "search_knowledge")))
    assert families["vigil_tool_calls"][key] == 1


def test_search_latency_histogram_has_cumulative_buckets_ending_in_inf_with_sum_and_count() -> None:
    metrics = Metrics()
    for seconds in (0.0004, 0.0009, 0.003, 7.0):
        metrics.observe_search(seconds)

    samples = parsed(metrics.exposition(Readings()))["vigil_search_duration_seconds"]

    bucket = {dict(labels)["le"]: v for (name, labels), v in samples.items() if name.endswith("_bucket")}
    assert bucket["0.0005"] == 1
    assert bucket["0.001"] == 2
    assert bucket["0.005"] == 3
    assert bucket["2.5"] == 3
    assert bucket["+Inf"] == 4
    counts = list(bucket.values())
    assert counts == sorted(counts)
    assert samples[("vigil_search_duration_seconds_count", ())] == 4
    assert samples[("vigil_search_duration_seconds_sum", ())] == pytest.approx(7.0043)


def test_label_values_are_escaped_so_the_page_still_parses() -> None:
    metrics = Metrics()
    metrics.tool_call('we"ird\\na\nme', "ok")

    family = parsed(metrics.exposition(Readings()))["vigil_tool_calls"]

    assert [dict(labels)["tool"] for _, labels in family] == ['we"ird\\na\nme']


def test_two_metrics_objects_count_apart() -> None:
    first, second = Metrics(), Metrics()
    first.tool_call("get_ticket", "ok")
    assert first.tool_calls() == {("get_ticket", "ok"): 1} and second.tool_calls() == {}


def test_tool_call_counts_survive_concurrent_increments_from_threads() -> None:
    metrics = Metrics()

    def hammer() -> None:
        for _ in range(2000):
            metrics.tool_call("check_http", "ok")
            metrics.observe_search(0.001)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert metrics.tool_calls() == {("check_http", "ok"): 16_000}
    histogram = parsed(metrics.exposition(Readings()))["vigil_search_duration_seconds"]
    assert histogram[("vigil_search_duration_seconds_count", ())] == 16_000


def test_tool_names_beyond_the_label_budget_are_counted_as_other() -> None:
    metrics = Metrics()
    for i in range(MAX_TOOL_LABELS + 10):
        metrics.tool_call(f"tool_{i}", "invalid")

    calls = metrics.tool_calls()

    assert len({name for name, _ in calls}) == MAX_TOOL_LABELS + 1
    assert calls[(OTHER_TOOL, "invalid")] == 10
