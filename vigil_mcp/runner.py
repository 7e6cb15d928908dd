"""Run the server on a transport: stdio or Streamable HTTP (with /healthz)."""

from __future__ import annotations

import ipaddress
import logging

import anyio
import uvicorn
from mcp.server.transport_security import TransportSecuritySettings

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError
from vigil_mcp.server import build_server
from vigil_mcp.server.auth import StaticTokenVerifier, auth_settings

# One JSON-RPC request: a message is at most 64 K characters (up to 4 bytes each in UTF-8) plus its envelope.
MCP_MAX_BODY_BYTES = 512 * 1024

log = logging.getLogger(__name__)


def _start(settings: Settings) -> App:
    app = build_app(settings)
    app.knowledge.start_loading()
    return app


def serve_stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout until the client closes the stream."""
    app = _start(settings)
    try:
        mcp = build_server(app)
        log.info("vigil serving on stdio (store %s)", settings.store)
        anyio.run(mcp.run_stdio_async)
    finally:
        app.close()


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts local connections."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection with explicit hosts and origins, whatever the bind address."""
    host, port = settings.host, settings.port
    names = {host, "127.0.0.1", "localhost", "[::1]"} if is_loopback(host) else {host}
    allowed_hosts = sorted({f"{n}:{port}" for n in names} | names | set(settings.allowed_hosts))
    allowed_origins = sorted(
        {f"http://{n}:{port}" for n in names} | {f"https://{n}:{port}" for n in names} | set(settings.allowed_origins)
    )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins
    )


def base_url(settings: Settings) -> str:
    """The server's own URL (its OAuth issuer and resource identifier)."""
    host = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
    return f"http://{host}:{settings.port}"


def check_http_security(settings: Settings) -> None:
    """Refuse to serve other machines without bearer tokens, unless the operator said so explicitly."""
    if is_loopback(settings.host) or settings.tokens or settings.insecure_no_auth:
        return
    raise InputError(
        f"refusing to serve {settings.host}, which other machines can reach, without auth: set "
        'VIGIL_TOKENS="reader:<token>,analyst:<token>" (or tokens_file), and VIGIL_WEBHOOK_SECRET for the '
        "webhook; or pass --insecure-no-auth if a proxy in front of vigil authenticates every request"
    )


def http_app(app: App, settings: Settings):
    """The ASGI app: MCP at /mcp (bearer tokens when configured) plus /healthz, /metrics and the webhook."""
    if settings.tokens:
        mcp = build_server(app, StaticTokenVerifier(settings.tokens), auth_settings(base_url(settings)))
    else:
        mcp = build_server(app)
    return mcp.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=transport_security(settings),
        host=settings.host,
        max_request_body_size=MCP_MAX_BODY_BYTES,
    )


def serve_http(settings: Settings) -> None:
    """Serve Streamable HTTP on settings.host:settings.port until interrupted."""
    check_http_security(settings)
    app = _start(settings)
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
