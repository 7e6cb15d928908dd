"""Serve Streamable HTTP: MCP at /mcp plus the plain routes (/healthz, /metrics, the webhook).

Every request passes the RequestGuard first (guard.py: Host, Origin, no credential in the URL,
body size and time limits); uvicorn runs with a header deadline (limits.py) and without its own
access log, which would write query strings.
"""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn
from starlette.types import ASGIApp

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError
from vigil_mcp.server import build_server
from vigil_mcp.transport.auth import StaticTokenVerifier, auth_settings
from vigil_mcp.transport.guard import GuardSettings, RequestGuard
from vigil_mcp.transport.hosts import base_url, is_loopback, transport_security
from vigil_mcp.transport.jsonrpc import message_error
from vigil_mcp.transport.limits import timed_h11
from vigil_mcp.transport.routes import register_routes
from vigil_mcp.transport.shared import HomeSocket, socket_path
from vigil_mcp.transport.webhook import WEBHOOK_MAX_BYTES, WEBHOOK_PATH

# One JSON-RPC request: a message is at most 64 K characters (up to 4 bytes each in UTF-8) plus its envelope.
MCP_MAX_BODY_BYTES = 512 * 1024
# Every other route (/healthz, /metrics, GET and DELETE /mcp) takes no real body.
OTHER_MAX_BODY_BYTES = 4 * 1024

log = logging.getLogger(__name__)


def check_http_security(settings: Settings) -> None:
    """Refuse to serve other machines without bearer tokens, unless the operator said so explicitly."""
    if is_loopback(settings.host) or settings.tokens or settings.insecure_no_auth:
        return
    raise InputError(
        f"refusing to serve {settings.host}, which other machines can reach, without auth: set "
        'VIGIL_TOKENS="reader:<token>,analyst:<token>" (or tokens_file); or pass --insecure-no-auth if a proxy '
        "in front of vigil authenticates every request"
    )


def guard_settings(settings: Settings) -> GuardSettings:
    """The RequestGuard's allow lists and limits for these settings."""
    security = transport_security(settings)
    secrets = tuple(token for _, token in settings.tokens) + (
        (settings.webhook_secret,) if settings.webhook_secret else ()
    )
    return GuardSettings(
        allowed_hosts=frozenset(h.lower() for h in security.allowed_hosts),
        allowed_origins=frozenset(o.lower() for o in security.allowed_origins),
        body_limits={"/mcp": MCP_MAX_BODY_BYTES, WEBHOOK_PATH: WEBHOOK_MAX_BYTES},
        default_body_limit=OTHER_MAX_BODY_BYTES,
        body_timeout=settings.body_timeout,
        secrets=secrets,
        rewords={"/mcp": reword_mcp_error},
    )


def reword_mcp_error(body: bytes) -> bytes | None:
    """The one-sentence JSON-RPC error for an MCP POST body the SDK refused (None: keep the SDK's answer)."""
    answer = message_error(body.decode("utf-8", "replace"))
    return answer.encode() if answer is not None else None


def http_app(app: App, settings: Settings, share: HomeSocket | None = None) -> ASGIApp:
    """The ASGI app: the guard, then MCP at /mcp (bearer tokens when configured), /healthz, /metrics, the webhook.

    With `share`, the same MCP server also serves the home's socket (other stdio clients, the CLI).
    """
    jobs = [share.serve] if share is not None else []
    if settings.tokens:
        mcp = build_server(app, StaticTokenVerifier(settings.tokens), auth_settings(base_url(settings)), jobs=jobs)
    else:
        mcp = build_server(app, jobs=jobs)
    if share is not None:
        share.attach(mcp)
    register_routes(mcp, app)
    starlette = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=transport_security(settings),
        host=settings.host,
        max_request_body_size=MCP_MAX_BODY_BYTES,
    )
    return RequestGuard(starlette, guard_settings(settings))


def _startup_lines(settings: Settings) -> None:
    if not is_loopback(settings.host):
        log.warning("serving on %s, which is reachable from other machines", settings.host)
        if not settings.allowed_hosts:
            log.warning(
                "only Host %s:%d is answered; add the names clients use with --allowed-hosts",
                settings.host,
                settings.port,
            )
    if settings.insecure_no_auth and not settings.tokens:
        log.warning("--insecure-no-auth: /mcp accepts unauthenticated requests")
    if settings.webhook_secret:
        log.info("webhook on at POST %s: signed application/json deliveries only", WEBHOOK_PATH)
    else:
        log.info(
            "webhook off: POST %s answers 404; to enable it, set VIGIL_WEBHOOK_SECRET and sign each delivery "
            "(SECURITY.md, 'The webhook is signed')",
            WEBHOOK_PATH,
        )


def check_port(settings: Settings) -> None:
    """Bind settings.host:port once and let it go: a port in use is an InputError before anything is served.

    uvicorn then binds it itself, as it always does (the window between the two is microseconds).
    """
    host = settings.host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.create_server((host, settings.port), family=family).close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {settings.port} on {settings.host} is already in use (another vigil serve?); "
                "stop that process or pick another port with --port or VIGIL_PORT"
            ) from None
        raise InputError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None


def serve_http(settings: Settings) -> None:
    """Serve Streamable HTTP on settings.host:settings.port until interrupted."""
    check_http_security(settings)
    check_port(settings)  # before the store opens and before any "serving" line
    app = build_app(settings)
    app.knowledge.start_loading()
    try:
        _startup_lines(settings)
        config = uvicorn.Config(
            http_app(app, settings, HomeSocket(socket_path(settings.home))),
            host=settings.host,
            port=settings.port,
            http=timed_h11(settings.header_timeout),
            ws="none",  # no route speaks WebSocket: an upgrade request is an ordinary request
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,  # RequestGuard logs each request without its query string
            lifespan="on",
        )
        log.info("vigil serving Streamable HTTP on http://%s:%d/mcp", settings.host, settings.port)
        uvicorn.Server(config).run()
    finally:
        app.close()
