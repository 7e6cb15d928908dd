"""Two replicas on one PostgreSQL database, in one test: what one writes, the other sees, once and in order.

Each replica keeps its knowledge in a DuckDB file of its own here; the tickets are what they share.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import tickets_on_postgres
from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.errors import InputError
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.storage.postgres import PostgresStore

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def two(postgres_url: str, tmp_path: Path) -> Iterator[tuple[App, App]]:
    apps: list[App] = []
    stores: list[PostgresStore] = []
    for name in ("a", "b"):
        home = tmp_path / name
        home.mkdir()
        apps.append(build_app(load_settings({"home": str(home)}, environ={})))
        stores.append(tickets_on_postgres(apps[-1], postgres_url))
    yield apps[0], apps[1]
    for app, store in zip(apps, stores, strict=True):
        app.close()
        store.close()


def doc(source: str, title: str, body: str) -> Document:
    """A one-chunk document."""
    return Document(source, title, [Chunk(title, "", body)])


def turn(n: int, ticket: str = "T-1", mid: str | None = None) -> Incoming:
    role = "customer" if n % 2 == 0 else "analyst"
    return Incoming(ticket, role, role, f"turn {n} about the disk on node-7", T0 + timedelta(seconds=n), mid)


def test_a_message_observed_on_one_replica_is_in_the_ticket_on_the_other(two: tuple[App, App]) -> None:
    a, b = two
    a.tickets.observe(turn(0, mid="m0"))
    assert [m.text for m in b.tickets.get("T-1").messages] == ["turn 0 about the disk on node-7"]
    a.tickets.observe(turn(1, mid="m1"))  # b has the ticket cached now: it must not serve the stale copy
    view = b.tickets.get("T-1")
    assert [m.message_id for m in view.messages] == ["m0", "m1"]
    assert view.ticket.message_count == 2
    assert view.ticket.status == "waiting_on_customer"


def test_the_same_message_id_sent_to_both_replicas_at_once_is_stored_once(two: tuple[App, App]) -> None:
    a, b = two
    a.tickets.observe(turn(0, mid="m0"))
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def send(app: App) -> None:
        barrier.wait()
        results.append(app.tickets.observe(turn(1, mid="retry-me")).duplicate)

    threads = [threading.Thread(target=send, args=(app,)) for app in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert [m.message_id for m in a.tickets.get("T-1").messages] == ["m0", "retry-me"]


def test_writers_on_both_replicas_append_to_one_ticket_without_losing_or_reordering(two: tuple[App, App]) -> None:
    a, b = two
    errors: list[BaseException] = []

    def write(app: App, name: str) -> None:
        try:
            for n in range(15):
                app.tickets.observe(Incoming("T-2", "analyst", name, f"{name} step {n}", None, f"{name}-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(app, name)) for app, name in ((a, "ann"), (b, "bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    messages = b.tickets.get("T-2").messages
    assert [m.seq for m in messages] == list(range(1, 31))
    for name in ("ann", "bob"):  # each writer's messages in the order it sent them
        assert [m.message_id for m in messages if m.author == name] == [f"{name}-{n}" for n in range(15)]


def test_feedback_given_on_one_replica_is_refused_on_the_other(two: tuple[App, App]) -> None:
    a, b = two
    body = "Rotate the logs under /var/log/app and expand the volume when the disk on a node is full."
    for app in (a, b):
        app.knowledge.add_documents([doc("faq", "Disk full on node", body)])
    result = b.tickets.observe(
        Incoming("T-3", "customer", "kim", "The disk on node-7 is full, how do I rotate the logs under /var/log/app?")
    )
    assert result.suggestion is not None
    pending_on_a = a.tickets.pending("T-3")
    assert [s.id for s in pending_on_a] == [result.suggestion.id]
    a.tickets.feedback(result.suggestion.id, "adopted")
    with pytest.raises(InputError, match="already adopted"):
        b.tickets.feedback(result.suggestion.id, "rejected")
    assert [s.status for s in b.tickets.get("T-3").suggestions] == ["adopted"]
