"""Ticket, message, suggestion, feedback, lesson and job rows as every SQL backend reads and writes them.

One place for the column lists and the row <-> model mapping, so DuckDB and PostgreSQL cannot drift.
"""

from __future__ import annotations

import json
from typing import Any, LiteralString

from vigil_mcp.models import Feedback, LearningJob, LearnResult, Lesson, Message, Suggestion, Ticket

TICKET_COLS: LiteralString = (
    "id, title, customer, status, opened_at, updated_at, resolved_at, waiting_since, message_count, summary, "
    "resolved_by, resolution_seq, confirmed_seq, confirmed_at, flags, product"
)
MESSAGE_COLS: LiteralString = "ticket_id, seq, role, author, text, ts, message_id, kind"
SUGGESTION_COLS: LiteralString = (
    "id, ticket_id, message_seq, text, confidence, citations, skills, engine, reason, status, created_at, "
    "updated_at, why"
)
TICKET_FIELDS = TICKET_COLS.split(", ")
MESSAGE_FIELDS = MESSAGE_COLS.split(", ")
SUGGESTION_FIELDS = SUGGESTION_COLS.split(", ")


def ticket_of(r: tuple[Any, ...]) -> Ticket:
    """A ticket from a row of TICKET_COLS."""
    return Ticket(
        id=r[0], title=r[1], customer=r[2], status=r[3], opened_at=r[4], updated_at=r[5], resolved_at=r[6],
        waiting_since=r[7], message_count=r[8], summary=r[9], resolved_by=r[10], resolution_seq=r[11],
        confirmed_seq=r[12], confirmed_at=r[13], flags=list(r[14] or []), product=r[15],
    )  # fmt: skip


def message_of(r: tuple[Any, ...]) -> Message:
    """A message from a row of MESSAGE_COLS."""
    return Message(ticket_id=r[0], seq=r[1], role=r[2], author=r[3], text=r[4], ts=r[5], message_id=r[6], kind=r[7])


def suggestion_of(r: tuple[Any, ...]) -> Suggestion:
    """A suggestion from a row of SUGGESTION_COLS (its `why` is stored as JSON text)."""
    return Suggestion(
        id=r[0], ticket_id=r[1], message_seq=r[2], text=r[3], confidence=r[4], citations=list(r[5]),
        skills=list(r[6]), engine=r[7], reason=r[8], status=r[9], created_at=r[10], updated_at=r[11],
        why=json.loads(r[12]) if r[12] else {},
    )  # fmt: skip


def suggestion_value(s: Suggestion, column: str) -> Any:
    """The value a suggestion stores in `column`."""
    return json.dumps(s.why, sort_keys=True) if column == "why" else getattr(s, column)


def feedback_history_of(rows: list[tuple[Any, ...]]) -> list[tuple[Suggestion, Feedback]]:
    """(suggestion, its verdict) from rows of FEEDBACK_HISTORY_SQL."""
    n = len(SUGGESTION_FIELDS)
    out: list[tuple[Suggestion, Feedback]] = []
    for r in rows:
        suggestion = suggestion_of(r[:n])
        verdict = Feedback(suggestion_id=suggestion.id, verdict=r[n], edited_text=r[n + 1], comment=r[n + 2],
                           created_at=r[n + 3])  # fmt: skip
        out.append((suggestion, verdict))
    return out


FEEDBACK_SELECT: LiteralString = (
    "SELECT s.id, s.ticket_id, s.message_seq, s.text, s.confidence, s.citations, s.skills, s.engine, s.reason, "
    "s.status, s.created_at, s.updated_at, s.why, f.verdict, f.edited_text, f.comment, f.created_at "
    "FROM feedback f JOIN suggestions s ON s.id = f.suggestion_id"
)
FEEDBACK_HISTORY_SQL: LiteralString = FEEDBACK_SELECT + " ORDER BY f.created_at, s.id"


LESSON_FIELDS = list(Lesson.model_fields)
LESSON_COLS = ", ".join(LESSON_FIELDS)
_LESSON_LISTS = frozenset({"symptoms", "environment", "tried", "fix_seqs", "evidence", "diagnostics"})
JOB_COLS: LiteralString = (
    "id, ticket_id, trigger, resolution_seqs, status, attempts, created_at, started_at, finished_at, result"
)


def lesson_of(row: tuple[Any, ...]) -> Lesson:
    """A lesson from a row of LESSON_COLS."""
    values = dict(zip(LESSON_FIELDS, row, strict=True))
    for name in _LESSON_LISTS:
        values[name] = list(values[name] or [])
    return Lesson.model_validate(values)


def job_of(r: tuple[Any, ...]) -> LearningJob:
    """A learning job from a row of JOB_COLS (its result is stored as JSON text)."""
    result = LearnResult.model_validate_json(r[9]) if r[9] else None
    return LearningJob(
        id=r[0], ticket_id=r[1], trigger=r[2], resolution_seqs=list(r[3] or []), status=r[4], attempts=r[5],
        created_at=r[6], started_at=r[7], finished_at=r[8], result=result,
    )  # fmt: skip


def job_values(job: LearningJob) -> list[Any]:
    """The values a job stores in JOB_COLS."""
    return [job.id, job.ticket_id, job.trigger, job.resolution_seqs, job.status, job.attempts, job.created_at,
            job.started_at, job.finished_at, job.result.model_dump_json() if job.result else None]  # fmt: skip
