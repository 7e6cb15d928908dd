"""Serve MCP on stdin/stdout."""

from __future__ import annotations

import logging

import anyio

from vigil_mcp.app import build_app
from vigil_mcp.config import Settings
from vigil_mcp.server import build_server

log = logging.getLogger(__name__)


def serve_stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout until the client closes the stream."""
    app = build_app(settings)
    app.knowledge.start_loading()
    try:
        mcp = build_server(app)
        log.info("vigil serving on stdio (store %s)", settings.store)
        anyio.run(mcp.run_stdio_async)
    finally:
        app.close()
