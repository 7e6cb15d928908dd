"""Two `vigil serve --http` replicas on one PostgreSQL database, through real MCP clients on both eras.

What one replica is told, the other knows: tickets, resource updates, knowledge. A replica cut off
from the database says so on /healthz, refuses writes with a sentence that says what happened, keeps
answering searches from memory, and recovers by itself when the database is back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from mcp import Client

from tests.conftest import database_url
from tests.security.live import Live, serve
from tests.server.test_tickets_tools import Updates

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
DATABASE = "vigil_replicas_http"


@pytest.fixture(scope="module")
def replicas(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')  # pyright: ignore[reportArgumentType]
        con.execute(f'CREATE DATABASE "{DATABASE}"')  # pyright: ignore[reportArgumentType]
    env = {"VIGIL_STORE": database_url(postgres_server, DATABASE)}
    root = tmp_path_factory.mktemp("replicas")
    (root / "a").mkdir()
    (root / "b").mkdir()
    with serve(root / "a", env) as a, serve(root / "b", env) as b:
        for live in (a, b):
            _wait_following(live)
        yield a, b
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')  # pyright: ignore[reportArgumentType]


def _health(live: Live) -> httpx.Response:
    return httpx.get(f"{live.url}/healthz", timeout=10)


def _wait_following(live: Live, timeout: float = 60.0) -> None:
    """Until the replica listens to the others (its /healthz says so)."""
    deadline = time.monotonic() + timeout
    while not _health(live).json()["database"].get("following_replicas"):
        assert time.monotonic() < deadline, f"{live.url} never started following the other replicas"
        time.sleep(0.05)


def _observe(ticket: str, text: str, message_id: str) -> dict[str, Any]:
    return {"ticket_id": ticket, "role": "customer", "author": "kim", "text": text, "message_id": message_id}


@pytest.mark.parametrize("mode", MODES)
async def test_a_ticket_observed_through_one_replica_is_read_through_the_other(
    replicas: tuple[Live, Live], mode: Any
) -> None:
    a, b = replicas
    ticket = f"R-{mode}"
    async with Client(f"{a.url}/mcp", mode=mode) as on_a, Client(f"{b.url}/mcp", mode=mode) as on_b:
        await on_a.call_tool("observe_message", _observe(ticket, "Is the API down for everyone?", "m1"))
        again = await on_b.call_tool("observe_message", _observe(ticket, "Is the API down for everyone?", "m1"))
        assert (again.structured_content or {})["duplicate"] is True  # a retry through the other replica
        view = await on_b.call_tool("get_ticket", {"id": ticket})
    messages = (view.structured_content or {})["messages"]
    assert [m["message_id"] for m in messages] == ["m1"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_subscribed_on_one_replica_hears_of_a_change_made_on_the_other(
    replicas: tuple[Live, Live], mode: Any
) -> None:
    a, b = replicas
    ticket = f"S-{mode}"
    uri = f"vigil://tickets/{ticket}"
    async with Client(f"{a.url}/mcp") as on_a:
        await on_a.call_tool("observe_message", _observe(ticket, "Our nightly export job failed again", "m1"))
        if mode == "auto":
            async with Client(f"{b.url}/mcp") as on_b, on_b.listen(resource_subscriptions=[uri]) as sub:
                assert uri in (sub.honored.resource_subscriptions or [])
                await on_a.call_tool("observe_message", _observe(ticket, "It failed at 03:00 UTC", "m2"))
                with anyio.fail_after(5):
                    event = await anext(sub)
            assert getattr(event, "uri", None) == uri
        else:
            updates = Updates()
            async with Client(f"{b.url}/mcp", mode="legacy", message_handler=updates) as on_b:
                await on_b.list_tools()  # the replica learns of this legacy session as its requests pass
                await on_a.call_tool("observe_message", _observe(ticket, "It failed at 03:00 UTC", "m2"))
                with anyio.fail_after(5):
                    while uri not in updates.uris:
                        await updates.event.wait()
                        updates.event = anyio.Event()


async def test_a_replica_cut_off_from_the_database_refuses_writes_and_recovers(
    replicas: tuple[Live, Live], postgres_server: str
) -> None:
    a, _ = replicas
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{DATABASE}" WITH ALLOW_CONNECTIONS false')  # pyright: ignore[reportArgumentType]
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DATABASE])
    try:
        health = _health(a)
        assert health.status_code == 503
        assert health.json()["status"] == "database unreachable"
        async with Client(f"{a.url}/mcp") as client:
            refused = await client.call_tool("observe_message", _observe("D-1", "Is billing down?", "d1"))
            assert refused.is_error
            text = getattr(refused.content[0], "text", "")
            assert "unreachable" in text and "refuses writes until it is back" in text
            search = await client.call_tool("search_knowledge", {"query": "billing"})
            assert not search.is_error  # searches are answered from memory meanwhile
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{DATABASE}" WITH ALLOW_CONNECTIONS true')  # pyright: ignore[reportArgumentType]
    deadline = time.monotonic() + 45
    while _health(a).status_code != 200:
        assert time.monotonic() < deadline, "the replica did not recover when the database came back"
        time.sleep(0.1)
    async with Client(f"{a.url}/mcp") as client:
        stored = await client.call_tool("observe_message", _observe("D-1", "Is billing down?", "d1"))
        assert not stored.is_error
        assert (stored.structured_content or {})["duplicate"] is False  # the refused one was never stored
    _wait_following(a)
