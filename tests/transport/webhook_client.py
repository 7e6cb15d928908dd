"""Signed webhook deliveries for tests: the secret, an app that holds it, and a poster through the ASGI app."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.transport.signature import sign

SECRET = "whsec-0123456789abcdef0123456789"


def signed_app(home: Path, host: str = "127.0.0.1", secret: str | None = SECRET, insecure: bool = False) -> App:
    """An app over `home` whose webhook takes deliveries signed with `secret` (none: the webhook is off)."""
    flags: dict[str, object] = {"home": str(home), "host": host, "insecure_no_auth": insecure or None}
    return build_app(load_settings(flags, {"VIGIL_WEBHOOK_SECRET": secret} if secret else {}))


def encode(body: object) -> bytes:
    """A body as the bytes that are sent (bytes are sent as they are)."""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def post_signed(
    http: TestClient, body: object, content_type: str = "application/json", secret: str = SECRET
) -> tuple[int, dict[str, object]]:
    """POST one delivery signed with `secret`; the status and the JSON answer."""
    raw = encode(body)
    headers = {"content-type": content_type, **sign(secret, raw)}
    response = http.post("/webhook/messages", content=raw, headers=headers)
    return response.status_code, response.json()
