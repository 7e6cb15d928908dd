"""`vigil serve` on stdio answers every line, even one no JSON-RPC parser can read, and goes on serving."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from vigil_mcp.transport.jsonrpc import MAX_DEPTH, json_depth, message_error
from vigil_mcp.transport.stdio import MAX_LINE_BYTES

pytestmark = pytest.mark.anyio

CLIENT = {"name": "t", "version": "1"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT}}  # fmt: skip
PRINTING_TOOL = '''
def noisy_echo(text: str) -> str:
    """Echo text, printing to stdout on the way (a careless tool)."""
    print("stray output that must not reach the wire")
    return text
'''


class Wire:
    """A line-by-line conversation with a `vigil serve` subprocess."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.stdin = process.stdin
        self.stdout = BufferedByteReceiveStream(process.stdout)

    async def send(self, line: bytes) -> None:
        await self.stdin.send(line + b"\n")

    async def answer(self) -> dict[str, Any]:
        with anyio.fail_after(30):
            return json.loads(await self.stdout.receive_until(b"\n", 10 * MAX_LINE_BYTES))


@asynccontextmanager
async def stdio_server(home: Path) -> AsyncIterator[Wire]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")} | {"VIGIL_HOME": str(home)}
    process = await anyio.open_process([sys.executable, "-m", "vigil_mcp", "serve", "--home", str(home)], env=env)
    wire = Wire(process)
    try:
        await wire.send(json.dumps(INIT).encode())
        assert (await wire.answer())["id"] == 1
        await wire.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        yield wire
    finally:
        await process.stdin.aclose() if process.stdin else None
        with anyio.move_on_after(10):
            await process.wait()
        if process.returncode is None:
            process.kill()


def request(request_id: int, method: str, params: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}).encode()


BAD_LINES = [
    (  # a lone surrogate: valid JSON, not text; the client hears back on its request id
        b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", '
        b'"params": {"name": "search_knowledge", "arguments": {"query": "\\ud800"}}}',
        2, -32600, "lone UTF-16 surrogate",
    ),
    (b"[" * 100_000 + b"]" * 100_000, None, -32700, "deeper than"),
    (b"this is not json", None, -32700, "not JSON"),
    (b"{}", None, -32600, "not a JSON-RPC 2.0 message"),
    (b'{"jsonrpc": "2.0", "id": 7, "method": 12}', 7, -32600, "not a JSON-RPC 2.0 message"),
    (b"x" * (MAX_LINE_BYTES + 10), None, -32600, "over 524,288 bytes"),
]  # fmt: skip


async def test_every_bad_line_gets_an_error_answer_and_the_server_goes_on(tmp_path: Path) -> None:
    async with stdio_server(tmp_path) as wire:
        for n, (line, request_id, code, says) in enumerate(BAD_LINES):
            await wire.send(line)
            answer = await wire.answer()
            assert answer["id"] == request_id, says
            assert answer["error"]["code"] == code
            assert says in answer["error"]["message"]
            await wire.send(request(100 + n, "tools/list"))
            assert (await wire.answer())["id"] == 100 + n  # still serving


async def test_a_tool_that_prints_to_stdout_does_not_corrupt_the_wire(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "noisy.py").write_text(PRINTING_TOOL, encoding="utf-8")
    async with stdio_server(tmp_path) as wire:
        await wire.send(request(2, "tools/call", {"name": "noisy_echo", "arguments": {"text": "hello"}}))
        answer = await wire.answer()
    assert answer["id"] == 2
    assert not answer["result"].get("isError"), answer


def test_the_error_for_a_good_message_is_none_and_depth_counting_skips_strings() -> None:
    assert message_error(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})) is None
    assert message_error("   ") is None
    assert json_depth('{"a": "[[[[[[[[", "b": [[1]]}') == 3
    assert json_depth("[" * (MAX_DEPTH + 5)) == MAX_DEPTH + 1
