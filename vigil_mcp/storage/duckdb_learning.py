"""Lessons, the learning job queue and diagnostic calls in DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from vigil_mcp.models import LearningJob, LearnResult, Lesson
from vigil_mcp.storage.duckdb_base import DuckDBConnection
from vigil_mcp.storage.rows import JOB_COLS, LESSON_COLS, LESSON_FIELDS, job_of, job_values, lesson_of

_LESSON_FIELDS = LESSON_FIELDS
_LESSON_COLS = LESSON_COLS
_JOB_COLS = JOB_COLS
# The newest version of each lesson.
_NEWEST = f"SELECT {_LESSON_COLS} FROM lessons QUALIFY version = max(version) OVER (PARTITION BY id)"
_lesson = lesson_of
_job = job_of


def insert_jobs(con: duckdb.DuckDBPyConnection, jobs: Sequence[LearningJob]) -> None:
    """Queue jobs inside the caller's transaction (which sets `_jobs_may_wait`); a stored job id is kept as it is."""
    for job in jobs:
        con.execute(
            f"INSERT INTO learning_jobs ({_JOB_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            job_values(job),
        )


def _running(job: LearningJob, now: datetime) -> dict[str, object]:
    """What claiming a queued job changes in it."""
    return {"status": "running", "attempts": job.attempts + 1, "started_at": now}


class LearningTables(DuckDBConnection):
    """The `LearningStore` methods.

    Learning asks for a ticket's lesson and diagnostic calls once per resolved case, and most tickets have
    neither. This process is the file's one writer (and nothing deletes lessons or calls), so the sets of
    ticket ids that have them, read once, answer "none" without a query; a DuckDB query costs about a
    millisecond however small.
    """

    _lessons_known: tuple[set[str], set[str]] | None = None  # (lesson ids, their tickets); None: not read yet
    _diagnosed: set[str] | None = None  # ticket ids with a diagnostic call; None: not read yet

    def _stored_lessons(self) -> tuple[set[str], set[str]]:
        """(lesson ids, their ticket ids), read from the store the first time."""
        with self._lock:
            if self._lessons_known is None:
                rows = self._con.execute("SELECT DISTINCT id, ticket_id FROM lessons").fetchall()
                self._lessons_known = ({r[0] for r in rows}, {r[1] for r in rows})
            return self._lessons_known

    def _with_diagnostics(self) -> set[str]:
        with self._lock:
            if self._diagnosed is None:
                rows = self._con.execute("SELECT DISTINCT ticket_id FROM diagnostic_calls").fetchall()
                self._diagnosed = {r[0] for r in rows}
            return self._diagnosed

    # ---- lessons -----------------------------------------------------------------------------
    def put_lesson(self, lesson: Lesson) -> None:
        """Store a new version of a lesson."""
        with self._lock:
            self._write_one(
                f"INSERT INTO lessons ({_LESSON_COLS}) VALUES ({', '.join('?' for _ in _LESSON_FIELDS)})",
                [getattr(lesson, name) for name in _LESSON_FIELDS],
            )
            ids, tickets = self._stored_lessons()
            ids.add(lesson.id)
            tickets.add(lesson.ticket_id)

    def link_lesson(self, lesson_id: str, version: int, skill: str | None, skill_version: int | None) -> None:
        """Record (in place) the skill a lesson version went into."""
        self._write_one(
            "UPDATE lessons SET skill = ?, skill_version = ? WHERE id = ? AND version = ?",
            [skill, skill_version, lesson_id, version],
        )

    def lesson(self, lesson_id: str, version: int | None = None) -> Lesson | None:
        """A lesson's newest version, or the version asked for."""
        if lesson_id not in self._stored_lessons()[0]:
            return None
        if version is None:
            rows = self._query(
                f"SELECT {_LESSON_COLS} FROM lessons WHERE id = ? ORDER BY version DESC LIMIT 1", [lesson_id]
            )
        else:
            rows = self._query(f"SELECT {_LESSON_COLS} FROM lessons WHERE id = ? AND version = ?", [lesson_id, version])
        return _lesson(rows[0]) if rows else None

    def lesson_versions(self, lesson_id: str) -> list[Lesson]:
        """Every version of a lesson, oldest first."""
        rows = self._query(f"SELECT {_LESSON_COLS} FROM lessons WHERE id = ? ORDER BY version", [lesson_id])
        return [_lesson(r) for r in rows]

    def lessons(self, status: str | None, ticket_id: str | None, limit: int, offset: int = 0) -> list[Lesson]:
        """Newest versions of lessons, most recently changed first."""
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if ticket_id is not None:
            clauses.append("ticket_id = ?")
            params.append(ticket_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(
            f"SELECT * FROM ({_NEWEST}) {where} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_lesson(r) for r in rows]

    def lessons_by_ticket(self, ticket_ids: Sequence[str]) -> dict[str, Lesson]:
        """The newest version of the lesson of each of these tickets that has one."""
        known = self._stored_lessons()[1]
        ticket_ids = [t for t in ticket_ids if t in known]
        if not ticket_ids:
            return {}
        # Filter first, then pick each lesson's newest version (a window over the whole table costs ms per call).
        rows = self._query(
            f"SELECT {_LESSON_COLS} FROM lessons WHERE ticket_id IN (SELECT unnest(?::VARCHAR[])) "
            "QUALIFY version = max(version) OVER (PARTITION BY id)",
            [list(ticket_ids)],
        )
        return {lesson.ticket_id: lesson for lesson in map(_lesson, rows)}

    # ---- jobs --------------------------------------------------------------------------------
    def claim_jobs(self, now: datetime, limit: int = 1) -> list[LearningJob]:
        """Mark the oldest queued jobs running (one more attempt each) and return them, oldest first."""
        with self._lock:  # every read and write of this process holds it: nobody claims in between
            if not self._jobs_may_wait:
                return []
            oldest = self._con.execute(  # one more than asked: whether any is left after these
                f"SELECT {_JOB_COLS} FROM learning_jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT ?",
                [limit + 1],
            ).fetchall()
            self._jobs_may_wait = len(oldest) > limit
            claimed = [_job(r) for r in oldest[:limit]]
            if not claimed:
                return []
            # One statement, so one transaction. The rows were read under the lock, so what it writes is known:
            # no RETURNING (it costs DuckDB as much again as the update) and ids bound one by one (a list is slower).
            self._con.execute(
                "UPDATE learning_jobs SET status = 'running', attempts = attempts + 1, started_at = ? "
                f"WHERE id IN ({', '.join('?' for _ in claimed)})",
                [now, *(job.id for job in claimed)],
            )
        return [job.model_copy(update=_running(job, now)) for job in claimed]

    def finish_job(self, job_id: str, status: str, result: LearnResult, now: datetime) -> None:
        """Record a job's outcome."""
        with self._lock:
            self._write_one(
                "UPDATE learning_jobs SET status = ?, finished_at = ?, result = ? WHERE id = ?",
                [status, now, result.model_dump_json(), job_id],
            )
            if status == "queued":  # to be tried again
                self._jobs_may_wait = True

    def requeue_running(self) -> int:
        """Put jobs a dead process left running back in the queue; how many."""
        with self._write() as con:
            row = con.execute("SELECT count(*) FROM learning_jobs WHERE status = 'running'").fetchone()
            con.execute("UPDATE learning_jobs SET status = 'queued' WHERE status = 'running'")
            self._jobs_may_wait = True
        return int(row[0]) if row else 0

    def job(self, job_id: str) -> LearningJob | None:
        """One job."""
        rows = self._query(f"SELECT {_JOB_COLS} FROM learning_jobs WHERE id = ?", [job_id])
        return _job(rows[0]) if rows else None

    def jobs(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[LearningJob]:
        """Jobs, newest first."""
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
            f"SELECT {_JOB_COLS} FROM learning_jobs {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_job(r) for r in rows]

    # ---- diagnostics -------------------------------------------------------------------------
    def record_diagnostic(self, ticket_id: str, tool: str, arguments: str, ok: bool, at: datetime) -> None:
        """Remember that a diagnostic tool was called for a ticket (arguments already redacted)."""
        with self._lock:
            self._write_one("INSERT INTO diagnostic_calls VALUES (?, ?, ?, ?, ?)", [ticket_id, tool, arguments, ok, at])
            self._with_diagnostics().add(ticket_id)

    def diagnostics_of(self, ticket_id: str) -> list[tuple[str, str, bool]]:
        """(tool, arguments, ok) of the diagnostic calls made for a ticket, in order."""
        if ticket_id not in self._with_diagnostics():
            return []
        rows = self._query(
            "SELECT tool, arguments, ok FROM diagnostic_calls WHERE ticket_id = ? ORDER BY called_at", [ticket_id]
        )
        return [(r[0], r[1], bool(r[2])) for r in rows]
