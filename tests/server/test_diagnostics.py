import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent, ToolListChangedNotification
from mcp_types import INVALID_PARAMS

from tests.services.tools.loopback import closed_port, listening_port
from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.server import build_server
from vigil_mcp.server.background import Background
from vigil_mcp.server.diagnostics import register_diagnostics

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]
BUILTINS = {"check_http", "lookup_dns", "check_tcp", "check_tls_certificate", "query_prometheus", "check_status_page"}

WRITE_TOOL = '''
from pydantic import BaseModel


class Flushed(BaseModel):
    cache: str
    flushed: bool


def flush_cache(cache: str) -> Flushed:
    """Flush one cache (changes state: served only with --enable-write-tools)."""
    return Flushed(cache=cache, flushed=True)


_vigil_hints = {"flush_cache": {"read_only": False, "destructive": False, "title": "Flush a cache"}}
'''

BIG_TOOL = '''
from pydantic import BaseModel


class Lines(BaseModel):
    count: int
    lines: list[str]


def many_lines(count: int) -> Lines:
    """Return many numbered log lines."""
    return Lines(count=count, lines=[f"line {i}: " + "x" * 80 for i in range(count)])
'''


def tool_file(name: str, answer: str) -> str:
    return f'def {name}(x: int = 0) -> str:\n    """Tool {name}."""\n    return {answer!r}\n'


@contextmanager
def app_with(settings: Settings, **changes: Any) -> Iterator[App]:
    application = build_app(replace(settings, **changes))
    try:
        yield application
    finally:
        application.close()


def save(path: Path, text: str) -> None:
    """Save like an editor does: write a hidden temporary file, then rename it over the target."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


@pytest.mark.parametrize("mode", MODES)
async def test_builtin_diagnostics_are_listed_with_schemas_and_read_only_open_world_hints(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= BUILTINS
    for name in BUILTINS:
        tool = tools[name]
        assert tool.description and len(tool.description) > 40
        assert tool.annotations is not None
        assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint) == (True, False)
        assert tool.annotations.open_world_hint is True
        assert tool.output_schema is not None and "$defs" not in tool.output_schema
        assert not any(p.startswith("_") for p in tool.input_schema["properties"])
    assert tools["check_tcp"].input_schema["required"] == ["host", "port"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_diagnostic_returns_structured_content(app: App, mode: Any) -> None:
    with listening_port() as port:
        async with Client(build_server(app), mode=mode) as client:
            result = await client.call_tool("check_tcp", {"host": "127.0.0.1", "port": port})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["ok"] is True and result.structured_content["address"] == "127.0.0.1"


@pytest.mark.parametrize("mode", MODES)
async def test_a_failing_diagnostic_is_an_error_result_saying_what_to_check(app: App, mode: Any) -> None:
    with closed_port() as port:
        async with Client(build_server(app), mode=mode) as client:
            result = await client.call_tool("check_http", {"url": f"http://127.0.0.1:{port}/"})
            metadata = await client.call_tool("check_tcp", {"host": "169.254.169.254", "port": 80})
    assert result.is_error
    assert text_of(result).startswith(f"check_http: could not connect to http://127.0.0.1:{port}/")
    assert "check_tcp" in text_of(result)
    assert metadata.is_error and "cloud metadata" in text_of(metadata)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("check_tcp", {"host": "127.0.0.1"}, "missing argument 'port'"),
        ("check_tcp", {"host": "127.0.0.1", "port": 80, "colour": "red"}, "unknown argument 'colour'"),
        ("check_tcp", {"host": "127.0.0.1", "port": "eighty"}, "argument 'port': Input should be a valid integer"),
        ("check_http", {"url": "ftp://example.com/"}, "not an http:// or https:// URL"),
    ],
)
async def test_bad_arguments_are_protocol_errors_that_name_the_argument(
    app: App, mode: Any, name: str, arguments: dict[str, Any], message: str
) -> None:
    async with Client(build_server(app), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool(name, arguments)
    assert raised.value.error.code == INVALID_PARAMS
    assert message in raised.value.error.message


@pytest.mark.parametrize("mode", MODES)
async def test_write_tools_are_served_only_with_enable_write_tools(settings: Settings, mode: Any) -> None:
    settings.tools_dir.mkdir()
    (settings.tools_dir / "cache.py").write_text(WRITE_TOOL, encoding="utf-8")
    with app_with(settings) as app:
        async with Client(build_server(app), mode=mode) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            with pytest.raises(MCPError, match=r"not read-only.*--enable-write-tools") as refused:
                await client.call_tool("flush_cache", {"cache": "sessions"})
    assert "flush_cache" not in names and refused.value.error.code == INVALID_PARAMS
    with app_with(settings, enable_write_tools=True) as app:
        async with Client(build_server(app), mode=mode) as client:
            tool = next(t for t in (await client.list_tools()).tools if t.name == "flush_cache")
            result = await client.call_tool("flush_cache", {"cache": "sessions"})
    assert tool.annotations is not None and tool.title == "Flush a cache"
    assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint) == (False, False)
    assert result.structured_content == {"cache": "sessions", "flushed": True}


async def test_tool_patterns_choose_what_is_served(settings: Settings) -> None:
    with app_with(
        settings, tools=("check_*", "lookup_*", "*_knowledge"), exclude_tools=("check_tls_*", "check_status_*")
    ) as app:
        async with Client(build_server(app)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
    # The patterns select among vigil's own tools too.
    assert names == {"check_http", "check_tcp", "lookup_dns", "search_knowledge", "get_knowledge", "add_knowledge"}


@pytest.mark.parametrize("mode", MODES)
async def test_output_over_the_cap_is_truncated_with_a_note_and_still_matches_the_schema(
    settings: Settings, mode: Any
) -> None:
    settings.tools_dir.mkdir()
    (settings.tools_dir / "big.py").write_text(BIG_TOOL, encoding="utf-8")
    with app_with(settings, tool_output_chars=5000) as app:
        async with Client(build_server(app), mode=mode) as client:
            small = await client.call_tool("many_lines", {"count": 3})
            big = await client.call_tool("many_lines", {"count": 1000})
    assert small.structured_content is not None and len(small.structured_content["lines"]) == 3
    assert len(small.content) == 1
    assert not big.is_error and big.structured_content is not None
    assert big.structured_content["count"] == 1000
    assert 0 < len(big.structured_content["lines"]) < 1000
    assert len(text_of(big).split("\n[vigil]")[0]) <= 5000
    note = big.content[-1]
    assert isinstance(note, TextContent) and "over the 5,000-character cap" in note.text


class LegacyListener:
    """A legacy client's message handler that records tools/list_changed notifications."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            self._event.set()

    async def wait(self) -> None:
        with anyio.fail_after(5):
            await self._event.wait()
        self._event = anyio.Event()


@asynccontextmanager
async def changes_heard(client: Client, listener: LegacyListener) -> AsyncIterator[Callable[[], Any]]:
    """Yield `wait()`, which returns once the client is told the tool list changed (by its era's means)."""
    if client.protocol_version != "2026-07-28":
        yield listener.wait
        return
    async with client.listen(tools_list_changed=True) as subscription:

        async def wait() -> None:
            with anyio.fail_after(5):
                await anext(subscription)

        yield wait


@pytest.mark.parametrize("mode", MODES)
async def test_adding_breaking_and_deleting_a_tool_file_updates_connected_clients(app: App, mode: Any) -> None:
    listener = LegacyListener()
    tools_dir = app.settings.tools_dir
    async with Client(build_server(app), mode=mode, message_handler=listener) as client:
        if mode == "legacy":
            capabilities = client.server_capabilities
            assert capabilities is not None and capabilities.tools is not None
            assert capabilities.tools.list_changed is True
        before = {t.name for t in (await client.list_tools()).tools}
        assert "fresh_tool" not in before
        async with changes_heard(client, listener) as wait:
            save(tools_dir / "fresh.py", tool_file("fresh_tool", "v1"))
            await wait()
            assert "fresh_tool" in {t.name for t in (await client.list_tools()).tools}
            assert (await client.call_tool("fresh_tool", {})).structured_content == {"result": "v1"}

            save(tools_dir / "fresh.py", "def fresh_tool(:\n")  # broken: the last good version stays
            save(tools_dir / "other.py", tool_file("other_tool", "o"))
            await wait()
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"fresh_tool", "other_tool"} <= names
            assert (await client.call_tool("fresh_tool", {})).structured_content == {"result": "v1"}
            assert any("not valid Python" in p.problem for p in app.tools.problems())

            save(tools_dir / "fresh.py", tool_file("fresh_tool", "v2"))
            await wait()
            assert (await client.call_tool("fresh_tool", {})).structured_content == {"result": "v2"}

            (tools_dir / "fresh.py").unlink()
            await wait()
            assert "fresh_tool" not in {t.name for t in (await client.list_tools()).tools}


async def test_a_tool_that_breaks_its_own_return_type_gets_an_error_result_naming_the_file(settings: Settings) -> None:
    settings.tools_dir.mkdir()
    source = (
        "from pydantic import BaseModel\n\n\nclass Answer(BaseModel):\n    value: int\n\n\n"
        'def wrong_answer() -> Answer:\n    """Returns the wrong shape."""\n    return {"value": "many"}\n'
    )
    (settings.tools_dir / "wrong.py").write_text(source, encoding="utf-8")
    with app_with(settings) as app:
        async with Client(build_server(app)) as client:
            result = await client.call_tool("wrong_answer", {})
    assert result.is_error
    assert "does not match its declared return type" in text_of(result) and "wrong.py" in text_of(result)


async def test_a_tool_file_cannot_take_the_name_of_one_of_vigils_own_tools(settings: Settings) -> None:
    settings.tools_dir.mkdir()
    (settings.tools_dir / "shadow.py").write_text(tool_file("search_knowledge", "shadowed"), encoding="utf-8")
    with app_with(settings) as app:
        async with Client(build_server(app)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
    assert "query" in tools["search_knowledge"].input_schema["properties"]
    assert set(tools) >= BUILTINS
    with app_with(settings, exclude_tools=("search_knowledge",)) as app:  # excluding the name hides both
        async with Client(build_server(app)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            with pytest.raises(MCPError, match="not served: it matches the --exclude-tools pattern"):
                await client.call_tool("search_knowledge", {"query": "disk full"})
    assert "search_knowledge" not in names and "get_knowledge" in names


async def test_a_tool_file_cannot_take_a_name_registered_after_the_diagnostics(app: App) -> None:
    app.settings.tools_dir.mkdir()
    (app.settings.tools_dir / "late.py").write_text(tool_file("late_tool", "from a file"), encoding="utf-8")
    app.tools.load()
    mcp: MCPServer[Any] = MCPServer("order")
    register_diagnostics(mcp, app, Background())

    @mcp.tool()
    def late_tool() -> str:
        """A tool of vigil's own, registered after the diagnostics."""
        return "vigil's own"

    async with Client(mcp) as client:
        result = await client.call_tool("late_tool", {})
        names = {t.name for t in (await client.list_tools()).tools}
    assert result.structured_content == {"result": "vigil's own"}
    assert names >= BUILTINS
