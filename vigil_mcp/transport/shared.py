"""Many clients, one home: the `vigil serve` that owns the store also serves MCP on a Unix socket in the home.

The first `vigil serve` (stdio or HTTP) opens the store, which DuckDB lets only one process hold.
It listens on HOME/vigil.sock (mode 0600: only its user can connect) and runs, per connection,
the same MCP server session as on stdio. A second `vigil serve` on stdio finds that socket and
relays its stdin/stdout to it byte for byte; the CLI's knowledge commands connect to it as an MCP
client. A connection may start with one header line, `{"vigil_connect": {"read_only": true}}`,
for a relay started with --read-only: that connection then sees no write tool.

Unix sockets only (Linux, macOS); on Windows a second server on the same home fails as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import tempfile
import threading
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import anyio
import anyio.abc
import mcp_types
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.runner import serve_dual_era_loop
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_PARAMS

from vigil_mcp.server.connection import local_client, read_only_client

log = logging.getLogger(__name__)

SOCKET_NAME = "vigil.sock"
SUPPORTED = hasattr(socket, "AF_UNIX") and sys.platform != "win32"
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
_SUN_PATH_BYTES = 100  # AF_UNIX paths are limited to 104-108 bytes, depending on the system
HEADER_KEY = "vigil_connect"


def socket_path(home: Path) -> Path:
    """Where the owner of `home` listens: HOME/vigil.sock, or a private temp folder when that path is too long."""
    path = home / SOCKET_NAME
    if not SUPPORTED or len(os.fsencode(path)) <= _SUN_PATH_BYTES:
        return path
    digest = hashlib.sha256(os.fsencode(home.resolve())).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"vigil-{os.getuid()}" / f"{digest}.sock"


def owner_answers(path: Path, timeout: float = 2.0) -> bool:
    """Whether a running vigil accepts connections on `path`."""
    if not SUPPORTED or not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


# ---- the owner's side ------------------------------------------------------------------------
class _SocketText:
    """A byte stream seen as the text file `stdio_server` reads lines from and writes lines to."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream
        self._buffered = BufferedByteReceiveStream(stream)
        self._first: str | None = None

    def __aiter__(self) -> _SocketText:
        return self

    async def readline(self) -> str | None:
        """One line, or None at the end of the stream (or when a line is over the size limit)."""
        try:
            return (await self._buffered.receive_until(b"\n", MAX_MESSAGE_BYTES)).decode("utf-8", "replace")
        except anyio.DelimiterNotFound:
            log.warning("shared socket: a message over %d bytes; closing that connection", MAX_MESSAGE_BYTES)
            return None
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return None

    def push_back(self, line: str) -> None:
        """Make `line` the next one read again."""
        self._first = line

    async def __anext__(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
            return line
        line = await self.readline()
        if line is None:
            raise StopAsyncIteration
        return line

    async def write(self, text: str) -> None:
        """Send text (one JSON-RPC message and its newline)."""
        await self._stream.send(text.encode("utf-8"))

    async def flush(self) -> None:
        """Nothing to flush: every write is sent."""


def _header(line: str) -> dict[str, Any] | None:
    """The connection options if `line` is a vigil header, else None (it is an MCP message)."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(cast(dict[str, Any], data).get(HEADER_KEY), dict):
        return cast(dict[str, Any], data[HEADER_KEY])
    return None


@dataclass(slots=True)
class HomeSocket:
    """The owner's listener: one MCP session per connection on the same MCPServer, until stopped."""

    path: Path
    mcp: MCPServer[Any] | None = None
    connections: int = 0
    _idle: list[anyio.Event] = field(default_factory=list[anyio.Event])

    async def idle(self) -> None:
        """Return once no relayed client is connected."""
        while self.connections:
            event = anyio.Event()
            self._idle.append(event)
            await event.wait()

    def attach(self, mcp: MCPServer[Any]) -> None:
        """Serve this server (built after the socket is decided) and refuse write tools on read-only connections."""
        self.mcp = mcp
        mcp.middleware.append(_read_only_connections(mcp))

    async def serve(self) -> None:
        """Accept connections until cancelled; the socket file goes with the listener."""
        if not SUPPORTED or self.mcp is None:
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.path.parent.stat().st_uid != os.getuid():
                raise PermissionError(f"{self.path.parent} belongs to another user")
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # a stale socket: this process holds the store, so no other owner listens
            listener = await anyio.create_unix_listener(self.path, mode=0o600)
        except OSError as exc:
            log.warning("not sharing this home with other clients (%s): %s", self.path, exc)
            return
        log.info("sharing this home with other vigil clients on %s", self.path)
        try:
            await listener.serve(self._connection)
        finally:
            with contextlib.suppress(OSError):
                self.path.unlink()

    async def _connection(self, stream: anyio.abc.ByteStream) -> None:
        assert self.mcp is not None
        low: Any = self.mcp._lowlevel_server  # pyright: ignore[reportPrivateUsage]
        self.connections += 1
        try:
            text = _SocketText(stream)
            first = await text.readline()
            if first is None:
                return
            options = _header(first)
            if options is None:
                text.push_back(first)  # no header: the first line is the client's first MCP message
            local_client.set(True)  # the socket is the owner's user's only (mode 0600)
            read_only_client.set(bool((options or {}).get("read_only")))
            async with stdio_server(cast(Any, text), cast(Any, text)) as (read, write):
                await serve_dual_era_loop(
                    low, read, write, lifespan_state={}, init_options=low.create_initialization_options()
                )
        except Exception:
            log.exception("a shared-socket connection failed")
        finally:
            self.connections -= 1
            if not self.connections:
                for event in self._idle:
                    event.set()
                self._idle.clear()
            with contextlib.suppress(Exception):
                await stream.aclose()


def _annotations(tool: dict[str, Any]) -> dict[str, Any]:
    found = tool.get("annotations")
    return cast(dict[str, Any], found) if isinstance(found, dict) else {}


def _read_only_connections(mcp: MCPServer[Any]) -> Any:
    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if not read_only_client.get():
            return await call_next(ctx)
        tools = {tool.name: tool for tool in await mcp.list_tools()}
        if ctx.method == "tools/call" and ctx.params is not None:
            name = ctx.params.get("name")
            tool = tools.get(name) if isinstance(name, str) else None
            if tool is not None and not (tool.annotations and tool.annotations.read_only_hint):
                raise MCPError(
                    code=INVALID_PARAMS,
                    message=f"{name} is not served on this connection: its client started vigil with --read-only",
                )
        result = await call_next(ctx)
        if ctx.method == "tools/list" and isinstance(result, dict) and isinstance(result.get("tools"), list):
            listed = cast(list[dict[str, Any]], result["tools"])
            result["tools"] = [t for t in listed if _annotations(t).get("readOnlyHint") is True]
        return result

    return middleware


# ---- the other clients' side -----------------------------------------------------------------
def relay_stdio(path: Path, *, read_only: bool) -> None:
    """Pipe this process's stdin/stdout to the owner's socket until either side closes."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    if read_only:
        sock.sendall(json.dumps({HEADER_KEY: {"read_only": True}}).encode() + b"\n")
    # Raw descriptors, not sys.stdin's buffered reader: the reading thread may still be blocked in it
    # when the relay ends, and a buffered reader's lock would then stop the interpreter's exit.
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()

    def upstream() -> None:
        try:
            while chunk := os.read(stdin, 65536):
                sock.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    threading.Thread(target=upstream, name="vigil-relay-in", daemon=True).start()
    try:
        while chunk := sock.recv(65536):
            view = memoryview(chunk)
            while view:
                view = view[os.write(stdout, view) :]
    finally:
        sock.close()


@asynccontextmanager
async def socket_client(path: Path) -> AsyncGenerator[tuple[Any, Any]]:
    """An MCP client transport over the owner's socket: (read, write) streams of SessionMessage."""
    stream = await anyio.connect_unix(path)
    incoming_send, incoming = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    outgoing, outgoing_receive = anyio.create_memory_object_stream[SessionMessage](16)
    text = _SocketText(stream)

    async def read_lines() -> None:
        async with incoming_send:
            while (line := await text.readline()) is not None:
                try:
                    message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                except Exception as exc:
                    await incoming_send.send(exc)
                    continue
                await incoming_send.send(SessionMessage(message))

    async def write_lines() -> None:
        async with outgoing_receive:
            async for item in outgoing_receive:
                await text.write(item.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n")

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_lines)
        tg.start_soon(write_lines)
        try:
            yield incoming, outgoing
        finally:
            tg.cancel_scope.cancel()
            await stream.aclose()
