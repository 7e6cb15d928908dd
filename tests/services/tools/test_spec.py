from collections.abc import Callable
from pathlib import Path

import pytest

from tests.services.tools.loopback import HttpServer, Reply, Seen
from vigil_mcp.errors import InputError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry, load_file

pytestmark = pytest.mark.anyio

WriteTool = Callable[[str, str], Path]

SPEC = """
title = "Service health"
description = "Health checks of one internal service."
url = "{base}/services/{{service}}/health"
select = "data.checks"

[query]
verbose = "{{verbose}}"

[headers]
Authorization = {{ env = "HEALTH_TOKEN", prefix = "Bearer " }}
X-Caller = "vigil {{service}}"

[parameters.service]
description = "Service name."
pattern = "^[a-z0-9 -]+$"

[parameters.verbose]
type = "boolean"
description = "Ask for details."
default = false
"""


def health(request: Seen) -> Reply:
    checks = [{"name": "db", "ok": True}, {"name": "queue", "ok": request.query.get("verbose") == ["true"]}]
    return Reply(200, {"data": {"checks": checks, "service": request.path.split("/")[2]}})


def registry_for(folder: Path, environ: dict[str, str] | None = None) -> ToolRegistry:
    registry = ToolRegistry([folder], environ=environ or {"HEALTH_TOKEN": "t0ken"})
    registry.load()
    return registry


async def test_a_toml_spec_calls_the_url_with_parameters_env_headers_and_returns_the_selected_part(
    write_tool: WriteTool, tmp_path: Path
) -> None:
    with HttpServer({"/services/billing api/health": health}) as server:
        write_tool("service_health.toml", SPEC.format(base=server.url("").rstrip("/")))
        registry = registry_for(tmp_path / "tools")
        tool = registry.get("service_health")
        result = await registry.call("service_health", {"service": "billing api", "verbose": "true"})
    assert tool.hints.read_only and tool.hints.open_world and tool.hints.title == "Service health"
    assert tool.input_schema()["required"] == ["service"]
    assert result.status == 200
    assert result.result == [{"name": "db", "ok": True}, {"name": "queue", "ok": True}]
    request = server.seen[0]
    assert request.path == "/services/billing api/health" and request.query["verbose"] == ["true"]
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["X-Caller"] == "vigil billing api"
    assert result.url.endswith("/services/billing%20api/health")


async def test_a_spec_checks_its_parameters_like_a_python_tool(write_tool: WriteTool, tmp_path: Path) -> None:
    write_tool("service_health.toml", SPEC.format(base="http://127.0.0.1:9"))
    registry = registry_for(tmp_path / "tools")
    with pytest.raises(InputError, match="argument 'service'"):
        await registry.call("service_health", {"service": "../../admin"})
    with pytest.raises(InputError, match="missing argument 'service'"):
        await registry.call("service_health", {})


async def test_a_spec_failure_says_what_went_wrong(write_tool: WriteTool, tmp_path: Path) -> None:
    with HttpServer({"/services/x/health": Reply(500, "database is down")}) as server:
        write_tool("service_health.toml", SPEC.format(base=server.url("").rstrip("/")))
        registry = registry_for(tmp_path / "tools")
        with pytest.raises(DiagnosticFailed, match="answered 500 Internal Server Error: database is down"):
            await registry.call("service_health", {"service": "x"})
        without_token = registry_for(tmp_path / "tools", environ={"OTHER": "1"})
        with pytest.raises(DiagnosticFailed, match="needs the environment variable HEALTH_TOKEN"):
            await without_token.call("service_health", {"service": "x"})
    assert len(server.seen) == 1


async def test_a_spec_select_path_that_is_missing_names_the_keys_that_are_there(
    write_tool: WriteTool, tmp_path: Path
) -> None:
    with HttpServer({"/services/x/health": Reply(200, {"data": {"status": "ok"}})}) as server:
        write_tool("service_health.toml", SPEC.format(base=server.url("").rstrip("/")))
        with pytest.raises(DiagnosticFailed, match=r"no 'checks' at data \(keys there: status\)"):
            await registry_for(tmp_path / "tools").call("service_health", {"service": "x"})


async def test_a_post_spec_is_a_write_tool_unless_it_says_it_only_reads(write_tool: WriteTool, tmp_path: Path) -> None:
    write_tool("purge.toml", 'description = "Purge a CDN path."\nmethod = "POST"\nurl = "http://127.0.0.1:9/purge"\n')
    write_tool(
        "search.toml",
        'description = "Search logs."\nmethod = "POST"\nread_only = true\nurl = "http://127.0.0.1:9/search"\n',
    )
    registry = registry_for(tmp_path / "tools")
    assert registry.get("purge").hints.read_only is False
    assert registry.get("search").hints.read_only is True
    assert [t.name for t in registry.served()] == ["search"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ('description = "x"\nurl = "http://h/"\nurl = "http://i/"\n', "not valid TOML"),
        ('description = "x"\nurl = "http://h/"\ncolour = "blue"\n', "colour: Extra inputs are not permitted"),
        ('url = "http://h/"\n', "description: Field required"),
        ('description = "x"\nurl = "ftp://h/"\n', "is not http(s)"),
        ('description = "x"\nurl = "http://h/{id}"\n', "{id} is used but not declared"),
        ('description = "x"\nurl = "http://h/"\n[parameters.id]\ndescription = "i"\n', "'id' is never used"),
        ('description = "x"\nurl = "http://h/{a"\n', "malformed"),
        ('description = "x"\nurl = "http://h/"\nmethod = "TRACE"\n', "method: Input should be"),
        (
            'description = "x"\nurl = "http://h/{n}"\n[parameters.n]\ndescription = "n"\ntype = "integer"\n'
            'pattern = "^a$"\n',
            "has a pattern but is not a string",
        ),
    ],
)
def test_a_bad_spec_names_the_problem(write_tool: WriteTool, source: str, problem: str) -> None:
    path = write_tool("bad.toml", source)
    loaded = load_file(path, {})
    assert not loaded.ok
    assert any(problem in p.problem for p in loaded.problems), [p.problem for p in loaded.problems]
    assert all(p.file == path for p in loaded.problems)
