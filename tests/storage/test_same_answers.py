"""DuckDB and PostgreSQL give the same answers on the same fixture (bundled runbooks and dialogues).

The whole path runs on each backend: ingest (passages, postings, embeddings), replay with learning
(lessons, learned Q&A), the proactive decisions, search by words and by meaning, ticket views and the
counts /metrics reads. Eight of the bundled runbooks keep the embedding cost to a few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LEARNING_TESTS_FLOOR
from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.models import SkippedInput
from vigil_mcp.services.replay import ReplayedSuggestion, read_dialogues, replay

DATA = Path(__file__).resolve().parents[2] / "vigil_mcp" / "data"
RUNBOOKS = 8
QUERIES = ("etcdMembersDown", "disk full on gitaly node", "certificate expired", "KubePodCrashLooping after deploy",
           "ftp client", "wireless card driver", "ERR_CONN_RESET")  # fmt: skip


def _run(app: App, runbooks: Path) -> dict[str, Any]:
    app.knowledge.add_paths([runbooks])
    skipped: list[SkippedInput] = []
    suggestions: list[ReplayedSuggestion] = []
    report = replay(app.tickets, read_dialogues(DATA / "dialogues-sample.jsonl", skipped), learn=True,
                    on_suggestion=suggestions.append, learn_now=app.worker.drain)  # fmt: skip
    tickets = app.tickets.list(limit=200)
    return {
        "report": (report.dialogues, report.messages, report.suggestions, report.resolved, len(report.skipped)),
        "suggestions": [
            (s.dialogue_id, s.message_idx, s.suggestion.text, s.suggestion.confidence, s.suggestion.citations)
            for s in suggestions
        ],
        "counts": app.knowledge.counts(),
        "search": {q: [(h.id, h.score) for h in app.knowledge.search(q, limit=10).hits] for q in QUERIES},
        "semantic": {
            q: [(r.record.passage_no, r.dense_rank, round(r.cosine or 0.0, 4)) for r in app.knowledge.retrieve(q, 10)]
            for q in QUERIES
        },
        "tickets": [(t.id, t.status, t.message_count, t.title, t.customer) for t in tickets],
        "dialogue": [(m.seq, m.role, m.kind, m.text) for m in app.tickets.get(tickets[0].id).messages],
        "lessons": sorted((lesson.ticket_id, lesson.status, lesson.fix) for lesson in app.lessons.list(limit=200)),
        "jobs": sorted((j.ticket_id, j.status) for j in app.worker.list(limit=200)),
        "activity": app.tickets.store.activity_counts(),
    }


@pytest.mark.embeddings
def test_duckdb_and_postgresql_answer_the_same(tmp_path: Path, postgres_url: str) -> None:
    runbooks = tmp_path / "runbooks.jsonl"
    lines = (DATA / "runbooks-sample.jsonl").read_text(encoding="utf-8").splitlines()[:RUNBOOKS]
    runbooks.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers: list[dict[str, Any]] = []
    for name, store in (("duckdb", None), ("postgresql", postgres_url)):
        home = tmp_path / name
        home.mkdir()
        flags = {"home": str(home), "store": store, "lesson_floor": LEARNING_TESTS_FLOOR}
        app = build_app(load_settings(flags, environ={}))
        try:
            assert app.knowledge.store.shared == (store is not None)
            answers.append(_run(app, runbooks))
        finally:
            app.close()
    duckdb, postgresql = answers
    assert duckdb["report"][0] > 40 and duckdb["counts"].get("qa", 0) > 0  # the fixture exercises learning
    assert duckdb["suggestions"] and any(duckdb["semantic"].values())  # and drafting, and meaning
    for key in duckdb:
        assert postgresql[key] == duckdb[key], key
