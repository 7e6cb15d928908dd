"""POST /webhook/messages on the HTTP app: signed JSON deliveries, the same intake as observe_message."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.transport.webhook_client import SECRET, encode, post_signed, signed_app
from vigil_mcp.app import App
from vigil_mcp.transport.http import http_app
from vigil_mcp.transport.signature import sign
from vigil_mcp.transport.webhook import is_json_content_type

MESSAGE = {"ticket_id": "W-1", "role": "customer", "author": "dev", "text": "why do refunds fail?",
           "message_id": "evt_1", "ts": "2026-11-03T10:00:00+00:00"}  # fmt: skip


@pytest.fixture
def app(settings_home: Path) -> Iterator[App]:
    application = signed_app(settings_home)
    yield application
    application.close()


@pytest.fixture
def http(app: App) -> Iterator[TestClient]:
    with TestClient(http_app(app, app.settings), base_url="http://127.0.0.1:8765") as client:
        yield client


def test_a_delivered_message_is_stored_and_a_retry_stores_nothing_twice(app: App, http: TestClient) -> None:
    status, body = post_signed(http, MESSAGE)
    assert status == 201
    assert body["duplicate"] is False
    status, body = post_signed(http, MESSAGE)
    assert status == 200
    assert body["duplicate"] is True
    assert len(app.tickets.get("W-1").messages) == 1


def test_a_delivery_with_a_product_opens_a_ticket_of_that_product(app: App, http: TestClient) -> None:
    status, body = post_signed(http, {**MESSAGE, "ticket_id": "W-9", "product": "stripe"})
    assert status == 201 and body["ticket"]["product"] == "stripe"
    assert app.tickets.get("W-9").ticket.product == "stripe"


def test_a_resolve_event_resolves_the_ticket_and_a_retried_resolve_answers_200_unchanged(
    app: App, http: TestClient
) -> None:
    post_signed(http, {"ticket_id": "W-2", "role": "customer", "author": "dev", "text": "is the api down?"})
    post_signed(
        http, {"ticket_id": "W-2", "role": "analyst", "author": "sup", "text": "it is back up", "message_id": "a1"}
    )
    resolve = {"event": "resolve", "ticket_id": "W-2", "resolution_message_ids": ["a1"]}
    status, body = post_signed(http, resolve)
    assert status == 200
    assert body["ticket"]["status"] == "resolved"  # type: ignore[index]
    assert body["duplicate"] is False
    first = body["ticket"]
    status, again = post_signed(http, resolve)
    assert status == 200
    assert again["duplicate"] is True
    assert again["ticket"] == first


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
        ([1, 2], 400, "JSON object"),
        ({"ticket_id": "W", "role": "customer", "author": "a"}, 400, "text is required"),
        ({"ticket_id": "W", "role": "wizard", "author": "a", "text": "hi"}, 400, "role 'wizard'"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "colour": 1}, 400, "unknown fields"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "ts": "yesterday"}, 400, "ISO 8601"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "bad \ud800 text"}, 400, "surrogate"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "product": "A B"}, 400, "product 'A B'"),
        ({"ticket_id": "W", "role": "customer", "author": "a", "text": "hi", "product": 7}, 400, "product must be"),
        ({"event": "explode", "ticket_id": "W"}, 400, "event must be"),
        ({"event": "resolve", "ticket_id": "W", "why": "x"}, 400, "unknown fields"),
        ({"event": "resolve", "ticket_id": "W", "summary": {"a": 1}}, 400, "summary must be a string"),
        ({"event": "resolve", "ticket_id": "missing"}, 404, "no ticket"),
    ],
)
def test_bad_deliveries_get_a_clear_error_and_store_nothing(
    app: App, http: TestClient, body: object, status: int, message: str
) -> None:
    got_status, got = post_signed(http, body)
    assert got_status == status
    assert message in str(got["error"])
    assert app.tickets.list() == []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
     "application/json; charset=latin-1", "application/jsonp", ""],
)  # fmt: skip
def test_a_signed_delivery_that_is_not_application_json_is_refused_with_415(
    app: App, http: TestClient, content_type: str
) -> None:
    status, got = post_signed(http, MESSAGE, content_type=content_type)
    assert status == 415
    assert "application/json" in str(got["error"])
    assert app.tickets.list() == []


def test_json_content_types_are_recognised_with_or_without_a_utf8_charset() -> None:
    assert is_json_content_type("application/json")
    assert is_json_content_type("Application/JSON; charset=utf-8")
    assert not is_json_content_type(None)
    assert not is_json_content_type("text/json")


def test_an_oversized_body_is_refused_with_413(app: App, http: TestClient) -> None:
    raw = b"x" * (300 * 1024)
    response = http.post(
        "/webhook/messages", content=raw, headers={"content-type": "application/json", **sign(SECRET, raw)}
    )
    assert response.status_code == 413
    assert app.tickets.list() == []


@pytest.mark.parametrize(("host", "insecure"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_without_a_secret_the_webhook_is_off_on_every_bind_and_says_how_to_enable_it(
    settings_home: Path, host: str, insecure: bool
) -> None:
    app = signed_app(settings_home, host=host, secret=None, insecure=insecure)
    try:
        with TestClient(http_app(app, app.settings), base_url=f"http://{host}:8765") as http:
            response = http.post(
                "/webhook/messages", content=encode(MESSAGE), headers={"content-type": "application/json"}
            )
        assert response.status_code == 404
        assert "VIGIL_WEBHOOK_SECRET" in response.json()["error"]
        assert app.tickets.list() == []
    finally:
        app.close()
