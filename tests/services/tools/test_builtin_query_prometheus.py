import json
from pathlib import Path
from typing import Any

import pytest

from tests.services.tools.loopback import HttpServer, Reply, Seen
from vigil_mcp.errors import InputError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data"


def answer(name: str, status: int = 200) -> Reply:
    return Reply(status, json.loads((DATA / name).read_text(encoding="utf-8")))


def prometheus(routes: dict[str, Any]) -> HttpServer:
    return HttpServer(routes)


async def test_an_instant_query_returns_each_series_with_labels_and_value(builtins: ToolRegistry) -> None:
    with prometheus({"/api/v1/query": answer("prometheus_vector.json")}) as server:
        builtins.prometheus_url = server.url("")
        result = await builtins.call("query_prometheus", {"expr": "up", "at": "2015-07-01T20:10:51.781Z"})
    assert (result.query_type, result.result_type, result.series_total) == ("instant", "vector", 2)
    assert [s.metric["job"] for s in result.series] == ["prometheus", "node"]
    assert [s.last for s in result.series] == [1.0, 0.0]
    assert result.series[0].value is not None and result.series[0].value.time == "2015-07-01T20:10:51.781000+00:00"
    assert server.seen[0].query["query"] == ["up"]
    assert server.seen[0].query["time"] == ["1435781451.781"]


async def test_a_range_query_thins_points_but_keeps_min_max_and_the_latest_value(builtins: ToolRegistry) -> None:
    seen: list[Seen] = []

    def reply(request: Seen) -> Reply:
        seen.append(request)
        return answer("prometheus_matrix.json")

    with prometheus({"/api/v1/query_range": reply}) as server:
        builtins.prometheus_url = server.url("") + "/"
        result = await builtins.call(
            "query_prometheus",
            {
                "expr": 'rate(http_requests_total{code="500"}[5m])',
                "start": "1435781430.781",
                "end": "now",
                "step": "15s",
            },
        )
    assert (result.query_type, result.result_type, result.series_total) == ("range", "matrix", 3)
    spiking = result.series[2]
    assert spiking.points == 181 and len(spiking.values) <= 60
    assert spiking.max is not None and spiking.max > 0.4
    assert spiking.last == spiking.max or (spiking.last is not None and spiking.last > 0.4)
    assert spiking.values[-1].time == "2015-07-01T20:55:30.781000+00:00"
    assert seen[0].query["step"] == ["15"] and seen[0].query["start"] == ["1435781430.781"]


async def test_a_scalar_result_comes_back_as_one_sample(builtins: ToolRegistry) -> None:
    with prometheus({"/api/v1/query": answer("prometheus_scalar.json")}) as server:
        builtins.prometheus_url = server.url("")
        result = await builtins.call("query_prometheus", {"expr": "scalar(count(up))"})
    assert result.result_type == "scalar" and result.scalar is not None and result.scalar.value == "2"


async def test_bad_promql_fails_with_prometheus_own_explanation(builtins: ToolRegistry) -> None:
    with prometheus({"/api/v1/query": answer("prometheus_bad_data.json", status=400)}) as server:
        builtins.prometheus_url = server.url("")
        with pytest.raises(DiagnosticFailed, match=r"rejected the query \(bad_data\).*parse error"):
            await builtins.call("query_prometheus", {"expr": "up)"})


async def test_without_a_configured_prometheus_the_error_says_how_to_configure_one(builtins: ToolRegistry) -> None:
    with pytest.raises(DiagnosticFailed, match=r"set prometheus_url in vigil.toml"):
        await builtins.call("query_prometheus", {"expr": "up"})


async def test_mixing_instant_and_range_parameters_is_bad_input(builtins: ToolRegistry) -> None:
    builtins.prometheus_url = "http://127.0.0.1:9"
    with pytest.raises(InputError, match="either at"):
        await builtins.call("query_prometheus", {"expr": "up", "at": "now", "start": "-1h"})
    with pytest.raises(InputError, match="not a time"):
        await builtins.call("query_prometheus", {"expr": "up", "at": "yesterday"})
    with pytest.raises(InputError, match="must be before end"):
        await builtins.call("query_prometheus", {"expr": "up", "start": "now", "end": "now-1h"})
