"""The checks every HTTP request passes before any route sees it, and the access log.

In order, for every route (/mcp, /healthz, /metrics, the webhook, and paths that do not exist):

1. `Host` must be one this server answers to (421 otherwise): a page on another site that makes a
   browser resolve its own name to 127.0.0.1 (DNS rebinding) sends its own name as Host.
2. An `Origin`, when sent, must be one of the allowed origins (403 otherwise): a browser names the
   page that makes a cross-site request, even one sent without a CORS preflight (text/plain POST).
3. No credential in the query string (400 saying to use the Authorization header): URLs end up
   in access logs, proxies and browser history.
4. The body is read here, within the route's size limit and the body timeout (see limits.py), and
   handed on; a route never reads more than its limit from the socket.
5. A route may reword its `400` answers: on POST /mcp, the SDK's answer to a body no JSON-RPC parser
   can read (pydantic's text with a URL, or a bare parse error) becomes one clear JSON-RPC error
   (transport/jsonrpc.py). The route answers first, so authentication (401) still comes first.

Each request is logged once, after its answer, with the path but never the query string, and
with any configured secret masked.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil_mcp.transport.limits import Body, Refusal, read_body

log = logging.getLogger("vigil_mcp.transport.access")

# Query parameter names that carry a credential in the conventions of OAuth, API gateways and webhooks.
_CREDENTIAL_NAME = re.compile(r"token|auth|bearer|api[-_]?key|secret|passw|signature|^key$|^sig$", re.IGNORECASE)
_MAX_LOGGED_PATH = 200


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """What the guard allows: hosts, origins, body limits by path, the body timeout, secrets never to log."""

    allowed_hosts: frozenset[str]
    allowed_origins: frozenset[str]
    body_limits: Mapping[str, int]
    default_body_limit: int
    body_timeout: float
    secrets: tuple[str, ...] = field(default=(), repr=False)
    rewords: Mapping[str, Callable[[bytes], bytes | None]] = field(default_factory=dict[str, Any])
    """POST path -> the JSON body to send instead of the route's 400 answer to this request body (None: keep it)."""

    def body_limit(self, path: str) -> int:
        """The largest body a path accepts."""
        return self.body_limits.get(path.rstrip("/") or "/", self.default_body_limit)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def is_allowed(value: str, allowed: frozenset[str]) -> bool:
    """Whether a Host or Origin value is allowed: exact (case-insensitive), or `name:*` for any port."""
    value = value.lower()
    if value in allowed:
        return True
    base, sep, port = value.rpartition(":")
    return bool(sep) and port.isdigit() and f"{base}:*" in allowed


def _query_credential(query: str, secrets: tuple[str, ...]) -> str | None:
    """The name of a query parameter that carries a credential, if any."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if _CREDENTIAL_NAME.search(name):
            return name
        if any(secret in value for secret in secrets):
            return name
    if any(secret in query for secret in secrets):
        return "(raw query)"
    return None


def check_request(scope: Scope, settings: GuardSettings) -> Refusal | None:
    """Why a request is refused before its body is read, or None to go on."""
    host = _header(scope, b"host")
    if host is None or not is_allowed(host, settings.allowed_hosts):
        return Refusal(
            421,
            f"this server does not answer to Host {(host or '(none)')[:100]!r}; an operator can add the name "
            "clients use with --allowed-hosts (VIGIL_ALLOWED_HOSTS)",
        )
    origin = _header(scope, b"origin")
    if origin is not None and not is_allowed(origin, settings.allowed_origins):
        return Refusal(
            403,
            f"cross-origin requests from {origin[:100]!r} are refused; an operator can allow a trusted web "
            "origin with --allowed-origins (VIGIL_ALLOWED_ORIGINS)",
        )
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    name = _query_credential(query, settings.secrets) if query else None
    if name is not None:
        return Refusal(
            400,
            f"credentials in the URL (query parameter {name[:40]!r}) are refused because URLs are logged; "
            "send the token in the Authorization header: 'Authorization: Bearer <token>'",
        )
    return None


def _masked(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text[:_MAX_LOGGED_PATH]


class RequestGuard:
    """ASGI middleware applying `check_request`, the body limits and timeout, and writing the access log."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, read the body, hand on; log the outcome."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        refusal = check_request(scope, self.settings)
        body: Body | Refusal | None = None
        try:
            if refusal is None:
                limit = self.settings.body_limit(str(scope["path"]))
                body = await read_body(receive, list(scope.get("headers", [])), limit, self.settings.body_timeout)
                refusal = body if isinstance(body, Refusal) else None
            if refusal is not None:
                await _refuse(refusal, send_and_note)
            elif isinstance(body, Body) and not body.disconnected:
                reword = self.settings.rewords.get(str(scope["path"])) if scope.get("method") == "POST" else None
                out = send_and_note if reword is None else _rewording(send_and_note, reword, body.data)
                await self.app(scope, _replay(body.data, receive), out)
        finally:
            self._log(scope, status, started, refusal, isinstance(body, Body) and body.disconnected)

    def _log(self, scope: Scope, status: int, started: float, refusal: Refusal | None, gone: bool) -> None:
        client = scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else "-"
        path = _masked(str(scope.get("path", "")), self.settings.secrets)
        millis = (time.perf_counter() - started) * 1000
        if refusal is not None:
            log.warning("%s %s %s %d refused: %s", who, scope.get("method"), path, refusal.status, refusal.message)
        elif gone:
            log.info("%s %s %s client left before its body ended", who, scope.get("method"), path)
        else:
            log.info("%s %s %s %d %.1f ms", who, scope.get("method"), path, status, millis)


async def _refuse(refusal: Refusal, send: Send) -> None:
    """Answer with the refusal and close the connection, so an unread body is never read."""
    await _answer(refusal.status, json.dumps({"error": refusal.message}).encode(), send, close=True)


async def _answer(status: int, body: bytes, send: Send, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _rewording(send: Send, reword: Callable[[bytes], bytes | None], request_body: bytes) -> Send:
    """A send channel that replaces a 400 answer with `reword(request_body)` when that gives one."""
    held: list[Message] = []

    async def rewording_send(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 400:
            held.append(message)
            return
        if not held:
            await send(message)
            return
        held.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answer = reword(request_body)
            if answer is None:
                for kept in held:
                    await send(kept)
            else:
                await _answer(400, answer, send)
            held.clear()

    return rewording_send


def _replay(data: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the body read so far, then waits on the client (for its disconnect)."""
    pending: deque[Message] = deque([{"type": "http.request", "body": data, "more_body": False}])

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replay
