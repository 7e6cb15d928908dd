"""Serve Streamable HTTP: MCP at /mcp plus the plain routes (/healthz, /metrics, the webhook)."""

from __future__ import annotations

import logging

import uvicorn
from starlette.applications import Starlette

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError
from vigil_mcp.server import build_server
from vigil_mcp.transport.auth import StaticTokenVerifier, auth_settings
from vigil_mcp.transport.hosts import base_url, is_loopback, transport_security
from vigil_mcp.transport.routes import register_routes

# One JSON-RPC request: a message is at most 64 K characters (up to 4 bytes each in UTF-8) plus its envelope.
MCP_MAX_BODY_BYTES = 512 * 1024

log = logging.getLogger(__name__)


def check_http_security(settings: Settings) -> None:
    """Refuse to serve other machines without bearer tokens, unless the operator said so explicitly."""
    if is_loopback(settings.host) or settings.tokens or settings.insecure_no_auth:
        return
    raise InputError(
        f"refusing to serve {settings.host}, which other machines can reach, without auth: set "
        'VIGIL_TOKENS="reader:<token>,analyst:<token>" (or tokens_file), and VIGIL_WEBHOOK_SECRET for the '
        "webhook; or pass --insecure-no-auth if a proxy in front of vigil authenticates every request"
    )


def http_app(app: App, settings: Settings) -> Starlette:
    """The ASGI app: MCP at /mcp (bearer tokens when configured) plus /healthz, /metrics and the webhook."""
    if settings.tokens:
        mcp = build_server(app, StaticTokenVerifier(settings.tokens), auth_settings(base_url(settings)))
    else:
        mcp = build_server(app)
    register_routes(mcp, app)
    return mcp.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=transport_security(settings),
        host=settings.host,
        max_request_body_size=MCP_MAX_BODY_BYTES,
    )


def serve_http(settings: Settings) -> None:
    """Serve Streamable HTTP on settings.host:settings.port until interrupted."""
    check_http_security(settings)
    app = build_app(settings)
    app.knowledge.start_loading()
    try:
        if not is_loopback(settings.host):
            log.warning("serving on %s, which is reachable from other machines", settings.host)
        if settings.insecure_no_auth and not settings.tokens:
            log.warning("--insecure-no-auth: /mcp and the webhook accept unauthenticated requests")
        config = uvicorn.Config(
            http_app(app, settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,
            lifespan="on",
        )
        log.info("vigil serving Streamable HTTP on http://%s:%d/mcp", settings.host, settings.port)
        uvicorn.Server(config).run()
    finally:
        app.close()
