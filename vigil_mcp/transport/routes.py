"""The plain HTTP routes beside /mcp: /healthz and /metrics (unauthenticated by design) and the webhook."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp import __version__
from vigil_mcp.app import App
from vigil_mcp.server.metrics import readings
from vigil_mcp.services.metrics import CONTENT_TYPE
from vigil_mcp.transport.webhook import register_webhook


def register_routes(mcp: MCPServer[Any], app: App) -> None:
    """GET /healthz (200 once the index is ready, 503 while it loads), GET /metrics and the webhook."""

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

    @mcp.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        page = app.metrics.exposition(await readings(app))
        return Response(page, media_type=CONTENT_TYPE)

    register_webhook(mcp, app)
