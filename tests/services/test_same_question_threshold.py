"""The same-case thresholds are what the committed labels give, and a learned Q&A answers only its question."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eval_scripts import eval_script
from vigil_mcp.services.similarity import (
    SAME_CASE,
    SAME_CASE_HELPS,
    SAME_CASE_WORDS,
    SAME_CASE_WORDS_HELPS,
    Sameness,
)

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "eval" / "labels" / "questions"


def _rows(part: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (LABELS / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_shipped_same_question_thresholds_are_what_a_refit_on_the_committed_labels_gives() -> None:
    fitted = eval_script("fit_same_question").fit_all()
    assert fitted["cosine"] == SAME_CASE
    assert fitted["token_f1"] == SAME_CASE_WORDS


def test_the_labels_cover_the_cosine_range_both_verdicts_and_parts_split_by_dialogue() -> None:
    for part in ("fit", "heldout"):
        rows = _rows(part)
        assert {r["label"] for r in rows} == {"same", "different"}
        cosines = [float(str(r["cosine"])) for r in rows]
        assert min(cosines) < 0.5 and max(cosines) > 0.85
    assert not {r["dialogue_id"] for r in _rows("fit")} & {r["dialogue_id"] for r in _rows("heldout")}


def test_the_fitted_cosine_is_precise_on_the_held_back_pairs() -> None:
    fit = eval_script("fit_dedupe")
    precision, recall, _ = fit.scores(fit.load(LABELS / "heldout.jsonl"), "cosine", SAME_CASE)
    assert precision >= 0.8 and recall >= 0.4


def test_without_a_model_the_same_case_in_other_words_matches_and_another_topic_does_not() -> None:
    same = Sameness(None)
    asked = "how do I change grub to boot windows by default?"
    assert same.same_case(None, asked, "change GRUB so windows boots by default")
    assert not same.same_case(None, asked, "how do I mount an ntfs partition?")
    assert not same.same_case(0.99, "grub default windows", "mount ntfs")  # no model: words decide


def test_how_often_a_same_case_learned_fix_helps_is_what_the_held_back_pairs_and_first_reads_give() -> None:
    lessons = eval_script("fit_lessons")
    reads = lessons.fit_all()["figures"]["first_reads"]
    (_, kept_at_floor), *_ = reads["at_floor"]  # the first reads kept at or above the shipped lesson floor
    rows = _rows("heldout")
    for measure, bar, helps in (
        ("cosine", SAME_CASE, SAME_CASE_HELPS),
        ("token_f1", SAME_CASE_WORDS, SAME_CASE_WORDS_HELPS),
    ):
        passed = [r for r in rows if float(str(r[measure])) >= bar]
        same = sum(1 for r in passed if r["label"] == "same")
        assert round(lessons.wilson_lower(same / len(passed), len(passed)) * kept_at_floor, 2) == helps, measure
    assert Sameness(None).case_helps == SAME_CASE_WORDS_HELPS < SAME_CASE_HELPS
