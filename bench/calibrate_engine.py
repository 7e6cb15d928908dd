"""Fit the offline engine's confidence on the real dialogues (run by hand; prints coefficients).

    .venv/bin/python bench/calibrate_engine.py [--dialogues ../shared/data/dialogues.jsonl]

Replays every dialogue in time order with learning over the real runbooks. For every customer
question vigil scores, each retrieved candidate is labelled helpful when the answer vigil would
draft from it has token F1 >= 0.3 against the human resolution of that dialogue (questions
asked before the resolution turn of resolved dialogues only). A logistic regression on the
candidates' features is fitted on the first 70 % of dialogues (time order) and evaluated on the
rest: precision and coverage per threshold. Paste the printed Calibration into
vigil_mcp/services/answer/engine/scoring.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import astuple
from pathlib import Path

import numpy as np

from vigil_mcp.app import build_app
from vigil_mcp.config import load_settings
from vigil_mcp.models import Message, SkippedInput
from vigil_mcp.services.answer.engine.base import Evidence
from vigil_mcp.services.answer.engine.offline import compose
from vigil_mcp.services.answer.engine.scoring import Features
from vigil_mcp.services.replay import read_dialogues, replay
from vigil_mcp.services.text import token_f1

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
NAMES = ["coverage", "title_coverage", "informative", "margin", "is_qa"]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Newton's method for L2-regularised logistic regression; returns [bias, weights...]."""
    xb = np.hstack([np.ones((x.shape[0], 1)), x])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogues", type=Path, default=SHARED / "dialogues.jsonl")
    parser.add_argument("--runbooks", type=Path, default=SHARED / "runbooks.jsonl")
    parser.add_argument("--train", type=float, default=0.7)
    parser.add_argument("--reuse", action="store_true", help="refit on the rows cached by the last replay")
    args = parser.parse_args()
    cache = HERE / ".cache" / "calibration-rows.json"
    if args.reuse and cache.exists():
        data = json.loads(cache.read_text(encoding="utf-8"))
        evaluate([tuple(r) for r in data["rows"]], data["dialogues"], args.train)  # type: ignore[misc]
        return

    resolution: dict[str, tuple[int, str]] = {}
    with args.dialogues.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("resolved") and rec.get("resolution"):
                turn = rec["resolution"]["turn"]
                resolution[rec["id"]] = (rec["turns"][turn]["idx"], rec["resolution"]["text"])

    home = Path(tempfile.mkdtemp(prefix="vigil-calibrate-"))
    try:
        app = build_app(load_settings({"home": str(home)}, environ={}))
        app.knowledge.add_paths([args.runbooks])
        # (dialogue order, features, label, ticket, question number)
        rows: list[tuple[int, tuple[float, ...], int, str, int]] = []
        order: dict[str, int] = {}
        questions = [0]

        def observe(message: Message, scored: list[tuple[float, Evidence, Features]]) -> None:
            res = resolution.get(message.ticket_id)
            if res is None or not (message.message_id or "").isdigit() or int(message.message_id or 0) >= res[0]:
                return
            questions[0] += 1
            for _, ev, f in scored:
                label = int(token_f1(compose(ev), res[1]) >= 0.3)
                rows.append((order[message.ticket_id], astuple(f), label, message.ticket_id, questions[0]))

        app.tickets.proactive.observer = observe
        skipped: list[SkippedInput] = []
        dialogues = read_dialogues(args.dialogues, skipped)
        for i, d in enumerate(dialogues):
            order[d.id] = i
        report = replay(app.tickets, dialogues, learn=True)
        print("replay:", report.summary())
        app.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"rows": rows, "dialogues": len(order)}), encoding="utf-8")
    evaluate(rows, len(order), args.train)


def evaluate(rows: list[tuple[int, tuple[float, ...], int, str, int]], n_dialogues: int, train_share: float) -> None:
    """Fit on the first dialogues, report precision and coverage on the rest."""
    cut = int(n_dialogues * train_share)
    x = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows], dtype=float)
    train = np.array([r[0] < cut for r in rows])
    print(f"candidates: {len(rows)} ({int(y.sum())} helpful), train {int(train.sum())}, test {int((~train).sum())}")
    w = fit_logistic(x[train], y[train])
    print(
        "Calibration("
        + ", ".join([f"bias={w[0]:.3f}"] + [f"{n}={v:.3f}" for n, v in zip(NAMES, w[1:], strict=True)])
        + ")"
    )
    # Evaluate on held-out dialogues: per question the engine speaks with its best candidate.
    xb = np.hstack([np.ones((x.shape[0], 1)), x])
    conf = 1 / (1 + np.exp(-(xb @ w)))
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r[4], []).append(i)
    test_groups = [g for g in groups.values() if not train[g[0]]]
    print(f"held-out questions scored: {len(test_groups)}")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        spoke = helpful = 0
        for g in test_groups:
            i = max(g, key=lambda j: conf[j])
            if conf[i] >= threshold:
                spoke += 1
                helpful += int(y[i])
        precision = helpful / spoke if spoke else float("nan")
        print(
            f"threshold {threshold:.1f}: speaks on {spoke} ({spoke / max(1, len(test_groups)):.1%}), "
            f"precision proxy {precision:.2f}"
        )


if __name__ == "__main__":
    main()
