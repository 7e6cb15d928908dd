"""Fit the dedupe thresholds (`services/similarity.SAME_MEANING`, `SAME_WORDS`) on the labelled pairs.

    .venv/bin/python eval/fit_dedupe.py            # fit on fit.jsonl, report on heldout.jsonl
    .venv/bin/python eval/fit_dedupe.py --check    # exit 1 if the shipped constants are not what a refit gives

Inputs: eval/labels/dedupe/fit.jsonl and heldout.jsonl, pairs (a draft of vigil's, an earlier text of
its ticket) labelled `same` (sending the draft would add nothing) or `new` by reading (GUIDE.md), split
by ticket; each row carries the pair's embedding cosine, token F1 and Jaccard of content terms, as
eval/dedupe_pairs.py computed them, so fitting needs no model.

Objective: dedupe holds a draft back when its score reaches the threshold, so "same" is the positive
class. The threshold is the one on a 0.01 grid with the best F0.5 for "same" on the fit part
(precision counts twice as much as recall; ties go to the higher, more precise threshold), with at
least MIN_FLAGGED pairs flagged. Why precision first: a repeat that goes out costs the analyst a
glance and a click (they do not send it); a helpful draft held back loses the help vigil exists for,
and nobody sees it was lost. A fixed precision target (90 %) was tried first: no cosine threshold
below 1.0 reaches it with MIN_FLAGGED pairs flagged, so it would only catch verbatim copies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vigil_mcp.services import similarity  # noqa: E402

LABELS = REPO / "eval" / "labels" / "dedupe"
BETA = 0.5
MIN_FLAGGED = 10
GRID = [round(0.3 + 0.01 * i, 2) for i in range(71)]  # 0.30 .. 1.00
MEASURES = ("cosine", "token_f1", "jaccard")


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled rows of one part."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def f_beta(precision: float, recall: float) -> float:
    """F-beta with BETA (precision weighted 1 / BETA times as much as recall)."""
    b2 = BETA * BETA
    return (1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall else 0.0


def scores(rows: list[dict[str, Any]], measure: str, threshold: float) -> tuple[float, float, int]:
    """(precision, recall, number flagged) of "same" when `measure` >= `threshold` flags a pair."""
    flagged = [r for r in rows if r[measure] >= threshold]
    hits = sum(r["label"] == "same" for r in flagged)
    positives = sum(r["label"] == "same" for r in rows)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / positives if positives else 0.0
    return precision, recall, len(flagged)


def fit(rows: list[dict[str, Any]], measure: str, grid: list[float] = GRID) -> float:
    """The grid threshold with the best F-beta on `rows` (ties: the higher one)."""
    best, best_f = 1.0, -1.0
    for threshold in grid:
        precision, recall, flagged = scores(rows, measure, threshold)
        f = round(f_beta(precision, recall), 6)
        if flagged >= MIN_FLAGGED and f >= best_f:
            best, best_f = threshold, f
    return best


def fit_all() -> dict[str, float]:
    """The fitted threshold of each measure on the committed fit part."""
    rows = load(LABELS / "fit.jsonl")
    return {m: fit(rows, m) for m in MEASURES}


def print_table(fit_rows: list[dict[str, Any]], held: list[dict[str, Any]], fitted: dict[str, float]) -> None:
    """The parts' sizes and each fitted threshold's precision and recall for "same" on both parts."""

    def count(rows: list[dict[str, Any]]) -> str:
        return f"{len(rows)} pairs, {sum(r['label'] == 'same' for r in rows)} same"

    print(f"fit: {count(fit_rows)}; held back: {count(held)}")
    print(f"objective: best F{BETA} for 'same' on the fit part")
    print("| measure | threshold | fit P | fit R | held-back P | held-back R | held-back F0.5 | flagged |")
    print("|---|---|---|---|---|---|---|---|")
    for m, t in fitted.items():
        fp, fr, _ = scores(fit_rows, m, t)
        hp, hr, hn = scores(held, m, t)
        cells = [m, f"{t:.2f}", f"{fp:.2f}", f"{fr:.2f}", f"{hp:.2f}", f"{hr:.2f}", f"{f_beta(hp, hr):.2f}"]
        print("| " + " | ".join(cells) + f" | {hn} of {len(held)} |")


def check_shipped(shipped: dict[str, float], fitted: dict[str, float], strict: bool) -> None:
    """Say which shipped constant is not its refit; with `strict`, exit 1."""
    wrong = {m: (v, fitted[m]) for m, v in shipped.items() if abs(v - fitted[m]) > 1e-9}
    for m, (v, f) in wrong.items():
        print(f"shipped {m} threshold {v} is not the fitted {f}", file=sys.stderr)
    if wrong and strict:
        raise SystemExit(1)


Fitted = tuple[dict[str, float], list[dict[str, Any]], bool]


def fit_and_print(doc: str, labels: Path, measures: tuple[str, ...], grid: list[float] = GRID) -> Fitted:
    """The command line of a fitting script: (thresholds fitted on `labels`/fit.jsonl, the held-back
    rows, whether --check was given), with the table printed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped constants differ from a refit")
    check = bool(parser.parse_args().check)
    fit_rows, held = load(labels / "fit.jsonl"), load(labels / "heldout.jsonl")
    fitted = {m: fit(fit_rows, m, grid) for m in measures}
    print_table(fit_rows, held, fitted)
    return fitted, held, check


def main() -> None:
    """Fit, report and optionally check the shipped constants."""
    fitted, held, check = fit_and_print(__doc__, LABELS, MEASURES)
    hp, hr, hn = scores(held, "cosine", 0.7)
    print(f"for comparison, cosine 0.70 (the open-source value) on the held-back part: precision {hp:.2f}, "
          f"recall {hr:.2f}, {hn} flagged")  # fmt: skip
    check_shipped({"cosine": similarity.SAME_MEANING, "token_f1": similarity.SAME_WORDS}, fitted, check)


if __name__ == "__main__":
    main()
