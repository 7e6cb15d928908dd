"""Learning over MCP: the background worker and quiet-period sweep, job and lesson tools, and their resources."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import quote

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from vigil_mcp.app import App
from vigil_mcp.models import LearningJob, Lesson, LessonList
from vigil_mcp.server.annotations import READ_ONLY
from vigil_mcp.server.background import Background
from vigil_mcp.server.errors import call_service_in_thread, read_resource
from vigil_mcp.server.paging import page
from vigil_mcp.server.schema import flatten_output_schema
from vigil_mcp.server.tickets import announce

log = logging.getLogger(__name__)

CHANGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
MAX_WAIT_SECONDS = 30.0
RETENTION_CHECK_SECONDS = 3600.0


def job_uri(job_id: str) -> str:
    """The resource URI of a learning job."""
    return f"vigil://learning/jobs/{quote(job_id, safe='')}"


class JobList(BaseModel):
    """A page of learning jobs."""

    jobs: list[LearningJob]
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the next page; null at the end.")


def register_learning(mcp: MCPServer[Any], app: App, background: Background) -> None:
    """The learning worker in the background, and the tools and resources to follow and review what it learns."""
    worker = app.worker
    lessons = app.lessons

    async def learn_in_background() -> None:
        """Learn queued jobs as they come; resolve tickets whose confirmation waited out the quiet period."""
        retained_at = 0.0
        while True:
            if anyio.current_time() - retained_at >= RETENTION_CHECK_SECONDS or not retained_at:
                retained_at = anyio.current_time()
                try:
                    await anyio.to_thread.run_sync(app.tickets.apply_retention, app.settings.transcript_retention_days)
                except Exception:
                    log.exception("redacting old transcripts failed; trying again later")
            done: list[LearningJob] = []
            resolved: list[Any] = []
            try:
                done = await anyio.to_thread.run_sync(_drain_announced, app)
                for job in done:
                    await app.notifier.resource_updated(job_uri(job.id))
                resolved = await anyio.to_thread.run_sync(app.tickets.resolve_confirmed)
                for resolution in resolved:
                    await announce(app, resolution.ticket.id, True)
            except Exception:  # the worker must outlive one bad job or a store hiccup
                log.exception("background learning step failed; trying again")
            if not resolved and not done:
                await anyio.to_thread.run_sync(lambda: worker.wake.wait(app.sweep_seconds), abandon_on_cancel=True)
                worker.wake.clear()

    background.add(learn_in_background)

    @mcp.tool(name="get_learning_job", title="Get a learning job", annotations=READ_ONLY)
    async def get_learning_job(
        id: Annotated[str, Field(description="The job id (lj-...), as resolve_ticket returned it.")],
        wait_seconds: Annotated[
            float, Field(ge=0, le=MAX_WAIT_SECONDS, description="Wait up to this long for the job to finish.")
        ] = 0.0,
    ) -> LearningJob:
        """Return a learning job and, once it is done, what it learned: lesson id and version, the Q&A id,
        the skill and its version, or why nothing was learned."""
        return await call_service_in_thread(lambda: worker.wait(id, wait_seconds))

    @mcp.tool(name="list_learning_jobs", title="List learning jobs", annotations=READ_ONLY)
    async def list_learning_jobs(
        ticket_id: Annotated[str | None, Field(description="Only this ticket's jobs; omit for all.")] = None,
        status: Annotated[
            Literal["queued", "running", "done", "failed"] | None, Field(description="Only jobs in this state.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Page size.")] = 50,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous page; omit for the first.")
        ] = None,
    ) -> JobList:
        """List learning jobs, newest first: what each resolved ticket taught vigil, or why it taught nothing."""
        items, more = await call_service_in_thread(
            lambda: page(lambda n, o: worker.list(ticket_id, status, n, o), limit, cursor)
        )
        return JobList(jobs=items, next_cursor=more)

    @mcp.tool(name="list_lessons", title="List lessons", annotations=READ_ONLY)
    async def list_lessons(
        status: Annotated[
            Literal["active", "retired"] | None, Field(description="Only lessons with this status; omit for all.")
        ] = None,
        ticket_id: Annotated[str | None, Field(description="Only the lesson of this ticket.")] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Page size.")] = 50,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous page; omit for the first.")
        ] = None,
    ) -> LessonList:
        """List what vigil learned from resolved tickets (the newest version of each lesson), most recent first."""
        items, more = await call_service_in_thread(
            lambda: page(lambda n, o: lessons.list(status, ticket_id, n, o), limit, cursor)
        )
        return LessonList(lessons=items, next_cursor=more)

    @mcp.tool(name="get_lesson", title="Get a lesson", annotations=READ_ONLY)
    async def get_lesson(
        id: Annotated[str, Field(description="A lesson id (ls-...), a learned Q&A id (kb-...) or a ticket id.")],
        version: Annotated[int | None, Field(ge=1, description="An earlier version; omit for the newest.")] = None,
    ) -> Lesson:
        """Return one lesson: the normalised problem, the customer's symptoms (as data), the fix, the evidence
        messages, who confirmed it, its confidence, status and the Q&A and skill it went into."""
        return await call_service_in_thread(lambda: lessons.get(id, version))

    @mcp.tool(name="retire_lesson", title="Retire a lesson", annotations=CHANGES)
    async def retire_lesson(
        id: Annotated[str, Field(description="A lesson id (ls-...), a learned Q&A id (kb-...) or a ticket id.")],
        reason: Annotated[str | None, Field(description="Why, in a few words (kept with the lesson).")] = None,
        analyst: Annotated[str, Field(description="Who retires it (kept with the lesson).")] = "analyst",
    ) -> Lesson:
        """Take a learned lesson out of use: its Q&A leaves the knowledge index and is not suggested again
        until restore_lesson. A new version records who and why."""
        return await call_service_in_thread(lambda: lessons.retire(id, by=analyst, reason=reason))

    @mcp.tool(name="restore_lesson", title="Restore a lesson", annotations=CHANGES)
    async def restore_lesson(
        id: Annotated[str, Field(description="A lesson id (ls-...), a learned Q&A id (kb-...) or a ticket id.")],
        note: Annotated[str | None, Field(description="Why, in a few words (kept with the lesson).")] = None,
        analyst: Annotated[str, Field(description="Who restores it (kept with the lesson).")] = "analyst",
    ) -> Lesson:
        """Put a retired lesson back in use: its Q&A is searchable and may be suggested again."""
        return await call_service_in_thread(lambda: lessons.restore(id, by=analyst, note=note))

    names = ("get_learning_job", "list_learning_jobs", "list_lessons", "get_lesson", "retire_lesson", "restore_lesson")
    for name in names:
        flatten_output_schema(mcp, name)

    @mcp.resource(
        "vigil://learning/jobs/{id}",
        name="learning-job",
        title="Learning job",
        description="A learning job and what it learned (or why not), as JSON.",
        mime_type="application/json",
    )
    def job_resource(id: str) -> str:
        """A learning job as JSON."""
        return read_resource(lambda: worker.get(id).model_dump_json(indent=2))

    @mcp.resource(
        "vigil://lessons/{id}",
        name="lesson",
        title="Lesson",
        description="A lesson learned from a resolved ticket (newest version), as JSON.",
        mime_type="application/json",
    )
    def lesson_resource(id: str) -> str:
        """A lesson as JSON."""
        return read_resource(lambda: lessons.get(id).model_dump_json(indent=2))


def _drain_announced(app: App) -> list[LearningJob]:
    """Learn every queued job; the jobs finished."""
    done: list[LearningJob] = []
    while (job := app.worker.run_once()) is not None:
        done.append(job)
    return done
