"""POST /webhook/messages on the HTTP app: the same intake as observe_message."""

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from vigil_mcp.app import App
from vigil_mcp.transport.http import http_app


@pytest.fixture
def http(app: App) -> Iterator[TestClient]:
    with TestClient(http_app(app, app.settings), base_url="http://127.0.0.1:8765") as client:
        yield client


def post(http: TestClient, body: object) -> tuple[int, dict[str, object]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = http.post("/webhook/messages", content=raw, headers={"content-type": "application/json"})
    return response.status_code, response.json()


def test_a_delivered_message_is_stored_and_a_retry_stores_nothing_twice(app: App, http: TestClient) -> None:
    message = {"ticket_id": "W-1", "role": "customer", "author": "dev", "text": "why do refunds fail?",
               "message_id": "evt_1", "ts": "2026-11-03T10:00:00+00:00"}  # fmt: skip
    status, body = post(http, message)
    assert status == 201
    assert body["duplicate"] is False
    status, body = post(http, message)
    assert status == 200
    assert body["duplicate"] is True
    assert len(app.tickets.get("W-1").messages) == 1


def test_a_resolve_event_resolves_the_ticket(app: App, http: TestClient) -> None:
    post(http, {"ticket_id": "W-2", "role": "customer", "author": "dev", "text": "is the api down?"})
    post(http, {"ticket_id": "W-2", "role": "analyst", "author": "sup", "text": "it is back up", "message_id": "a1"})
    status, body = post(http, {"event": "resolve", "ticket_id": "W-2", "resolution_message_ids": ["a1"]})
    assert status == 200
    assert body["ticket"]["status"] == "resolved"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        ([1, 2], 400, "JSON object"),
        ({"ticket_id": "W", "role": "customer", "author": "a"}, 400, "text is required"),
        ({"ticket_id": "W", "role": "wizard", "author": "a", "text": "hi"}, 400, "role 'wizard'"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "colour": 1}, 400, "unknown fields"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "ts": "yesterday"}, 400, "ISO 8601"),
        ({"event": "explode", "ticket_id": "W"}, 400, "event must be"),
        ({"event": "resolve", "ticket_id": "missing"}, 404, "no ticket"),
    ],
)
def test_bad_deliveries_get_a_clear_error_and_store_nothing(
    app: App, http: TestClient, body: object, status: int, message: str
) -> None:
    got_status, got = post(http, body)
    assert got_status == status
    assert message in str(got["error"])
    assert app.tickets.list() == []


def test_an_oversized_body_is_refused(http: TestClient) -> None:
    response = http.post("/webhook/messages", content=b"x" * (300 * 1024))
    assert response.status_code == 413
