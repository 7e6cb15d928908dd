"""Tickets, messages, suggestions and feedback in DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from vigil_mcp.models import Feedback, Message, Suggestion, Ticket
from vigil_mcp.storage.base import TicketChange
from vigil_mcp.storage.duckdb_base import DuckDBConnection
from vigil_mcp.storage.duckdb_learning import insert_jobs
from vigil_mcp.storage.rows import (
    FEEDBACK_HISTORY_SQL,
    FEEDBACK_SELECT,
    MESSAGE_COLS,
    MESSAGE_FIELDS,
    SUGGESTION_COLS,
    SUGGESTION_FIELDS,
    TICKET_COLS,
    TICKET_FIELDS,
    feedback_history_of,
    message_of,
    suggestion_of,
    suggestion_value,
    ticket_of,
)

_TICKET_COLS = TICKET_COLS
_MESSAGE_COLS = MESSAGE_COLS
_SUGGESTION_COLS = SUGGESTION_COLS
_TICKET_FIELDS = TICKET_FIELDS
_MESSAGE_FIELDS = MESSAGE_FIELDS
_SUGGESTION_FIELDS = SUGGESTION_FIELDS
_ticket = ticket_of
_message = message_of
_suggestion = suggestion_of
_column = suggestion_value


class TicketTables(DuckDBConnection):
    """The `TicketStore` methods."""

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket."""
        rows = self._query(f"SELECT {_TICKET_COLS} FROM tickets WHERE id = ?", [ticket_id])
        return _ticket(rows[0]) if rows else None

    def ticket_ids(self) -> set[str]:
        """Every stored ticket id."""
        return {r[0] for r in self._query("SELECT id FROM tickets")}

    def list_tickets(self, status: str | None, limit: int, offset: int) -> list[Ticket]:
        """Tickets, most recently updated first."""
        where = "WHERE status = ?" if status else ""
        params: list[Any] = [status] if status else []
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets {where} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_ticket(r) for r in rows]

    def ticket_messages(self, ticket_id: str, after_seq: int = 0) -> list[Message]:
        """A ticket's dialogue in order (only the messages after `after_seq`)."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLS} FROM messages WHERE ticket_id = ? AND seq > ? ORDER BY seq", [ticket_id, after_seq]
        )
        return [_message(r) for r in rows]

    def message_by_client_id(self, ticket_id: str, message_id: str) -> Message | None:
        """The stored message with this sender id, if any."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLS} FROM messages WHERE ticket_id = ? AND message_id = ?", [ticket_id, message_id]
        )
        return _message(rows[0]) if rows else None

    def apply_tickets(self, changes: Sequence[TicketChange]) -> None:
        """Write ticket changes in one transaction: new tickets, updates, messages, suggestions, expiries."""
        if not changes:
            return
        received = datetime.now(UTC)
        new = [c.ticket for c in changes if c.is_new]
        updated = [c.ticket for c in changes if not c.is_new]
        messages = [m for c in changes for m in c.messages]
        suggestions = [s for c in changes for s in c.suggestions]
        with self._write() as con:
            if new:
                con.execute(
                    f"INSERT INTO tickets ({_TICKET_COLS}) SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMPTZ[]), unnest(?::TIMESTAMPTZ[]), "
                    "unnest(?::TIMESTAMPTZ[]), unnest(?::TIMESTAMPTZ[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::TIMESTAMPTZ[]), "
                    "unnest(?::VARCHAR[][]), unnest(?::VARCHAR[])",
                    [[getattr(t, col) for t in new] for col in _TICKET_FIELDS],
                )
            for t in updated:
                con.execute(
                    "UPDATE tickets SET title = ?, customer = ?, status = ?, updated_at = ?, resolved_at = ?, "
                    "waiting_since = ?, message_count = ?, summary = ?, resolved_by = ?, resolution_seq = ?, "
                    "confirmed_seq = ?, confirmed_at = ?, flags = ?, product = ? WHERE id = ?",
                    [t.title, t.customer, t.status, t.updated_at, t.resolved_at, t.waiting_since, t.message_count,
                     t.summary, t.resolved_by, t.resolution_seq, t.confirmed_seq, t.confirmed_at, t.flags, t.product,
                     t.id],
                )  # fmt: skip
            if messages:
                con.execute(
                    "INSERT INTO messages SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMPTZ[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), ?::TIMESTAMPTZ, false",
                    [*([getattr(m, col) for m in messages] for col in _MESSAGE_FIELDS), received],
                )
            if suggestions:
                con.execute(
                    f"INSERT INTO suggestions ({_SUGGESTION_COLS}) SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::INTEGER[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), unnest(?::VARCHAR[][]), "
                    "unnest(?::VARCHAR[][]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::TIMESTAMPTZ[]), unnest(?::TIMESTAMPTZ[]), unnest(?::VARCHAR[])",
                    [[_column(s, col) for s in suggestions] for col in _SUGGESTION_FIELDS],
                )
            jobs = [j for c in changes for j in c.jobs]
            if jobs:
                insert_jobs(con, jobs)
                self._jobs_may_wait = True
            expire = [c.ticket for c in changes if c.expire_pending]
            for t in expire:
                con.execute(
                    "UPDATE suggestions SET status = 'expired', updated_at = ? "
                    "WHERE ticket_id = ? AND status = 'pending'",
                    [t.updated_at, t.id],
                )

    def suggestions(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[Suggestion]:
        """Suggestions, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if ticket_id is not None:
            clauses.append("ticket_id = ?")
            params.append(ticket_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(
            f"SELECT {_SUGGESTION_COLS} FROM suggestions {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_suggestion(r) for r in rows]

    def get_suggestion(self, suggestion_id: str) -> Suggestion | None:
        """One suggestion."""
        rows = self._query(f"SELECT {_SUGGESTION_COLS} FROM suggestions WHERE id = ?", [suggestion_id])
        return _suggestion(rows[0]) if rows else None

    def record_feedback(self, feedback: Feedback, suggestion: Suggestion) -> None:
        """Store the feedback and the suggestion's new status together."""
        with self._write() as con:
            con.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                [feedback.suggestion_id, feedback.verdict, feedback.edited_text, feedback.comment, feedback.created_at],
            )
            con.execute(
                "UPDATE suggestions SET status = ?, updated_at = ? WHERE id = ?",
                [suggestion.status, suggestion.updated_at, suggestion.id],
            )

    def feedback_of(self, suggestion_id: str) -> tuple[Suggestion, Feedback] | None:
        """The verdict on one suggestion, with the suggestion, if it has one."""
        found = feedback_history_of(self._query(f"{FEEDBACK_SELECT} WHERE s.id = ?", [suggestion_id]))
        return found[0] if found else None

    def feedback_history(self) -> list[tuple[Suggestion, Feedback]]:
        """Every verdict with the suggestion it judged, oldest first."""
        return feedback_history_of(self._query(FEEDBACK_HISTORY_SQL))

    def stale_tickets(self, waiting_before: datetime, limit: int, offset: int = 0) -> list[Ticket]:
        """Tickets whose customer has been waiting since before `waiting_before`, longest first."""
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status = 'waiting_on_analyst' AND waiting_since < ? "
            "ORDER BY waiting_since, id LIMIT ? OFFSET ?",
            [waiting_before, limit, offset],
        )
        return [_ticket(r) for r in rows]

    def messages_to_redact(self, resolved_before: datetime, limit: int) -> list[tuple[str, int, str]]:
        """(ticket, seq, text) of raw messages of tickets resolved before `resolved_before`."""
        rows = self._query(
            "SELECT m.ticket_id, m.seq, m.text FROM messages m JOIN tickets t ON t.id = m.ticket_id "
            "WHERE t.status = 'resolved' AND t.resolved_at < ? AND NOT coalesce(m.redacted, false) "
            "ORDER BY m.ticket_id, m.seq LIMIT ?",
            [resolved_before, limit],
        )
        return [(r[0], int(r[1]), r[2]) for r in rows]

    def store_redacted(self, rows: Sequence[tuple[str, int, str]]) -> None:
        """Replace messages' text with its redacted form, marking them redacted."""
        if not rows:
            return
        with self._write() as con:
            con.executemany(
                "UPDATE messages SET text = ?, redacted = true WHERE ticket_id = ? AND seq = ?",
                [[text, ticket, seq] for ticket, seq, text in rows],
            )

    def confirmed_tickets(self, confirmed_before: datetime, limit: int) -> list[Ticket]:
        """Open tickets whose customer confirmed a fix before `confirmed_before`, oldest confirmation first."""
        rows = self._query(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status <> 'resolved' AND confirmed_seq IS NOT NULL "
            "AND confirmed_at <= ? ORDER BY confirmed_at, id LIMIT ?",
            [confirmed_before, limit],
        )
        return [_ticket(r) for r in rows]

    def activity_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Messages by role and suggestions by status, counted in the store (for /metrics)."""
        roles = {r[0]: int(r[1]) for r in self._query("SELECT role, count(*) FROM messages GROUP BY role")}
        statuses = {r[0]: int(r[1]) for r in self._query("SELECT status, count(*) FROM suggestions GROUP BY status")}
        return roles, statuses
