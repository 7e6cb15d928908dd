from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from vigil_mcp.app import App
from vigil_mcp.config import Settings
from vigil_mcp.demo import load_sample
from vigil_mcp.server import build_server
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.transport.http import http_app

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def sample_app(app: App) -> Iterator[App]:
    load_sample(app)
    yield app


def scrape(app: App, settings: Settings) -> tuple[str, Samples]:
    """GET /metrics over the real ASGI app; the content type and every sample, parsed by Prometheus' parser."""
    response = TestClient(http_app(app, settings), base_url="http://127.0.0.1:8765").get("/metrics")
    assert response.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return response.headers["content-type"], samples


def calls(samples: Samples, tool: str, outcome: str) -> float:
    return samples.get(("vigil_tool_calls_total", (("outcome", outcome), ("tool", tool))), 0)


@pytest.mark.parametrize("mode", MODES)
async def test_tool_calls_are_counted_by_name_and_outcome(sample_app: App, settings: Settings, mode: Any) -> None:
    async with Client(build_server(sample_app), mode=mode) as client:
        await client.call_tool("search_knowledge", {"query": "etcdMembersDown"})
        await client.call_tool("search_knowledge", {"query": "disk full", "limit": 2})
        missing = await client.call_tool("get_knowledge", {"id": "kb-0000000000000000"})
        with pytest.raises(MCPError):
            await client.call_tool("search_knowledge", {"query": "   "})
        with pytest.raises(MCPError):
            await client.call_tool("no_such_tool_" + mode, {})

    content_type, samples = scrape(sample_app, settings)

    assert missing.is_error
    assert content_type.startswith("text/plain; version=0.0.4")
    assert calls(samples, "search_knowledge", "ok") == 2
    assert calls(samples, "search_knowledge", "invalid") == 1
    assert calls(samples, "get_knowledge", "error") == 1
    assert calls(samples, "_unknown", "invalid") == 1  # the name a client made up is not a label
    assert not any(labels and "no_such_tool" in str(labels) for _, labels in samples)
    assert samples[("vigil_search_duration_seconds_count", ())] == 2


@pytest.mark.embeddings
async def test_messages_and_suggestions_are_counted_from_the_store(sample_app: App, settings: Settings) -> None:
    tickets = sample_app.tickets
    first = tickets.observe(
        Incoming("T-1", "customer", "ann", "etcdMembersDown fires after the upgrade, one member is down. What now?")
    )
    tickets.observe(Incoming("T-1", "analyst", "bob", "Looking into it."))
    second = tickets.observe(
        Incoming("T-2", "customer", "cy", "The alert KubeAPIErrorBudgetBurn is firing, how do we fix it?")
    )
    assert first.suggestion is not None and second.suggestion is not None
    tickets.feedback(first.suggestion.id, "adopted")
    tickets.feedback(second.suggestion.id, "rejected")

    _, samples = scrape(sample_app, settings)

    assert samples[("vigil_messages_observed_total", (("role", "customer"),))] == 2
    assert samples[("vigil_messages_observed_total", (("role", "analyst"),))] == 1
    assert samples[("vigil_messages_observed_total", (("role", "bot"),))] == 0  # known roles start at 0
    assert samples[("vigil_suggestions_made_total", ())] == 2
    assert samples[("vigil_suggestions", (("status", "adopted"),))] == 1
    assert samples[("vigil_suggestions", (("status", "rejected"),))] == 1
    assert samples[("vigil_suggestions", (("status", "edited"),))] == 0


async def test_metrics_report_knowledge_skills_and_tool_file_problems(app: App, settings: Settings) -> None:
    (settings.tools_dir).mkdir()
    (settings.tools_dir / "broken.py").write_text("def broken(x):\n    return x\n", encoding="utf-8")
    app.tools.load()

    _, samples = scrape(app, settings)

    assert samples[("vigil_tool_file_problems", ())] >= 1
    assert samples[("vigil_tools_served", ())] == samples[("vigil_tools_loaded", ())] == 6
    assert samples[("vigil_skill_problems", ())] == 0
    assert ("vigil_knowledge_index_ready", ()) in samples
