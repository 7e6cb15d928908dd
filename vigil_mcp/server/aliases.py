"""Deprecated tool names (vigil_mcp.names) answered as their new names on tools/call; never listed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer

from vigil_mcp.names import DEPRECATED_TOOL_NAMES, current_name


def register_aliases(mcp: MCPServer[Any]) -> None:
    """Rewrite a tools/call for an old name to the new one, unless a tool still has the old name.

    Register it first: every later middleware (metrics, roles, call rules) then sees the new name.
    """

    async def resolve_alias(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        name = ctx.params.get("name") if ctx.method == "tools/call" and ctx.params is not None else None
        # A user's own tool may still have an old name: then it is that tool's call.
        if (
            isinstance(name, str)
            and name in DEPRECATED_TOOL_NAMES
            and ctx.params is not None
            and name not in {tool.name for tool in await mcp.list_tools()}
        ):
            return await call_next(replace(ctx, params={**ctx.params, "name": current_name(name)}))
        return await call_next(ctx)

    mcp.middleware.append(resolve_alias)
