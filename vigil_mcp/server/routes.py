"""Plain HTTP routes served beside /mcp (unauthenticated by design: health checks)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp import __version__
from vigil_mcp.app import App


def register_routes(mcp: MCPServer[Any], app: App) -> None:
    """GET /healthz: 200 once the index is ready, 503 while it loads."""

    @mcp.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        ready = app.knowledge.ready
        body = {
            "status": "ok" if ready else "starting",
            "version": __version__,
            "index_ready": ready,
            "knowledge_items": app.knowledge.index.n_docs if ready else None,
        }
        return JSONResponse(body, status_code=200 if ready else 503)
