"""Fit the same-case thresholds (`services/similarity.SAME_CASE`, `SAME_CASE_WORDS`).

    .venv/bin/python eval/fit_same_question.py            # fit on fit.jsonl, report on heldout.jsonl
    .venv/bin/python eval/fit_same_question.py --check    # exit 1 if the shipped constants are not a refit

Inputs: eval/labels/questions/fit.jsonl and heldout.jsonl, pairs (a customer's request as the answer
path queries it, the question of the nearest learned Q&A of another dialogue) labelled `same` (that
case's answer would answer this customer) or `different` by reading (GUIDE.md), split by dialogue;
each row carries the pair's embedding cosine and token F1 as eval/question_pairs.py computed them.

A learned Q&A is offered only when the request reaches the threshold, so "same" is the positive
class, and the objective is the one dedupe uses (eval/fit_dedupe.py): the grid threshold with the
best F0.5 for "same" on the fit part. Precision first: an answer given to another customer's question
is a wrong draft the analyst has to read and discard, and wrong drafts teach analysts to ignore vigil.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))

from fit_dedupe import check_shipped, fit, fit_and_print, load, scores  # noqa: E402  # pyright: ignore[reportMissingImports]

from vigil_mcp.services import similarity  # noqa: E402

LABELS = REPO / "eval" / "labels" / "questions"
CANDIDATES = REPO / "bench" / ".cache" / "questions" / "candidates.jsonl"
MEASURES = ("cosine", "token_f1")


def fit_all() -> dict[str, float]:
    """The fitted threshold of each measure on the committed fit part."""
    rows = load(LABELS / "fit.jsonl")
    return {m: fit(rows, m) for m in MEASURES}


def main() -> None:
    """Fit, report and optionally check the shipped constants."""
    fitted, held, check = fit_and_print(__doc__, LABELS, MEASURES)
    for old in (0.5, 0.6, 0.7):
        hp, hr, hn = scores(held, "cosine", old)
        print(f"cosine {old:.2f} on the held-back part: precision {hp:.2f}, recall {hr:.2f}, {hn} passed")
    if CANDIDATES.exists():
        rows = [json.loads(line) for line in CANDIDATES.read_text(encoding="utf-8").splitlines() if line.strip()]
        passed = sum(r["cosine"] >= fitted["cosine"] for r in rows)
        print(f"requests whose nearest learned Q&A (all {len(rows)} requests, every lesson of the shared dialogues) "
              f"reaches cosine {fitted['cosine']:.2f}: {passed} ({passed / len(rows):.1%})")  # fmt: skip
    shipped = {"cosine": similarity.SAME_CASE, "token_f1": similarity.SAME_CASE_WORDS}
    check_shipped(shipped, fitted, check)


if __name__ == "__main__":
    main()
