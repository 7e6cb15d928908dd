"""`vigil lessons list|show|retire|restore` and `vigil learned`: review what vigil learned from resolved tickets."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

import click

from vigil_mcp.cli.options import global_options, json_option, settings_of

if TYPE_CHECKING:
    from vigil_mcp.app import App
    from vigil_mcp.models import LearningJob, Lesson, LessonStatus

TEXT_COLUMN = 70


def _app(ctx: click.Context) -> App:
    from vigil_mcp.app import build_app

    app = build_app(settings_of(ctx))
    app.knowledge.load()
    return app


def _short(text: str, limit: int = TEXT_COLUMN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _line(lesson: Lesson) -> str:
    skill = f" skill {lesson.skill} v{lesson.skill_version}" if lesson.skill else ""
    return f"{lesson.id}  v{lesson.version:<3} {lesson.status:8} {lesson.ticket_id}: {_short(lesson.problem)}{skill}"


@click.group()
def lessons() -> None:
    """Review the lessons vigil learned from resolved tickets.

    A lesson is the problem, the customer's symptoms, the fix and its evidence; its Q&A item is what
    the answer path suggests. Retiring a lesson takes its Q&A out of the index until it is restored.
    """


@lessons.command("list")
@click.option("--status", type=click.Choice(["active", "retired"]), help="only lessons with this status")
@click.option("--ticket", "ticket_id", metavar="ID", help="only the lesson of this ticket")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True, help="how many")
@json_option("the lessons")
@global_options
@click.pass_context
def list_command(ctx: click.Context, status: str | None, ticket_id: str | None, limit: int, as_json: bool) -> int:
    """List lessons, most recently changed first."""
    from vigil_mcp.cli import out

    app = _app(ctx)
    try:
        found = app.lessons.list(cast("LessonStatus | None", status), ticket_id, limit)
        if as_json:
            out(json.dumps([lesson.model_dump(mode="json") for lesson in found], indent=2))
        for lesson in [] if as_json else found:
            out(_line(lesson))
        if not found and not as_json:
            out("no lessons yet: vigil learns one when a ticket is resolved and its fix is found")
    finally:
        app.close()
    return 0


@lessons.command()
@click.argument("ref", metavar="ID")
@click.option("--versions", is_flag=True, help="every version, oldest first")
@json_option("the lesson")
@global_options
@click.pass_context
def show(ctx: click.Context, ref: str, versions: bool, as_json: bool) -> int:
    """Show a lesson: problem, symptoms, fix, evidence.

    ID is a lesson id (ls-...), a learned Q&A id (kb-...) or a ticket id.
    """
    from vigil_mcp.cli import out

    app = _app(ctx)
    try:
        found = app.lessons.versions(ref) if versions else [app.lessons.get(ref)]
        if as_json:
            out(json.dumps([lesson.model_dump(mode="json") for lesson in found], indent=2))
            return 0
        for lesson in found:
            out(f"{lesson.id} version {lesson.version} ({lesson.status}; {lesson.change} by {lesson.changed_by}"
                f"{': ' + lesson.note if lesson.note else ''})")  # fmt: skip
            out(f"  ticket:      {lesson.ticket_id}  (confirmed by {lesson.confirmed_by}, confidence "
                f"{lesson.confidence:.2f}, evidence {', '.join(lesson.evidence)})")  # fmt: skip
            out(f"  problem:     {lesson.problem}")
            for symptom in lesson.symptoms:
                out(f"  symptom:     > {_short(symptom, 200)}")
            if lesson.environment:
                out(f"  environment: {', '.join(lesson.environment)}")
            for step in [*lesson.tried, *lesson.diagnostics]:
                out(f"  checked:     {step}")
            out("  fix:         " + lesson.fix.replace("\n", "\n               "))
            out(f"  q&a:         {lesson.knowledge_id or '-'}   skill: {lesson.skill or '-'}")
    finally:
        app.close()
    return 0


def _change(ctx: click.Context, ref: str, retire: bool, note: str | None, analyst: str) -> int:
    from vigil_mcp.cli import out

    app = _app(ctx)
    try:
        before = app.lessons.get(ref)
        if retire:
            after = app.lessons.retire(ref, by=analyst, reason=note)
        else:
            after = app.lessons.restore(ref, by=analyst, note=note)
        if after.version == before.version:
            out(f"{after.id} is already {after.status} (version {after.version}); nothing written")
        else:
            out(f"{after.id}: {before.status} -> {after.status}, version {before.version} -> {after.version}")
    finally:
        app.close()
    return 0


@lessons.command()
@click.argument("ref", metavar="ID")
@click.option("--reason", help="why (kept with the lesson)")
@click.option("--analyst", default="analyst", show_default=True, help="who retires it")
@global_options
@click.pass_context
def retire(ctx: click.Context, ref: str, reason: str | None, analyst: str) -> int:
    """Retire a lesson: its Q&A leaves the index.

    It stays out until `vigil lessons restore`; relearning the ticket keeps it retired.
    """
    return _change(ctx, ref, True, reason, analyst)


@lessons.command()
@click.argument("ref", metavar="ID")
@click.option("--note", help="why (kept with the lesson)")
@click.option("--analyst", default="analyst", show_default=True, help="who restores it")
@global_options
@click.pass_context
def restore(ctx: click.Context, ref: str, note: str | None, analyst: str) -> int:
    """Restore a retired lesson: its Q&A is back."""
    return _change(ctx, ref, False, note, analyst)


def _taught(job: LearningJob) -> str:
    result = job.result
    if result is None:
        return f"{job.status} (attempt {job.attempts})"
    what = result.reason
    if result.skill:
        what += f"; skill {result.skill} v{result.skill_version} ({result.skill_change})"
    return what


@click.command()
@click.option("--ticket", "ticket_id", metavar="ID", help="only this ticket")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True, help="how many")
@json_option("the learning jobs")
@global_options
@click.pass_context
def learned(ctx: click.Context, ticket_id: str | None, limit: int, as_json: bool) -> int:
    """What each resolved ticket taught vigil, or why not."""
    from vigil_mcp.cli import out

    app = _app(ctx)
    try:
        jobs = app.worker.list(ticket_id, None, limit)
        if as_json:
            out(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
        for job in [] if as_json else jobs:
            out(f"{job.ticket_id} (resolved by {job.trigger}, {job.created_at:%Y-%m-%d %H:%M}): {_taught(job)}")
        if not jobs and not as_json:
            out("no resolved tickets yet")
    finally:
        app.close()
    return 0
