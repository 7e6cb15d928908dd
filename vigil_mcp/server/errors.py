"""Map vigil errors onto MCP's two channels: bad requests are protocol errors, failures are results."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from vigil_mcp.errors import InputError, NotFoundError, VigilError

T = TypeVar("T")


def call_service(fn: Callable[[], T]) -> T:
    """Run a service call: InputError -> JSON-RPC invalid params; other VigilError -> is_error result."""
    try:
        return fn()
    except InputError as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
    except VigilError as exc:
        raise ToolError(str(exc)) from None


async def call_service_in_thread(fn: Callable[[], T]) -> T:
    """As `call_service`, off the event loop (for calls that may block on I/O or locks)."""
    return await anyio.to_thread.run_sync(call_service, fn)


def read_resource(fn: Callable[[], str]) -> str:
    """Run a resource read: NotFoundError -> resource not found (invalid params), VigilError -> resource error."""
    try:
        return fn()
    except NotFoundError as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except VigilError as exc:
        raise ResourceError(str(exc)) from None
