"""The lesson-lifecycle API the answer path calls from suggestion feedback: retire, restore, revise."""

from __future__ import annotations

from pathlib import Path

from vigil_mcp.config import Settings

from .cases import WEBHOOK, learn_again, learning_app, resolve_case


def test_retire_restore_and_revise_make_new_versions_and_move_the_qa_with_them(
    settings: Settings, tmp_path: Path
) -> None:
    with learning_app(settings, tmp_path / "skills") as app:
        learned = resolve_case(app, "stripe/1", *WEBHOOK[0])
        lesson = learned.lesson
        assert lesson is not None and lesson.knowledge_id is not None
        book = app.lessons
        assert book.for_knowledge_item(lesson.knowledge_id) == lesson
        hits = lambda: [h.id for h in app.knowledge.search("No signatures found matching", kind="qa").hits]  # noqa: E731
        assert hits() == [lesson.knowledge_id]

        retired = book.retire(lesson.knowledge_id, by="ana", reason="rejected twice", suggestion_id="sg-1")
        assert (retired.version, retired.status, retired.changed_by, retired.note) == (
            2,
            "retired",
            "ana",
            "rejected twice",
        )
        assert retired.suggestion_id == "sg-1" and hits() == []
        assert book.retire(lesson.id, by="ana") == retired, "retiring twice changes nothing"
        again = learn_again(app, "stripe/1")
        assert again.lesson is not None and again.lesson.status == "retired" and hits() == []

        restored = book.restore("stripe/1", by="bob")
        assert (restored.status, restored.change) == ("active", "restored") and hits() == [lesson.knowledge_id]

        revised = book.revise(lesson.id, "Pass the raw body (express.raw) to constructEvent.", by="cy",
                              suggestion_id="sg-2", note="edited suggestion")  # fmt: skip
        assert (revised.change, revised.changed_by, revised.suggestion_id) == ("revised", "cy", "sg-2")
        assert "express.raw" in app.knowledge.get(lesson.knowledge_id).body
        relearned = learn_again(app, "stripe/1").lesson
        assert relearned is not None and relearned.fix == revised.fix, "the analyst's fix wins over a relearning"
        assert [v.change for v in book.versions(lesson.id)][:5] == ["learned", "retired", "restored", "revised"][:5]
