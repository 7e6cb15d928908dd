"""POST /webhook/messages: the same intake as observe_message, for signed deliveries only.

The route is on only when VIGIL_WEBHOOK_SECRET is set, whatever the bind address: without a
secret any page a browser shows could post into vigil (a cross-site text/plain POST needs no
preflight). With a secret it takes `application/json` bodies whose HMAC-SHA256 signature
(transport/signature.py) is fresh and right; messages are idempotent on message_id and a
repeated resolve answers 200 with the ticket as it stands.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp.app import App
from vigil_mcp.errors import AlreadyResolvedError, InputError, NotFoundError
from vigil_mcp.server.tickets import announce
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.transport.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, check_signature

WEBHOOK_PATH = "/webhook/messages"
WEBHOOK_MAX_BYTES = 256 * 1024
_MESSAGE_FIELDS = frozenset({"ticket_id", "role", "author", "text", "ts", "message_id", "product"})
_RESOLVE_FIELDS = frozenset({"ticket_id", "resolution_message_ids", "summary"})
OFF_MESSAGE = (
    "the webhook is off: start vigil with VIGIL_WEBHOOK_SECRET set and sign each delivery "
    f"({TIMESTAMP_HEADER} and {SIGNATURE_HEADER}, see SECURITY.md)"
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def is_json_content_type(value: str | None) -> bool:
    """Whether a Content-Type names JSON: `application/json`, optionally with `charset=utf-8`."""
    if not value:
        return False
    media, _, params = value.partition(";")
    charset = params.strip().lower().replace(" ", "")
    return media.strip().lower() == "application/json" and charset in {"", "charset=utf-8", 'charset="utf-8"'}


def _check_fields(fields: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        # A name with a newline or a control character is quoted, so the error stays one line.
        names = ", ".join(sorted((n if n.isprintable() else repr(n))[:40] for n in map(str, unknown))[:5])
        raise InputError(f"unknown fields {names}; a {what} has {', '.join(sorted(allowed))}")


def parse_webhook(body: bytes) -> tuple[str, dict[str, Any]]:
    """The event name and its fields, or InputError saying what is wrong with the JSON."""
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"body is not JSON: {exc}") from None
    except RecursionError:
        raise InputError("body is nested too deeply: send one flat JSON object") from None
    if not isinstance(data, dict):
        raise InputError("body must be a JSON object")
    fields = cast(dict[str, Any], data)
    event = fields.pop("event", "message")
    if event == "message":
        _check_fields(fields, _MESSAGE_FIELDS, "message")
        for name in ("ticket_id", "role", "author", "text"):
            if not isinstance(fields.get(name), str):
                raise InputError(f"{name} is required and must be a string")
        for name in ("ts", "message_id", "product"):
            if fields.get(name) is not None and not isinstance(fields[name], str):
                raise InputError(f"{name} must be a string when given")
        if fields.get("ts"):
            try:
                fields["ts"] = datetime.fromisoformat(fields["ts"])
            except ValueError:
                raise InputError(
                    f"ts {fields['ts'][:40]!r} is not an ISO 8601 time such as 2026-11-03T10:00:00Z"
                ) from None
        return "message", fields
    if event == "resolve":
        _check_fields(fields, _RESOLVE_FIELDS, "resolve event")
        if not isinstance(fields.get("ticket_id"), str):
            raise InputError("ticket_id is required and must be a string")
        ids = fields.get("resolution_message_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in cast(list[Any], ids))):
            raise InputError("resolution_message_ids must be a list of strings")
        if fields.get("summary") is not None and not isinstance(fields["summary"], str):
            raise InputError("summary must be a string when given")
        return "resolve", fields
    raise InputError(f"event must be message or resolve, got {str(event)[:30]!r}")


async def _deliver(app: App, event: str, fields: dict[str, Any]) -> Response:
    if event == "resolve":
        try:
            resolution = await anyio.to_thread.run_sync(
                lambda: app.tickets.resolve(
                    fields["ticket_id"], fields.get("resolution_message_ids"), fields.get("summary"), "webhook"
                )
            )
        except AlreadyResolvedError:  # a retried delivery: the ticket is as the first one left it
            view = await anyio.to_thread.run_sync(lambda: app.tickets.get(fields["ticket_id"]))
            return JSONResponse({"ticket": view.ticket.model_dump(mode="json"), "duplicate": True})
        await announce(app, resolution.ticket.id, True)
        body = resolution.model_dump(mode="json")
        return JSONResponse({**body, "duplicate": False})
    incoming = Incoming(
        fields["ticket_id"],
        fields["role"],
        fields["author"],
        fields["text"],
        fields.get("ts"),
        fields.get("message_id"),
        fields.get("product"),
    )
    result = await anyio.to_thread.run_sync(lambda: app.tickets.observe(incoming))
    if not result.duplicate:
        await announce(app, result.ticket.id, result.suggestion is not None)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.duplicate else 201)


def register_webhook(mcp: MCPServer[Any], app: App) -> None:
    """POST /webhook/messages: signed JSON deliveries when a secret is set; otherwise a 404 saying how to enable it."""
    secret = app.settings.webhook_secret

    @mcp.custom_route(WEBHOOK_PATH, methods=["POST"], include_in_schema=False)
    async def webhook(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        if not secret:
            return _error(404, OFF_MESSAGE)
        if not is_json_content_type(request.headers.get("content-type")):
            return _error(415, "send the delivery as JSON with 'Content-Type: application/json'")
        body = await request.body()  # the RequestGuard already read it within WEBHOOK_MAX_BYTES
        if len(body) > WEBHOOK_MAX_BYTES:
            return _error(413, f"body is {len(body):,} bytes; the limit is {WEBHOOK_MAX_BYTES:,}")
        try:
            check_signature(secret, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body)
        except SignatureError as exc:
            return _error(401, str(exc))
        try:
            event, fields = parse_webhook(body)
            return await _deliver(app, event, fields)
        except InputError as exc:
            return _error(400, str(exc))
        except NotFoundError as exc:
            return _error(404, str(exc))
