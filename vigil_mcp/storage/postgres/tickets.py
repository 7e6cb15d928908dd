"""Tickets, messages, suggestions and feedback in PostgreSQL, safe with many writing replicas.

A replica writes from the state it cached; each write checks that the stored state is still that
one, inside the transaction: a ticket row must equal the change's `previous` (compared whole), a
new ticket must not exist yet, `(ticket_id, seq)` and `(ticket_id, message_id)` are unique, and
feedback only moves a suggestion that is still pending. Anything else is `StoreConflict` with
nothing written: the service re-reads the ticket and tries again, so a message is stored once and
each ticket's messages keep the order in which their writes were acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from vigil_mcp.errors import StoreConflict
from vigil_mcp.models import Feedback, Message, Suggestion, Ticket
from vigil_mcp.storage.base import TicketChange
from vigil_mcp.storage.postgres.connection import PostgresConnection, where
from vigil_mcp.storage.rows import (
    FEEDBACK_HISTORY_SQL,
    FEEDBACK_SELECT,
    JOB_COLS,
    MESSAGE_COLS,
    MESSAGE_FIELDS,
    SUGGESTION_COLS,
    SUGGESTION_FIELDS,
    TICKET_COLS,
    feedback_history_of,
    job_values,
    message_of,
    suggestion_of,
    suggestion_value,
    ticket_of,
)

_TICKET_COLS = TICKET_COLS
_STATE_COLS = (
    "title, customer, status, opened_at, updated_at, resolved_at, waiting_since, message_count, summary, "
    "resolved_by, resolution_seq, confirmed_seq, confirmed_at, flags, product"
)
_MESSAGE_COLS = MESSAGE_COLS
_SUGGESTION_COLS = SUGGESTION_COLS
_STATE_VALUES = "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s"
_STATE_FIELDS = [c.strip() for c in _STATE_COLS.split(",")]
_UPDATE_FIELDS = [name for name in _STATE_FIELDS if name != "opened_at"]
_UPDATE_SET = (
    "title = %s, customer = %s, status = %s, updated_at = %s, resolved_at = %s, waiting_since = %s, "
    "message_count = %s, summary = %s, resolved_by = %s, resolution_seq = %s, confirmed_seq = %s, "
    "confirmed_at = %s, flags = %s, product = %s"
)
_JOB_COLS = JOB_COLS
_MESSAGE_FIELDS = MESSAGE_FIELDS
_SUGGESTION_FIELDS = SUGGESTION_FIELDS
_ticket = ticket_of
_message = message_of
_suggestion = suggestion_of


def _state(t: Ticket) -> list[Any]:
    return [getattr(t, name) for name in _STATE_FIELDS]


def _write_ticket(con: psycopg.Connection[tuple[Any, ...]], change: TicketChange) -> None:
    t = change.ticket
    if change.is_new:
        # A ticket another replica opened meanwhile: UniqueViolation, so StoreConflict.
        con.execute(f"INSERT INTO tickets ({_TICKET_COLS}) VALUES (%s, {_STATE_VALUES})", [t.id, *_state(t)])
        return
    if change.previous == t:
        return  # only suggestions added: the row stays as another replica may have moved it since
    params: list[Any] = [*(getattr(t, name) for name in _UPDATE_FIELDS), t.id]
    if change.previous is None:
        cur = con.execute(f"UPDATE tickets SET {_UPDATE_SET} WHERE id = %s", params)
    else:
        cur = con.execute(
            f"UPDATE tickets SET {_UPDATE_SET} WHERE id = %s "
            f"AND ({_STATE_COLS}) IS NOT DISTINCT FROM ({_STATE_VALUES})",
            [*params, *_state(change.previous)],
        )
    if cur.rowcount != 1:
        raise StoreConflict(f"ticket {t.id} was changed by another replica")


class TicketTables(PostgresConnection):
    """The `TicketStore` methods."""

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket."""
        rows = self._query(f"SELECT {_TICKET_COLS} FROM tickets WHERE id = %s", [ticket_id])
        return _ticket(rows[0]) if rows else None

    def ticket_ids(self) -> set[str]:
        """Every stored ticket id."""
        return {r[0] for r in self._query("SELECT id FROM tickets")}

    def list_tickets(self, status: str | None, limit: int, offset: int) -> list[Ticket]:
        """Tickets, most recently updated first."""
        where = "WHERE status = %s" if status else ""
        params: list[Any] = [status] if status else []
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets {where} ORDER BY updated_at DESC, id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [_ticket(r) for r in rows]

    def ticket_messages(self, ticket_id: str, after_seq: int = 0) -> list[Message]:
        """A ticket's dialogue in order (only the messages after `after_seq`)."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLS} FROM messages WHERE ticket_id = %s AND seq > %s ORDER BY seq",
            [ticket_id, after_seq],
        )
        return [_message(r) for r in rows]

    def message_by_client_id(self, ticket_id: str, message_id: str) -> Message | None:
        """The stored message with this sender id, if any."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLS} FROM messages WHERE ticket_id = %s AND message_id = %s", [ticket_id, message_id]
        )
        return _message(rows[0]) if rows else None

    def apply_tickets(self, changes: Sequence[TicketChange]) -> None:
        """Write ticket changes in one transaction, or raise StoreConflict and write nothing."""
        if not changes:
            return
        received = datetime.now(UTC)
        messages = [m for c in changes for m in c.messages]
        suggestions = [s for c in changes for s in c.suggestions]
        with self._write() as con:
            for change in changes:
                _write_ticket(con, change)
            if messages:
                with con.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO messages ({_MESSAGE_COLS}, received_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [[*(getattr(m, col) for col in _MESSAGE_FIELDS), received] for m in messages],
                    )
            if suggestions:
                with con.cursor() as cur:
                    # The same id is the same draft for the same message, already stored by whoever decided first.
                    cur.executemany(
                        f"INSERT INTO suggestions ({_SUGGESTION_COLS}) VALUES "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                        [[suggestion_value(s, col) for col in _SUGGESTION_FIELDS] for s in suggestions],
                    )
            jobs = [j for c in changes for j in c.jobs]
            if jobs:
                with con.cursor() as cur:
                    # A resolution's job is queued with it; the same resolution queued twice is one job.
                    cur.executemany(
                        f"INSERT INTO learning_jobs ({_JOB_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (id) DO NOTHING",
                        [job_values(j) for j in jobs],
                    )
            for change in changes:
                if change.expire_pending:
                    con.execute(
                        "UPDATE suggestions SET status = 'expired', updated_at = %s "
                        "WHERE ticket_id = %s AND status = 'pending'",
                        [change.ticket.updated_at, change.ticket.id],
                    )

    def suggestions(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[Suggestion]:
        """Suggestions, newest first."""
        clause, params = where({"ticket_id": ticket_id, "status": status})
        rows = self._query(
            f"SELECT {_SUGGESTION_COLS} FROM suggestions {clause} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [_suggestion(r) for r in rows]

    def get_suggestion(self, suggestion_id: str) -> Suggestion | None:
        """One suggestion."""
        rows = self._query(f"SELECT {_SUGGESTION_COLS} FROM suggestions WHERE id = %s", [suggestion_id])
        return _suggestion(rows[0]) if rows else None

    def record_feedback(self, feedback: Feedback, suggestion: Suggestion) -> None:
        """Store the feedback and the suggestion's new status together, if it is still pending."""
        with self._write() as con:
            cur = con.execute(
                "UPDATE suggestions SET status = %s, updated_at = %s WHERE id = %s AND status = 'pending'",
                [suggestion.status, suggestion.updated_at, suggestion.id],
            )
            if cur.rowcount != 1:
                raise StoreConflict(f"suggestion {suggestion.id} was judged by another replica")
            con.execute(
                "INSERT INTO feedback VALUES (%s, %s, %s, %s, %s)",
                [feedback.suggestion_id, feedback.verdict, feedback.edited_text, feedback.comment, feedback.created_at],
            )

    def feedback_of(self, suggestion_id: str) -> tuple[Suggestion, Feedback] | None:
        """The verdict on one suggestion, with the suggestion, if it has one."""
        found = feedback_history_of(self._query(FEEDBACK_SELECT + " WHERE s.id = %s", [suggestion_id]))
        return found[0] if found else None

    def feedback_history(self) -> list[tuple[Suggestion, Feedback]]:
        """Every verdict with the suggestion it judged, oldest first."""
        return feedback_history_of(self._query(FEEDBACK_HISTORY_SQL))

    def stale_tickets(self, waiting_before: datetime, limit: int, offset: int = 0) -> list[Ticket]:
        """Tickets whose customer has been waiting since before `waiting_before`, longest first."""
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status = 'waiting_on_analyst' AND waiting_since < %s "
            "ORDER BY waiting_since, id LIMIT %s OFFSET %s",
            [waiting_before, limit, offset],
        )
        return [_ticket(r) for r in rows]

    def confirmed_tickets(self, confirmed_before: datetime, limit: int) -> list[Ticket]:
        """Open tickets whose customer confirmed a fix before `confirmed_before`, oldest confirmation first."""
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status <> 'resolved' AND confirmed_seq IS NOT NULL "
            "AND confirmed_at <= %s ORDER BY confirmed_at, id LIMIT %s",
            [confirmed_before, limit],
        )
        return [_ticket(r) for r in rows]

    def messages_to_redact(self, resolved_before: datetime, limit: int) -> list[tuple[str, int, str]]:
        """(ticket, seq, text) of raw messages of tickets resolved before `resolved_before`."""
        rows = self._query(
            "SELECT m.ticket_id, m.seq, m.text FROM messages m JOIN tickets t ON t.id = m.ticket_id "
            "WHERE t.status = 'resolved' AND t.resolved_at < %s AND NOT m.redacted ORDER BY m.ticket_id, m.seq "
            "LIMIT %s",
            [resolved_before, limit],
        )
        return [(r[0], int(r[1]), r[2]) for r in rows]

    def store_redacted(self, rows: Sequence[tuple[str, int, str]]) -> None:
        """Replace messages' text with its redacted form, marking them redacted."""
        if not rows:
            return
        with self._write() as con, con.cursor() as cur:
            cur.executemany(
                "UPDATE messages SET text = %s, redacted = true WHERE ticket_id = %s AND seq = %s",
                [[text, ticket, seq] for ticket, seq, text in rows],
            )

    def activity_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Messages by role and suggestions by status, counted in the database (for /metrics)."""
        roles = {r[0]: int(r[1]) for r in self._query("SELECT role, count(*) FROM messages GROUP BY role")}
        statuses = {r[0]: int(r[1]) for r in self._query("SELECT status, count(*) FROM suggestions GROUP BY status")}
        return roles, statuses
