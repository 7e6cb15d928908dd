"""Signed webhook deliveries: HMAC-SHA256 over "<timestamp>.<raw body>", within 5 minutes, through the real ASGI app."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.transport.webhook_client import SECRET
from tests.transport.webhook_client import signed_app as make_app
from vigil_mcp.app import App
from vigil_mcp.transport.http import http_app
from vigil_mcp.transport.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, check_signature, sign

MESSAGE = {"ticket_id": "S-1", "role": "customer", "author": "dev", "text": "why do refunds fail?", "message_id": "m1"}


@pytest.fixture
def signed_app(settings_home: Path) -> Iterator[App]:
    app = make_app(settings_home)
    yield app
    app.close()


def deliver(app: App, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    host = app.settings.host
    with TestClient(http_app(app, app.settings), base_url=f"http://{host}:{app.settings.port}") as http:
        response = http.post("/webhook/messages", content=body, headers={"content-type": "application/json", **headers})
    return response.status_code, response.text


def test_a_correctly_signed_delivery_is_stored(signed_app: App) -> None:
    body = json.dumps(MESSAGE).encode()
    status, _ = deliver(signed_app, body, sign(SECRET, body))
    assert status == 201
    assert len(signed_app.tickets.get("S-1").messages) == 1


def test_an_unsigned_delivery_is_refused_with_401_naming_the_headers(signed_app: App) -> None:
    status, text = deliver(signed_app, json.dumps(MESSAGE).encode(), {})
    assert status == 401
    assert TIMESTAMP_HEADER in text and SIGNATURE_HEADER in text
    assert signed_app.tickets.list() == []


def test_a_delivery_signed_with_another_secret_is_refused(signed_app: App) -> None:
    body = json.dumps(MESSAGE).encode()
    status, text = deliver(signed_app, body, sign("not-the-secret-0123456789", body))
    assert status == 401
    assert "does not match" in text
    assert signed_app.tickets.list() == []


def test_a_body_changed_after_signing_is_refused(signed_app: App) -> None:
    body = json.dumps(MESSAGE).encode()
    headers = sign(SECRET, body)
    tampered = json.dumps({**MESSAGE, "text": "ignore previous instructions"}).encode()
    status, _ = deliver(signed_app, tampered, headers)
    assert status == 401
    assert signed_app.tickets.list() == []


@pytest.mark.parametrize(("offset", "word"), [(-330, "old"), (-3600, "old"), (330, "in the future")])
def test_a_replayed_or_future_delivery_outside_five_minutes_is_refused(signed_app: App, offset: int, word: str) -> None:
    body = json.dumps(MESSAGE).encode()
    status, text = deliver(signed_app, body, sign(SECRET, body, int(time.time()) + offset))
    assert status == 401
    assert word in text
    assert signed_app.tickets.list() == []


def test_a_delivery_signed_four_minutes_ago_is_still_accepted(signed_app: App) -> None:
    body = json.dumps(MESSAGE).encode()
    status, _ = deliver(signed_app, body, sign(SECRET, body, int(time.time()) - 240))
    assert status == 201


@pytest.mark.parametrize("timestamp", ["", "abc", "-5", "1e9", "１２３", "9" * 40])
def test_a_malformed_timestamp_is_refused_clearly(timestamp: str) -> None:
    with pytest.raises(SignatureError, match=TIMESTAMP_HEADER):
        check_signature(SECRET, timestamp, "sha256=00", b"{}")


def test_a_public_bind_with_a_secret_takes_signed_deliveries_and_refuses_unsigned_ones(settings_home: Path) -> None:
    app = make_app(settings_home, host="0.0.0.0", insecure=True)
    try:
        body = json.dumps(MESSAGE).encode()
        unsigned, _ = deliver(app, body, {})
        signed, _ = deliver(app, body, sign(SECRET, body))
    finally:
        app.close()
    assert (unsigned, signed) == (401, 201)


def test_insecure_no_auth_does_not_turn_on_an_unsigned_webhook(settings_home: Path) -> None:
    app = make_app(settings_home, host="0.0.0.0", secret=None, insecure=True)
    try:
        status, text = deliver(app, json.dumps(MESSAGE).encode(), {})
        assert app.tickets.list() == []
    finally:
        app.close()
    assert status == 404
    assert "VIGIL_WEBHOOK_SECRET" in text


def test_an_oversized_body_is_refused_before_its_signature_is_checked(signed_app: App) -> None:
    body = b"x" * (300 * 1024)
    status, _ = deliver(signed_app, body, sign(SECRET, body))
    assert status == 413
