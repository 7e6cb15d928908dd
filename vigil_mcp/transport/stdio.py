"""Serve MCP on stdin/stdout, answering every line; as the owner of the home, or relayed to the one that owns it.

If another `vigil serve` owns the home (it holds the store), this one relays its stdin/stdout to
that server's socket (transport/shared.py) instead of failing on the locked store.

The SDK's stdio transport frames and parses the messages; this module feeds it and adds what a
client needs when a line is bad. The SDK alone answers nothing to a line it cannot parse (not
JSON, nested 100,000 deep, a lone UTF-16 surrogate, valid JSON that is no JSON-RPC message), so
the client waits forever. Here each such line gets a JSON-RPC error, with the request's id when
one can be read, and the server goes on:

- a line over MAX_LINE_BYTES is skipped unread past the limit: `-32600`, id null;
- the rest as `transport/jsonrpc.py` says (the same answers as over HTTP).

While serving, fd 0 reads /dev/null and fd 1 writes to stderr, so a stray `print` in a tool file
or a child process cannot corrupt the wire (the SDK does the same for its own streams).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.runner import serve_dual_era_loop
from mcp.server.stdio import stdio_server
from mcp_types import INVALID_REQUEST

from vigil_mcp.app import build_app
from vigil_mcp.config import Settings
from vigil_mcp.errors import StoreError
from vigil_mcp.server import build_server
from vigil_mcp.server.connection import local_client
from vigil_mcp.transport.jsonrpc import error_message, message_error
from vigil_mcp.transport.shared import HomeSocket, owner_answers, relay_stdio, socket_path

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 512 * 1024  # as an MCP request body over HTTP
OWNER_START_SECONDS = 15.0  # how long a second server waits for the first one's socket while it starts


class _Wire:
    """The client's end of stdout: whole lines, one writer at a time, never a string that cannot be encoded."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = anyio.Lock()

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._out.flush()

    async def write(self, text: str) -> None:
        """Write text (the SDK writes one message and its newline per call)."""
        data = text.encode("utf-8", "replace")  # a lone surrogate in a stored string becomes "?", not a crash
        async with self._lock:
            await anyio.to_thread.run_sync(self._write, data)

    async def flush(self) -> None:
        """Every write is flushed already."""


class _CheckedLines:
    """stdin as the SDK reads it (text lines), less the lines it could not answer: those are answered here."""

    def __init__(self, source: BinaryIO, wire: _Wire) -> None:
        self._source = source
        self._wire = wire

    def _read_line(self) -> tuple[bytes, bool] | None:
        """The next line (at most MAX_LINE_BYTES) and whether it was longer; None at end of input."""
        line = self._source.readline(MAX_LINE_BYTES + 1)
        if not line:
            return None
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            return line, False
        while True:  # skip the rest of an oversized line without holding it
            rest = self._source.readline(MAX_LINE_BYTES)
            if not rest or rest.endswith(b"\n"):
                return b"", True

    def __aiter__(self) -> _CheckedLines:
        return self

    async def __anext__(self) -> str:
        while True:
            got = await anyio.to_thread.run_sync(self._read_line, abandon_on_cancel=True)
            if got is None:
                raise StopAsyncIteration
            raw, oversized = got
            if oversized:
                message = f"Invalid request: the line is over {MAX_LINE_BYTES:,} bytes, the limit for one message"
                await self._wire.write(error_message(None, INVALID_REQUEST, message) + "\n")
                continue
            line = raw.decode("utf-8", "replace")  # as the SDK decodes stdin
            answer = message_error(line)
            if answer is None:
                return line
            log.info("answered a stdio line that is not a valid message: %s", answer[:200])
            await self._wire.write(answer + "\n")


@contextmanager
def _claim_stdio() -> Generator[tuple[BinaryIO, BinaryIO]]:
    """Private handles on the wire; fd 0 reads /dev/null and fd 1 goes to stderr until the block ends."""
    sys.stdout.flush()
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    try:
        # closefd=False: a reader thread may still block on the descriptor after serving ends.
        yield os.fdopen(wire_in, "rb", closefd=False), os.fdopen(wire_out, "wb", closefd=False)
    finally:
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)


async def run_stdio(mcp: MCPServer[Any], source: BinaryIO, sink: BinaryIO, home: HomeSocket | None = None) -> None:
    """Serve `mcp` on a pair of binary streams until the input ends (then until `home`'s relayed clients leave).

    One lifespan for stdio and the home's socket, as MCPServer's own run does for stdio alone.
    """
    wire = _Wire(sink)
    lines = _CheckedLines(source, wire)
    low: Any = mcp._lowlevel_server  # pyright: ignore[reportPrivateUsage]  # as MCPServer.run_stdio_async does
    local_client.set(True)  # the client started this process: same user, same machine
    async with low.lifespan(low) as state:
        async with stdio_server(stdin=cast(Any, lines), stdout=cast(Any, wire)) as (read_stream, write_stream):
            options = low.create_initialization_options()
            await serve_dual_era_loop(low, read_stream, write_stream, lifespan_state=state, init_options=options)
        if home is not None and home.connections:
            log.info("stdio client gone; serving %d relayed client(s) until they leave", home.connections)
        if home is not None:
            await home.idle()


def serve_stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout until the client closes the stream, or relay to the home's owner."""
    path = socket_path(settings.home)
    if owner_answers(path):
        return _relay(settings, path)
    try:
        app = build_app(settings)
    except StoreError:
        if not _owner_starting(path):
            raise
        return _relay(settings, path)
    app.knowledge.start_loading()
    try:
        home = HomeSocket(path)
        mcp = build_server(app, local_paths=True, jobs=[home.serve])
        home.attach(mcp)
        log.info("vigil serving on stdio (store %s)", app.knowledge.store.path)
        with _claim_stdio() as (source, sink):
            anyio.run(run_stdio, mcp, source, sink, home)
    finally:
        app.close()


def _owner_starting(path: Path) -> bool:
    """Whether another process holds the store and its socket appears within OWNER_START_SECONDS."""
    deadline = time.monotonic() + OWNER_START_SECONDS
    while time.monotonic() < deadline:
        if owner_answers(path):
            return True
        time.sleep(0.1)  # the owner opens its socket right after its store; a short wait, bounded
    return False


def _relay(settings: Settings, path: Path) -> None:
    if settings.tools or settings.exclude_tools or settings.enable_write_tools:
        log.warning("this home is served by another vigil serve: its tool selection applies, not this one's")
    log.info("another vigil serve owns %s; relaying this client to it over %s", settings.home, path)
    relay_stdio(path, read_only=settings.read_only)
