"""Lessons, the learning job queue and diagnostic calls in PostgreSQL, shared by every replica.

A queued job is claimed by exactly one replica: the claim locks the rows it takes (`FOR UPDATE SKIP
LOCKED`), so replicas claiming at the same moment take different jobs and never wait on each other.
A claimed job holds a lease of LEASE: a replica killed mid-job leaves it `running`, and once the lease
is over any replica claims it again (learning is idempotent); a live replica's job is never taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import LiteralString, cast

from vigil_mcp.models import LearningJob, LearnResult, Lesson
from vigil_mcp.storage.postgres.connection import PostgresConnection, where
from vigil_mcp.storage.rows import JOB_COLS, LESSON_COLS, LESSON_FIELDS, job_of, lesson_of

LEASE = timedelta(minutes=10)  # a learning job takes seconds; ten minutes without an outcome means its replica died
_LESSONS = cast(LiteralString, LESSON_COLS)  # built from the model's field names, never from input
_NEWEST = cast(LiteralString, f"SELECT DISTINCT ON (id) {LESSON_COLS} FROM lessons ORDER BY id, version DESC")


class LearningTables(PostgresConnection):
    """The `LearningStore` methods."""

    # ---- lessons -----------------------------------------------------------------------------
    def put_lesson(self, lesson: Lesson) -> None:
        """Store a new version of a lesson (a version another replica stored first is a conflict)."""
        marks = ", ".join("%s" for _ in LESSON_FIELDS)
        with self._write() as con:
            values = [getattr(lesson, name) for name in LESSON_FIELDS]
            con.execute(f"INSERT INTO lessons ({_LESSONS}) VALUES ({marks})", values)

    def link_lesson(self, lesson_id: str, version: int, skill: str | None, skill_version: int | None) -> None:
        """Record (in place) the skill a lesson version went into."""
        with self._write() as con:
            con.execute(
                "UPDATE lessons SET skill = %s, skill_version = %s WHERE id = %s AND version = %s",
                [skill, skill_version, lesson_id, version],
            )

    def lesson(self, lesson_id: str, version: int | None = None) -> Lesson | None:
        """A lesson's newest version, or the version asked for."""
        if version is None:
            rows = self._query(
                f"SELECT {_LESSONS} FROM lessons WHERE id = %s ORDER BY version DESC LIMIT 1", [lesson_id]
            )
        else:
            rows = self._query(f"SELECT {_LESSONS} FROM lessons WHERE id = %s AND version = %s", [lesson_id, version])
        return lesson_of(rows[0]) if rows else None

    def lesson_versions(self, lesson_id: str) -> list[Lesson]:
        """Every version of a lesson, oldest first."""
        rows = self._query(f"SELECT {_LESSONS} FROM lessons WHERE id = %s ORDER BY version", [lesson_id])
        return [lesson_of(r) for r in rows]

    def lessons(self, status: str | None, ticket_id: str | None, limit: int, offset: int = 0) -> list[Lesson]:
        """Newest versions of lessons, most recently changed first."""
        clause, params = where({"status": status, "ticket_id": ticket_id})
        rows = self._query(
            f"SELECT * FROM ({_NEWEST}) newest {clause} ORDER BY updated_at DESC, id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [lesson_of(r) for r in rows]

    def lessons_by_ticket(self, ticket_ids: Sequence[str]) -> dict[str, Lesson]:
        """The newest version of the lesson of each of these tickets that has one."""
        if not ticket_ids:
            return {}
        rows = self._query(
            f"SELECT DISTINCT ON (id) {_LESSONS} FROM lessons WHERE ticket_id = ANY(%s) ORDER BY id, version DESC",
            [list(ticket_ids)],
        )
        return {lesson.ticket_id: lesson for lesson in map(lesson_of, rows)}

    # ---- jobs --------------------------------------------------------------------------------
    def claim_jobs(self, now: datetime, limit: int = 1) -> list[LearningJob]:
        """Take the oldest queued jobs (or ones whose lease ran out) for this replica alone, oldest first."""
        with self._write() as con:
            rows = con.execute(
                f"UPDATE learning_jobs SET status = 'running', attempts = attempts + 1, started_at = %s "
                f"WHERE id IN (SELECT id FROM learning_jobs WHERE status = 'queued' "
                f"OR (status = 'running' AND started_at < %s) ORDER BY created_at, id LIMIT %s "
                f"FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLS}",
                [now, now - LEASE, limit],
            ).fetchall()
        return sorted((job_of(r) for r in rows), key=lambda j: (j.created_at, j.id))

    def finish_job(self, job_id: str, status: str, result: LearnResult, now: datetime) -> None:
        """Record a job's outcome."""
        with self._write() as con:
            con.execute(
                "UPDATE learning_jobs SET status = %s, finished_at = %s, result = %s WHERE id = %s",
                [status, now, result.model_dump_json(), job_id],
            )

    def requeue_running(self) -> int:
        """Put back in the queue the jobs whose lease ran out (a live replica's jobs stay its own); how many."""
        with self._write() as con:
            cur = con.execute(
                "UPDATE learning_jobs SET status = 'queued' WHERE status = 'running' AND started_at < now() - %s",
                [LEASE],
            )
            return max(cur.rowcount, 0)

    def job(self, job_id: str) -> LearningJob | None:
        """One job."""
        rows = self._query(f"SELECT {JOB_COLS} FROM learning_jobs WHERE id = %s", [job_id])
        return job_of(rows[0]) if rows else None

    def jobs(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[LearningJob]:
        """Jobs, newest first."""
        clause, params = where({"ticket_id": ticket_id, "status": status})
        rows = self._query(
            f"SELECT {JOB_COLS} FROM learning_jobs {clause} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [job_of(r) for r in rows]

    # ---- diagnostics -------------------------------------------------------------------------
    def record_diagnostic(self, ticket_id: str, tool: str, arguments: str, ok: bool, at: datetime) -> None:
        """Remember that a diagnostic tool was called for a ticket (arguments already redacted)."""
        with self._write() as con:
            con.execute(
                "INSERT INTO diagnostic_calls VALUES (%s, %s, %s, %s, %s)", [ticket_id, tool, arguments, ok, at]
            )

    def diagnostics_of(self, ticket_id: str) -> list[tuple[str, str, bool]]:
        """(tool, arguments, ok) of the diagnostic calls made for a ticket, in order."""
        rows = self._query(
            "SELECT tool, arguments, ok FROM diagnostic_calls WHERE ticket_id = %s ORDER BY called_at", [ticket_id]
        )
        return [(r[0], r[1], bool(r[2])) for r in rows]
