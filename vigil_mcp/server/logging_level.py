"""logging/setLevel for clients of the 2025 revisions (the capability is gone in 2026-07-28).

vigil logs to stderr and does not stream log records to clients; it accepts the level a client
asks for so that clients which set it unconditionally (the conformance suite, some IDEs) get a
success instead of "method not found".
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import SetLevelRequestParams

log = logging.getLogger(__name__)


def register_logging_level(mcp: MCPServer[Any]) -> None:
    """Answer logging/setLevel with an empty result and remember the level per connection."""
    levels: dict[int, str] = {}

    async def set_level(ctx: Any, params: SetLevelRequestParams) -> dict[str, Any]:
        levels[id(ctx.session)] = params.level
        log.debug("client asked for log level %s", params.level)
        return {}

    low: Any = mcp._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    low.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
