"""Fit the request model of the identify stage on the fit part of the labels.

    python eval/fit_identify.py           # fit, print the cross-validated figures, write identify_model.py
    python eval/fit_identify.py --check   # exit 1 when the committed identify_model.py is not what a refit gives

Only `eval/labels/identify/fit.jsonl` is read. The model sees the turns the rules of identify.py
leave to it (not the thanks, greetings and follow-ups they recognise): an L2-regularised logistic
regression over `identify_cues.request_features`. The regularisation strength and the threshold are
chosen by 5-fold cross-validation over dialogues inside the fit part: the strength with the
lowest out-of-fold log-loss, the threshold with the best out-of-fold F0.5 of `request` (precision
weighs twice recall: speaking on a non-request is worse than missing one).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
from identify_labels import load

from vigil_mcp.services.answer import identify, identify_cues

MODEL = Path(identify.__file__).with_name("identify_model.py")
FOLDS = 5
STRENGTHS = (0.1, 0.3, 1.0, 3.0, 10.0)
BETA = 0.5


def _fold(dialogue_id: str) -> int:
    return int(hashlib.sha256(f"fold:{dialogue_id}".encode()).hexdigest()[:8], 16) % FOLDS


def _fit(x: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    """Newton's method on the L2-penalised log-likelihood (the intercept is not penalised)."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    penalty = np.full(xb.shape[1], strength)
    penalty[0] = 0.0
    w = np.zeros(xb.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        gradient = xb.T @ (p - y) + penalty * w
        hessian = (xb.T * (p * (1 - p))) @ xb + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def _predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:])))


def _f_beta(tp: int, fp: int, fn: int) -> float:
    if tp == 0:
        return 0.0
    b2 = BETA * BETA
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)


def reply_to(row: dict[str, Any]) -> str | None:
    """The previous turn of the row's ticket when someone else wrote it (what the ticket service passes)."""
    last = row["context"][-1] if row["context"] else None
    return last["text"] if last is not None and last["speaker"] != row["speaker"] else None


def features_of(row: dict[str, Any], addressed: bool, body: str) -> tuple[float, ...]:
    """The model's cues for a labelled row, computed as identify_turn() computes them."""
    return identify_cues.request_features(
        body,
        addressed=addressed,
        reply_to=reply_to(row),
        position=identify.position_of(row["participants"], row["speaker"]),
    )


def fit() -> tuple[str, dict[str, float]]:
    """The text of identify_model.py fitted on the fit part, and the cross-validated figures."""
    rows = load("fit")
    x_rows: list[tuple[float, ...]] = []
    y_rows: list[float] = []
    folds: list[int] = []
    ruled_requests = ruled = 0
    for row in rows:
        addressed, body = identify.split_address(row["text"], row["participants"])
        if identify.rule_kind(body) is not None:
            ruled += 1
            ruled_requests += bool(row["request"])
            continue
        x_rows.append(features_of(row, addressed is not None, body))
        y_rows.append(float(row["request"]))
        folds.append(_fold(row["id"]))
    x, y, fold = np.array(x_rows), np.array(y_rows), np.array(folds)

    def out_of_fold(strength: float) -> np.ndarray:
        p = np.zeros(len(y))
        for k in range(FOLDS):
            test = fold == k
            p[test] = _predict(_fit(x[~test], y[~test], strength), x[test])
        return p

    def log_loss(p: np.ndarray) -> float:
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    strength = min(STRENGTHS, key=lambda s: (log_loss(out_of_fold(s)), -s))
    oof = out_of_fold(strength)
    best = (-1.0, 1.0, 0, 0, 0)
    for threshold in sorted({round(float(t), 3) for t in oof}, reverse=True):
        predicted = oof >= threshold
        tp = int(np.sum(predicted & (y == 1)))
        fp = int(np.sum(predicted & (y == 0)))
        fn = int(np.sum(~predicted & (y == 1))) + ruled_requests
        score = _f_beta(tp, fp, fn)
        if score > best[0] + 1e-12:
            best = (score, threshold, tp, fp, fn)
    score, threshold, tp, fp, fn = best
    w = _fit(x, y, strength)
    weights = "\n".join(f"    {v:.4f},  # {name}" for name, v in zip(identify_cues.FEATURES, w[1:], strict=True))
    text = f'''"""Weights of the request model in identify.py. Written by eval/fit_identify.py; do not edit by hand.

The cues are identify_cues.FEATURES. Fitted on eval/labels/identify/fit.jsonl ({len(y)} turns the rules leave
to the model, of {len(rows)}):
L2 strength {strength} and threshold chosen by {FOLDS}-fold cross-validation over dialogues
(threshold: best out-of-fold F{BETA} of `request`). Rerun the script after changing the features.
"""

INTERCEPT = {w[0]:.4f}
WEIGHTS: tuple[float, ...] = (
{weights}
)
THRESHOLD = {threshold}
'''
    figures = {
        "strength": strength,
        "threshold": threshold,
        "cv_precision": tp / max(tp + fp, 1),
        "cv_recall": tp / max(tp + fn, 1),
        "cv_f_beta": score,
        "model_rows": float(len(y)),
        "rule_rows": float(ruled),
    }
    return text, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed model instead of writing")
    args = parser.parse_args()
    text, figures = fit()
    if args.check:
        if MODEL.read_text(encoding="utf-8") != text:
            sys.exit(f"{MODEL} is stale: run python eval/fit_identify.py")
        print(f"{MODEL.name} is what a refit gives")
        return
    MODEL.write_text(text, encoding="utf-8")
    print(
        f"fit: {figures['model_rows']:.0f} turns to the model, {figures['rule_rows']:.0f} decided by rules; "
        f"L2 {figures['strength']}, threshold {figures['threshold']}; cross-validated request "
        f"precision {figures['cv_precision']:.3f} recall {figures['cv_recall']:.3f} F{BETA} {figures['cv_f_beta']:.3f}"
    )
    print(f"wrote {MODEL}")


if __name__ == "__main__":
    main()
