"""Fit the same-problem threshold (`services/similarity.SAME_PROBLEM`) and measure the word fallback (`SIMILAR`).

    .venv/bin/python eval/fit_same_problem.py            # fit on fit.jsonl, report on heldout.jsonl
    .venv/bin/python eval/fit_same_problem.py --check    # exit 1 if the shipped constant is not a refit

Inputs: eval/labels/skills/fit.jsonl and heldout.jsonl, pairs of lessons of the shared dialogues
labelled `same` (one skill, one procedure, would serve both customers) or `different` by reading
(GUIDE.md), split by dialogue; each row carries the pair's embedding cosines and weighted Jaccard as
eval/skill_pairs.py computed them, so fitting needs no model. Measures: `cosine_problem` (the two
problem statements, what the rule uses), `cosine` (the two Q&A passages: problem and symptoms) and
`words` (the fallback's weighted Jaccard, 0 below MIN_SHARED shared terms).

A skill is written from (or a case folded into one) only when the score reaches the threshold, so
"same" is the positive class, and the objective is dedupe's (eval/fit_dedupe.py): the threshold on a
0.01 grid with the best F0.5 for "same" on the fit part. Precision first: a skill that mixes two
problems teaches a procedure for the wrong one and costs a maintainer's review to retire.

With a model the shipped rule is the fitted cosine or the word rule (figures printed below the
table). The word fallback is reported, not fitted: its F0.5 fit (in the table) has a precision near 0.3, so
`SIMILAR` keeps its strict value, whose figures are printed below the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))

from fit_dedupe import check_shipped, fit_and_print, load, scores  # noqa: E402  # pyright: ignore[reportMissingImports]

from vigil_mcp.services import similarity  # noqa: E402

LABELS = REPO / "eval" / "labels" / "skills"
MEASURES = ("cosine_problem", "cosine", "words")
GRID = [round(0.05 + 0.01 * i, 2) for i in range(96)]  # 0.05 .. 1.00: Jaccard scores lie low


def main() -> None:
    """Fit, report and optionally check the shipped constant."""
    fitted, held, check = fit_and_print(__doc__, LABELS, MEASURES, GRID)
    rows = load(LABELS / "fit.jsonl") + held
    for name, measure, value in (
        ("SAME_CASE", "cosine_problem", similarity.SAME_CASE),
        ("SIMILAR, the shipped fallback", "words", similarity.SIMILAR),
    ):
        p, r, n = scores(rows, measure, value)
        print(
            f"{name} {value:.2f} ({measure}) on all {len(rows)} pairs: precision {p:.2f}, recall {r:.2f}, {n} flagged"
        )
    for part, part_rows in (("fit", load(LABELS / "fit.jsonl")), ("held-back", held)):
        for r in part_rows:  # the shipped rule with a model: the cosine, or the word rule
            r["rule"] = float(r["cosine_problem"] >= similarity.SAME_PROBLEM or r["words"] >= similarity.SIMILAR)
        p, r, n = scores(part_rows, "rule", 1.0)
        print(f"shipped rule with a model (cosine_problem >= {similarity.SAME_PROBLEM:.2f} or words >= "
              f"{similarity.SIMILAR:.2f}), {part} part: precision {p:.2f}, recall {r:.2f}, {n} flagged")  # fmt: skip
    check_shipped({"cosine_problem": similarity.SAME_PROBLEM}, {"cosine_problem": fitted["cosine_problem"]}, check)


if __name__ == "__main__":
    main()
