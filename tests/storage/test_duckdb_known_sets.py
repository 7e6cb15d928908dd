"""The DuckDB store answers "nothing stored" from memory (the file has one writer): it must never miss a row.

Learning asks, per resolved case, for the ticket's lesson, its diagnostic calls, the Q&A source's items
and whether another job waits; most answers are "none", and the store gives them without a query. These
tests write after such an answer, and across a reopen, and check that every row is still found.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil_mcp.app import App
from vigil_mcp.config import Settings
from vigil_mcp.models import LearnResult
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.learn.lessons import lesson_id
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.storage.duckdb_store import DuckDBStore

from ..services.learn.cases import GRUB, WEBHOOK, learning_app, resolve_case

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _store(app: App) -> DuckDBStore:
    store = app.knowledge.store
    assert isinstance(store, DuckDBStore)
    return store


def test_a_job_queued_after_the_queue_was_found_empty_is_learned(settings: Settings, tmp_path: Path) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        assert app.worker.run_once() is None  # the queue is empty now, and known to be
        learned = resolve_case(app, "ubuntu/1", *GRUB)
        assert learned.lesson is not None
        assert learned.lesson.ticket_id == "ubuntu/1"


def test_a_job_put_back_for_another_try_is_claimed_again(settings: Settings, tmp_path: Path) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        store = _store(app)
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        job = store.jobs("stripe/1", None, 5)[0]
        assert store.claim_jobs(NOW) == []
        store.finish_job(job.id, "queued", LearnResult(learned=False, reason="try again"), NOW)
        assert [j.id for j in store.claim_jobs(NOW + timedelta(seconds=1))] == [job.id]
        assert store.claim_jobs(NOW + timedelta(seconds=2)) == []


def test_a_job_a_stop_left_running_is_claimed_after_a_reopen(settings: Settings, tmp_path: Path) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        store = _store(app)
        job = store.jobs("stripe/1", None, 5)[0]
        store.finish_job(job.id, "running", LearnResult(learned=False, reason="stopped mid-job"), NOW)
        path = store.path
    reopened = DuckDBStore(path)
    try:
        assert reopened.claim_jobs(NOW) == []  # running, not queued
        assert reopened.requeue_running() == 1
        assert [j.id for j in reopened.claim_jobs(NOW)] == [job.id]
    finally:
        reopened.close()


def test_lessons_and_diagnostics_are_found_after_a_miss_and_after_a_reopen(settings: Settings, tmp_path: Path) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        store = _store(app)
        assert store.lesson(lesson_id("stripe/1")) is None
        assert store.lessons_by_ticket(["stripe/1"]) == {}
        assert store.diagnostics_of("stripe/1") == []
        store.record_diagnostic("stripe/1", "check_webhook", '{"endpoint": "we_1"}', True, NOW)
        learned = resolve_case(app, "stripe/1", *WEBHOOK[0])
        assert learned.lesson is not None
        assert store.lesson(lesson_id("stripe/1")) == learned.lesson
        assert set(store.lessons_by_ticket(["stripe/1", "stripe/2"])) == {"stripe/1"}
        assert store.diagnostics_of("stripe/1") == [("check_webhook", '{"endpoint": "we_1"}', True)]
        assert learned.lesson.diagnostics  # the learner read the call it was told about
        path = store.path
    reopened = DuckDBStore(path)
    try:
        found = reopened.lesson(lesson_id("stripe/1"))
        assert found is not None
        assert found.fix == learned.lesson.fix
        assert set(reopened.lessons_by_ticket(["stripe/1"])) == {"stripe/1"}
        assert reopened.diagnostics_of("stripe/1") == [("check_webhook", '{"endpoint": "we_1"}', True)]
    finally:
        reopened.close()


def test_a_source_added_after_a_miss_is_found_and_replaced_not_doubled(settings: Settings, tmp_path: Path) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        store = _store(app)
        assert store.source_items(["notes/rotate.md"]) == {"notes/rotate.md": {}}

        def doc(body: str) -> Document:
            return Document(source="notes/rotate.md", title="Rotate", chunks=[Chunk("Rotate", "Steps", body)])

        first = app.knowledge.add_documents([doc("Roll the signing secret in the dashboard.")])
        assert first.added == 1
        assert len(store.source_items(["notes/rotate.md"])["notes/rotate.md"]) == 1
        second = app.knowledge.add_documents([doc("Roll the signing secret, then update whsec_ in your server.")])
        assert (second.added, second.updated) == (0, 1)
        assert len(store.source_items(["notes/rotate.md"])["notes/rotate.md"]) == 1


def test_queued_jobs_are_claimed_oldest_first_one_at_a_time_until_none_is_left(
    settings: Settings, tmp_path: Path
) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        store = _store(app)
        for n, (question, answer) in enumerate(WEBHOOK, start=1):
            ticket = f"stripe/{n}"
            app.tickets.observe(Incoming(ticket, "customer", "ann", question))
            app.tickets.observe(Incoming(ticket, "analyst", "bob", answer))
            app.tickets.resolve(ticket)
        claimed = [store.claim_jobs(NOW + timedelta(seconds=i)) for i in range(4)]
        assert [[j.ticket_id for j in c] for c in claimed] == [["stripe/1"], ["stripe/2"], ["stripe/3"], []]
        assert all(j.status == "running" and j.attempts == 1 for c in claimed for j in c)
