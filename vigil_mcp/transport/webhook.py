"""POST /webhook/messages: the same intake as observe_message, signed with HMAC-SHA256 (transport/signature.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp.app import App
from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.server.tickets import announce
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.transport.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_refusal

WEBHOOK_MAX_BYTES = 256 * 1024
_MESSAGE_FIELDS = {"ticket_id", "role", "author", "text", "ts", "message_id"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def parse_webhook(body: bytes) -> tuple[str, dict[str, Any]]:
    """The event name and its fields, or InputError saying what is wrong with the JSON."""
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError("body must be a JSON object")
    fields = cast(dict[str, Any], data)
    event = fields.pop("event", "message")
    if event == "message":
        unknown = set(fields) - _MESSAGE_FIELDS
        if unknown:
            raise InputError(f"unknown fields {sorted(unknown)}; a message has {sorted(_MESSAGE_FIELDS)}")
        for name in ("ticket_id", "role", "author", "text"):
            if not isinstance(fields.get(name), str):
                raise InputError(f"{name} is required and must be a string")
        for name in ("ts", "message_id"):
            if fields.get(name) is not None and not isinstance(fields[name], str):
                raise InputError(f"{name} must be a string when given")
        return "message", fields
    if event == "resolve":
        if not isinstance(fields.get("ticket_id"), str):
            raise InputError("ticket_id is required and must be a string")
        ids = fields.get("resolution_message_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in cast(list[Any], ids))):
            raise InputError("resolution_message_ids must be a list of strings")
        return "resolve", fields
    raise InputError(f"event must be message or resolve, got {str(event)[:30]!r}")


def register_webhook(mcp: MCPServer[Any], app: App) -> None:
    """POST /webhook/messages: the same intake as observe_message, idempotent on message_id.

    Signed with HMAC-SHA256 when VIGIL_WEBHOOK_SECRET is set (see transport/signature.py); unsigned
    deliveries are accepted only on a loopback bind or with --insecure-no-auth.
    """

    @mcp.custom_route("/webhook/messages", methods=["POST"], include_in_schema=False)
    async def webhook(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        body = await request.body()
        if len(body) > WEBHOOK_MAX_BYTES:
            return _error(413, f"body is {len(body):,} bytes; the limit is {WEBHOOK_MAX_BYTES:,}")
        refusal = webhook_refusal(
            app.settings, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
        )
        if refusal is not None:
            return _error(401, refusal)
        try:
            event, fields = parse_webhook(body)
            if event == "resolve":
                ticket = await anyio.to_thread.run_sync(
                    lambda: app.tickets.resolve(
                        fields["ticket_id"], fields.get("resolution_message_ids"), fields.get("summary")
                    )
                )
                await announce(app, ticket.id, True)
                return JSONResponse({"ticket": ticket.model_dump(mode="json")})
            ts = datetime.fromisoformat(fields["ts"]) if fields.get("ts") else None
            incoming = Incoming(
                fields["ticket_id"], fields["role"], fields["author"], fields["text"], ts, fields.get("message_id")
            )
            result = await anyio.to_thread.run_sync(lambda: app.tickets.observe(incoming))
        except ValueError as exc:  # a bad ts
            return _error(400, f"ts is not an ISO 8601 time: {exc}")
        except InputError as exc:
            return _error(400, str(exc))
        except NotFoundError as exc:
            return _error(404, str(exc))
        if not result.duplicate:
            await announce(app, result.ticket.id, result.suggestion is not None)
        return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.duplicate else 201)
