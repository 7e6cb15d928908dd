"""The PostgreSQL store on a real server: migrations, refusals, and writes that stay safe with many replicas."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from vigil_mcp.errors import StoreConflict, StoreError, StoreUnavailable
from vigil_mcp.models import Feedback, Message, Suggestion, Ticket
from vigil_mcp.storage.base import KnowledgeChange, KnowledgeRow, PassageRow, TicketChange
from vigil_mcp.storage.postgres import PostgresStore, redact_url
from vigil_mcp.storage.postgres.migrations import LATEST_VERSION, MIGRATIONS

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _ticket(count: int = 1, status: str = "waiting_on_analyst") -> Ticket:
    return Ticket(
        id="T-1", title="disk full", customer="ann", status=status, opened_at=NOW,  # pyright: ignore[reportArgumentType]
        updated_at=NOW, waiting_since=NOW, message_count=count,
    )  # fmt: skip


def _message(seq: int, message_id: str | None = None) -> Message:
    return Message(ticket_id="T-1", seq=seq, role="customer", author="ann", text=f"turn {seq}", ts=NOW,
                   message_id=message_id, kind="question")  # fmt: skip


def test_a_new_database_records_every_migration(empty_postgres_url: str) -> None:
    store = PostgresStore(empty_postgres_url)
    try:
        assert store.schema_version() == LATEST_VERSION
    finally:
        store.close()
    with psycopg.connect(empty_postgres_url) as con:
        rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]


def test_replicas_opening_a_new_database_together_migrate_it_once(empty_postgres_url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(empty_postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    assert errors == []
    with psycopg.connect(empty_postgres_url) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(MIGRATIONS),)


def test_a_database_from_a_newer_schema_is_refused_and_left_untouched(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')")
    with pytest.raises(StoreError, match="schema version 99, newer than this vigil"):
        PostgresStore(postgres_url)
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (99,)


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = "postgresql://vigil:s3cret-pass@127.0.0.1:9/vigil"
    with pytest.raises(StoreError, match=r"cannot connect to postgresql://vigil:\*\*\*@127\.0\.0\.1:9/vigil") as err:
        PostgresStore(url, connect_timeout=1, open_timeout=1)
    assert "s3cret-pass" not in str(err.value)
    assert redact_url(url) == "postgresql://vigil:***@127.0.0.1:9/vigil"


def test_two_replicas_opening_the_same_ticket_store_it_once(postgres_url: str) -> None:
    a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        a.apply_tickets([TicketChange(_ticket(), True, [_message(1, "m1")])])
        with pytest.raises(StoreConflict):
            b.apply_tickets([TicketChange(_ticket(), True, [_message(1, "m1")])])
        assert [m.message_id for m in b.ticket_messages("T-1")] == ["m1"]
    finally:
        a.close()
        b.close()


def test_a_write_from_a_stale_ticket_is_refused_and_writes_nothing(postgres_url: str) -> None:
    a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        first = _ticket()
        a.apply_tickets([TicketChange(first, True, [_message(1)])])
        a.apply_tickets([TicketChange(_ticket(2), False, [_message(2)], previous=first)])
        # b still believes the ticket holds one message
        with pytest.raises(StoreConflict, match="changed by another replica"):
            b.apply_tickets([TicketChange(_ticket(2), False, [_message(2, "late")], previous=first)])
        assert [m.text for m in b.ticket_messages("T-1")] == ["turn 1", "turn 2"]
        assert b.message_by_client_id("T-1", "late") is None
        assert b.ticket_messages("T-1", after_seq=1)[0].seq == 2
    finally:
        a.close()
        b.close()


def test_feedback_is_taken_once_even_when_two_replicas_race(postgres_url: str) -> None:
    a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        pending = Suggestion(
            id="sg-1", ticket_id="T-1", message_seq=1, text="try this", confidence=0.8, citations=["kb-1"],
            skills=[], engine="offline", reason="", status="pending", created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        a.apply_tickets([TicketChange(_ticket(), True, [_message(1)], [pending])])
        adopted = pending.model_copy(update={"status": "adopted"})
        a.record_feedback(Feedback(suggestion_id="sg-1", verdict="adopted", created_at=NOW), adopted)
        rejected = pending.model_copy(update={"status": "rejected"})
        with pytest.raises(StoreConflict):
            b.record_feedback(Feedback(suggestion_id="sg-1", verdict="rejected", created_at=NOW), rejected)
        stored = b.get_suggestion("sg-1")
        assert stored is not None and stored.status == "adopted"
        assert b.activity_counts() == ({"customer": 1}, {"adopted": 1})
    finally:
        a.close()
        b.close()


def test_a_lost_database_refuses_with_a_clear_error_and_the_store_recovers(
    postgres_url: str, postgres_server: str
) -> None:
    store = PostgresStore(postgres_url, connect_timeout=1)
    name = postgres_url.rsplit("/", 1)[1]
    try:
        store.apply_tickets([TicketChange(_ticket(), True, [_message(1)])])
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')  # pyright: ignore[reportArgumentType]
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        with pytest.raises(StoreUnavailable, match=r"is unreachable .*refuses writes until it is back"):
            store.apply_tickets([TicketChange(_ticket(2), False, [_message(2)], previous=_ticket())])
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')  # pyright: ignore[reportArgumentType]
        store.apply_tickets([TicketChange(_ticket(2), False, [_message(2)], previous=_ticket())])
        assert [m.seq for m in store.ticket_messages("T-1")] == [1, 2]
    finally:
        store.close()


def _item(item_id: str, passage_no: int) -> KnowledgeChange:
    row = KnowledgeRow(item_id, "runbook", "Disk full", "", "rotate logs", "kb", "", ("ops",), "h")
    return KnowledgeChange(
        upserts=[row], passages=[PassageRow(passage_no, item_id, 1, "prose", "rotate logs", 2, b"\x00" * 768)],
        postings=[(passage_no, 0, 1)], new_terms={"rotat": 0} if passage_no == 0 else {}, feed_position=0,
    )  # fmt: skip


def test_a_knowledge_write_planned_before_another_replicas_write_is_refused_and_writes_nothing(
    postgres_url: str,
) -> None:
    a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        position = a.apply_knowledge(_item("kb-a", 0))
        assert [(e.seq, e.item_id, e.origin) for e in b.knowledge_changes(0)] == [(position, "kb-a", a.origin)]
        with pytest.raises(StoreConflict, match="another replica changed knowledge first"):
            b.apply_knowledge(_item("kb-b", 0))  # planned at position 0: passage 0 and term 0 are taken
        assert b.get_knowledge("kb-b") is None and b.knowledge_changes(position) == []
        [stored] = b.stored_passages(["kb-a"])
        assert (stored.record.passage_no, stored.counts, stored.embedding) == (0, {"rotat": 1}, b"\x00" * 768)
        assert b.terms_from(0) == ["rotat"] and b.terms_from(1) == []
    finally:
        a.close()
        b.close()
