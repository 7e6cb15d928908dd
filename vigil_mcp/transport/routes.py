"""The plain HTTP routes beside /mcp: /healthz and /metrics (unauthenticated by design) and the webhook."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp import __version__
from vigil_mcp.app import App
from vigil_mcp.errors import StoreError
from vigil_mcp.server.metrics import readings
from vigil_mcp.services.metrics import CONTENT_TYPE
from vigil_mcp.transport.webhook import register_webhook


def register_routes(mcp: MCPServer[Any], app: App) -> None:
    """GET /healthz (200 once the index is ready, 503 while it loads), GET /metrics and the webhook."""

    @mcp.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        ready = app.knowledge.ready
        database = await _database(app)
        reachable = database.get("reachable", True)
        body = {
            "status": ("ok" if reachable else "database unreachable") if ready else "starting",
            "version": __version__,
            "index_ready": ready,
            "knowledge_items": app.knowledge.index.n_docs if ready else None,
            "database": database,
        }
        return JSONResponse(body, status_code=200 if ready and reachable else 503)

    @mcp.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        page = app.metrics.exposition(await readings(app))
        return Response(page, media_type=CONTENT_TYPE)

    register_webhook(mcp, app)


async def _database(app: App) -> dict[str, Any]:
    """The store as /healthz reports it; a shared database is pinged, so a load balancer skips a cut-off replica.

    /healthz is unauthenticated: it names no path, host or user (the replica's log has the details).
    """
    sync = app.replicas
    if sync is None:
        return {"backend": "duckdb"}
    try:
        seconds = await anyio.to_thread.run_sync(sync.store.ping)
    except StoreError:
        return {"backend": "postgresql", "reachable": False, "following_replicas": sync.connected}
    return {"backend": "postgresql", "reachable": True, "latency_ms": round(seconds * 1000, 2),
            "following_replicas": sync.connected, "feed_position": app.knowledge.feed_position}  # fmt: skip
