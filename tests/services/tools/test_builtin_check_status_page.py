import json
from pathlib import Path

import pytest

from tests.services.tools.loopback import HttpServer, Reply
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio

SUMMARY = json.loads((Path(__file__).parent / "data" / "statuspage_summary.json").read_text(encoding="utf-8"))


async def test_status_page_lists_degraded_components_open_incidents_and_running_maintenance(
    builtins: ToolRegistry,
) -> None:
    with HttpServer({"/api/v2/summary.json": Reply(200, SUMMARY)}) as server:
        result = await builtins.call("check_status_page", {"url": server.url("/")})
    assert (result.page, result.indicator) == ("Example Cloud", "minor")
    assert [(c.name, c.status, c.group) for c in result.degraded] == [("Virtual Machines", "partial_outage", "Compute")]
    assert result.components_total == 3
    incident = result.incidents[0]
    assert incident.name == "Elevated VM provisioning failures in eu-west"
    assert incident.latest_update == "We found a faulty storage controller and are failing over."
    assert incident.components == ["Virtual Machines"] and incident.url == "http://stspg.io/example1"
    assert [m.name for m in result.maintenances] == ["DNS control plane upgrade"]
    assert server.seen[0].path == "/api/v2/summary.json"


async def test_status_page_explains_pages_that_are_not_statuspage(builtins: ToolRegistry) -> None:
    not_statuspage = HttpServer({"/api/v2/summary.json": Reply(200, {"hello": "world"})})
    with not_statuspage as server, pytest.raises(DiagnosticFailed, match="not a Statuspage summary"):
        await builtins.call("check_status_page", {"url": server.url("/api/v2/summary.json")})
    with HttpServer({}) as server, pytest.raises(DiagnosticFailed, match="404"):
        await builtins.call("check_status_page", {"url": server.url("/")})
