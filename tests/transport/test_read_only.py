"""--read-only hides every tool that is not read-only, on stdio and on Streamable HTTP alike."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import Tool

from tests.transport.test_transports import _free_port, _wait_healthy
from vigil_mcp.app import App
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio
WRITES = {"observe_message", "send_suggestion_feedback", "resolve_ticket", "add_knowledge"}


def _check(tools: list[Tool]) -> None:
    names = {t.name for t in tools}
    assert not names & WRITES
    assert {"search_knowledge", "get_ticket", "check_http", "get_skill"} <= names
    assert all(t.annotations is not None and t.annotations.read_only_hint is True for t in tools)


async def test_read_only_over_stdio_serves_no_write_tool_and_says_so(settings_home: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vigil_mcp", "serve", "--read-only", "--enable-write-tools"],
        env={**os.environ, "VIGIL_HOME": str(settings_home), "VIGIL_LOG_LEVEL": "WARNING"},
    )
    async with Client(params) as client:
        _check(list((await client.list_tools()).tools))
        result = await client.call_tool("search_knowledge", {"query": "disk full"})
    assert not result.is_error


async def test_read_only_over_http_serves_no_write_tool(settings_home: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--port", str(port), "--read-only"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "VIGIL_HOME": str(settings_home)},
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            _check(list((await client.list_tools()).tools))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_read_only_instructions_say_write_tools_are_off(app: App) -> None:
    from dataclasses import replace

    app.settings = replace(app.settings, read_only=True)
    mcp = build_server(app)
    assert mcp.instructions is not None and "This server runs read-only" in mcp.instructions
