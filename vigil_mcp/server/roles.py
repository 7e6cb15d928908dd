"""Roles on tools/call: read-only tools need `reader`, every other tool `analyst`.

Two roles. `reader` may call read-only tools, read resources and get prompts; `analyst` may also
call every tool that is not read-only (observe_message, send_suggestion_feedback, resolve_ticket, write
diagnostics). The HTTP transport turns bearer tokens into these scopes (transport/auth.py).
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

log = logging.getLogger(__name__)

READER = "reader"
ANALYST = "analyst"
SCOPES: dict[str, list[str]] = {READER: [READER], ANALYST: [READER, ANALYST]}


def required_role(annotations: Any) -> str:
    """`reader` for a tool annotated read-only, `analyst` for every other tool."""
    return READER if annotations is not None and getattr(annotations, "read_only_hint", None) is True else ANALYST


def refusal(tool: str, role: str, token: AccessToken | None) -> CallToolResult:
    """An is_error tools/call result naming the role the caller lacks."""
    has = ", ".join(token.scopes) if token is not None else "no token"
    text = (
        f"{tool} needs the {role} role; this connection's token has: {has}. "
        f'Ask the vigil operator for a token with the {role} role (VIGIL_TOKENS="{role}:<token>"), '
        "or use the read-only tools."
    )
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def register_roles(mcp: MCPServer[Any]) -> None:
    """Check the caller's role on every tools/call (register after every tool is known)."""

    async def check_role(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or ctx.params is None:
            return await call_next(ctx)
        name = dict(ctx.params).get("name")
        tools = {tool.name: tool for tool in await mcp.list_tools()}
        if not isinstance(name, str) or name not in tools:
            return await call_next(ctx)  # the call rules answer unknown names
        role = required_role(tools[name].annotations)
        token = get_access_token()
        if token is None or role not in token.scopes:
            log.warning("refused %s to %s: needs %s", name, token.client_id if token else "anonymous", role)
            return refusal(name, role, token)
        return await call_next(ctx)

    mcp.middleware.append(check_role)
