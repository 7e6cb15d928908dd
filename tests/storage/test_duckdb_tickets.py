from datetime import UTC, datetime

from vigil_mcp.models import Message, Suggestion, Ticket
from vigil_mcp.storage import open_store
from vigil_mcp.storage.base import TicketChange

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_activity_counts_are_messages_by_role_and_suggestions_by_status() -> None:
    store = open_store(":memory:")
    ticket = Ticket(
        id="T-1", title="disk full", customer="ann", status="waiting_on_analyst", opened_at=NOW, updated_at=NOW,
        resolved_at=None, waiting_since=NOW, message_count=3, summary=None,
    )  # fmt: skip
    messages = [
        Message(ticket_id="T-1", seq=i, role=role, author="x", text="hi", ts=NOW, message_id=None, kind="question")
        for i, role in enumerate(["customer", "analyst", "customer"], start=1)
    ]
    suggestions = [
        Suggestion(
            id=f"sg-{i}",
            ticket_id="T-1",
            message_seq=1,
            text="try this",
            confidence=0.8,
            citations=[],
            skills=[],
            engine="offline",
            reason="",
            status=status,
            created_at=NOW,
            updated_at=NOW,
        )
        for i, status in enumerate(["pending", "adopted", "adopted"])
    ]
    store.apply_tickets([TicketChange(ticket, is_new=True, messages=messages, suggestions=suggestions)])

    assert store.activity_counts() == ({"customer": 2, "analyst": 1}, {"pending": 1, "adopted": 2})
    store.close()


def test_activity_counts_of_an_empty_store_are_empty() -> None:
    store = open_store(":memory:")

    assert store.activity_counts() == ({}, {})
    store.close()
