"""Fit the judge on the labelled passages and choose its thresholds; write vigil_mcp/data/judge.json.

    .venv/bin/python eval/fit_judge.py            # fit, report, write judge.json and eval/reports/judge.md
    .venv/bin/python eval/fit_judge.py --check    # exit 1 if judge.json is not what a refit gives

Inputs: eval/labels/judge/labels.jsonl (answers / related / unrelated per question and passage, made
by reading; see GUIDE.md) and eval/labels/judge/features.jsonl (every labelled candidate's features as
the current pipeline computes them: `eval/judge_pool.py features`, then `fit_judge.py --from-cache`,
rebuild it). Questions are split
into a fit part and a held-back part by a hash of their dialogue id (eval/judge_split.py; the docq fit half's
questions are always in the fit part).

Model: L2-regularised logistic regression (Newton's method) of "answers" against the rest, over the
judge's features; the regularisation is chosen by grouped cross-validation on the fit part. Two
models are fitted: `hybrid` (all features) and `lexical` (no embedding features), for when no
embedding model is installed.

Thresholds, per model, on the held-back part, as the issue asks: vigil speaks on a question when its
best candidate's probability reaches `threshold`; precision is the share of those whose best candidate
was labelled answers, coverage the share of questions spoken on. `threshold` is the lowest with
precision >= 70 % (at least MIN_SPOKEN questions spoken on); when none reaches it, the most precise
one speaking on at least MIN_SPOKEN_FALLBACK, and the figures say `target_met: false`. `llm_gate`,
for the Anthropic engine, is recall-oriented: the probability that 90 % of the fit part's answering passages reach.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from judge_split import held_back  # noqa: E402

from vigil_mcp.services.answer.judge import FEATURE_NAMES  # noqa: E402

LABELS = REPO / "eval" / "labels" / "judge"
OUT = REPO / "vigil_mcp" / "data" / "judge.json"
REPORT = REPO / "eval" / "reports" / "judge.md"
TARGET_PRECISION = 0.70
MIN_SPOKEN = 15
# When no threshold reaches TARGET_PRECISION on MIN_SPOKEN held-back questions, the most precise
# threshold that still speaks on at least this many is taken (and the report says the target is missed).
MIN_SPOKEN_FALLBACK = 6
LLM_RECALL = 0.90
DENSE = ("cosine", "cosine_margin", "top_dense")
L2_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
FOLDS = 5

Matrix = npt.NDArray[np.float64]


def fit_logistic(x: Matrix, y: Matrix, l2: float, iters: int = 100) -> Matrix:
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
        if np.abs(step).max() < 1e-9:
            break
    return w


def predict(w: Matrix, x: Matrix) -> Matrix:
    """Probabilities for rows of x."""
    return 1 / (1 + np.exp(-(w[0] + x @ w[1:])))


def load(labels_path: Path, features_path: Path) -> list[dict[str, Any]]:
    """Questions with their labelled candidates: {qid, dialogue_id, held, rows: [(features, label)]}."""
    labels: dict[tuple[str, str, str], str] = {}
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labels[(rec["qid"], rec["item_id"], rec["passage_sha"])] = rec["label"]
    questions: list[dict[str, Any]] = []
    for line in features_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        rows: list[tuple[list[float], str]] = []
        for c in rec["candidates"]:
            label = labels.get((rec["qid"], c["item_id"], c["passage_sha"]))
            if label is not None:
                rows.append(([float(c["features"][n]) for n in FEATURE_NAMES], label))
        if rows:
            questions.append({"qid": rec["qid"], "dialogue_id": rec["dialogue_id"],
                              "held": held_back(rec["dialogue_id"]), "rows": rows})  # fmt: skip
    return questions


def matrix(questions: list[dict[str, Any]], names: tuple[str, ...]) -> tuple[Matrix, Matrix, list[int]]:
    """Rows of the chosen features, 1/0 for answers, and each row's question index."""
    keep = [FEATURE_NAMES.index(n) for n in names]
    xs: list[list[float]] = []
    ys: list[float] = []
    group: list[int] = []
    for qi, q in enumerate(questions):
        for f, label in q["rows"]:
            xs.append([f[i] for i in keep])
            ys.append(1.0 if label == "answers" else 0.0)
            group.append(qi)
    return np.asarray(xs), np.asarray(ys), group


def curve(questions: list[dict[str, Any]], probs: list[list[float]]) -> list[tuple[float, float, float, int]]:
    """(threshold, precision, coverage, spoken) at every distinct best-candidate probability."""
    best = []
    for q, p in zip(questions, probs, strict=True):
        i = int(np.argmax(p))
        best.append((p[i], q["rows"][i][1] == "answers"))
    out: list[tuple[float, float, float, int]] = []
    for t in sorted({round(b[0], 4) for b in best}):
        spoken = [ok for prob, ok in best if prob >= t]
        if spoken:
            out.append((t, sum(spoken) / len(spoken), len(spoken) / len(best), len(spoken)))
    return out


def per_question(w: Matrix, questions: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[float]]:
    """Each question's candidates' probabilities."""
    keep = [FEATURE_NAMES.index(n) for n in names]
    return [list(predict(w, np.asarray([[f[i] for i in keep] for f, _ in q["rows"]]))) for q in questions]


def cross_validated_l2(questions: list[dict[str, Any]], names: tuple[str, ...]) -> float:
    """The L2 strength with the best grouped cross-validated log loss on the fit part."""
    folds = [int(hashlib.sha1(q["dialogue_id"].encode()).hexdigest()[:6], 16) % FOLDS for q in questions]
    best = (float("inf"), L2_GRID[0])
    for l2 in L2_GRID:
        loss = 0.0
        for k in range(FOLDS):
            train = [q for q, f in zip(questions, folds, strict=True) if f != k]
            test = [q for q, f in zip(questions, folds, strict=True) if f == k]
            if not train or not test:
                continue
            x, y, _ = matrix(train, names)
            w = fit_logistic(x, y, l2)
            xt, yt, _ = matrix(test, names)
            p = np.clip(predict(w, xt), 1e-6, 1 - 1e-6)
            loss -= float(np.sum(yt * np.log(p) + (1 - yt) * np.log(1 - p)))
        best = min(best, (loss, l2))
    return best[1]


def fit_model(questions: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, Any]:
    """Weights, thresholds and figures for one feature set."""
    fit = [q for q in questions if not q["held"]]
    held = [q for q in questions if q["held"]]
    l2 = cross_validated_l2(fit, names)
    x, y, _ = matrix(fit, names)
    w = fit_logistic(x, y, l2)
    held_curve = curve(held, per_question(w, held, names))
    fit_curve = curve(fit, per_question(w, fit, names))
    ok = [c for c in held_curve if c[1] >= TARGET_PRECISION and c[3] >= MIN_SPOKEN]
    if ok:
        threshold = min(ok, key=lambda c: c[0])[0]
    else:
        enough = [c for c in held_curve if c[3] >= MIN_SPOKEN_FALLBACK]
        threshold = max(enough, key=lambda c: (c[1], -c[0]))[0] if enough else 0.99
    positives = sorted(float(p) for p in predict(w, x[y == 1])) if (y == 1).any() else [threshold]
    gate = min(threshold, max(0.05, positives[int(len(positives) * (1 - LLM_RECALL))]))
    at = next((c for c in held_curve if c[0] >= threshold), (threshold, 0.0, 0.0, 0))
    return {
        "bias": round(float(w[0]), 6),
        "weights": {n: round(float(v), 6) for n, v in zip(names, w[1:], strict=True)},
        "threshold": round(threshold, 4),
        "llm_gate": round(gate, 4),
        "l2": l2,
        "held_back": {"questions": len(held), "precision": round(at[1], 4), "coverage": round(at[2], 4),
                      "spoken": at[3], "target_met": bool(ok)},
        "fit": {"questions": len(fit), "candidates": len(y), "answers": int(y.sum())},
        "held_curve": [[round(a, 4), round(b, 4), round(c, 4), d] for a, b, c, d in held_curve],
        "fit_curve": [[round(a, 4), round(b, 4), round(c, 4), d] for a, b, c, d in fit_curve],
    }  # fmt: skip


def fit_all(labels_path: Path, features_path: Path) -> dict[str, Any]:
    """Both models, as judge.json holds them."""
    questions = load(labels_path, features_path)
    lexical = tuple(n for n in FEATURE_NAMES if n not in DENSE)
    hybrid = fit_model(questions, FEATURE_NAMES)
    lex = fit_model(questions, lexical)
    source = f"eval/fit_judge.py on {len(questions)} labelled questions (eval/labels/judge)"
    return {
        "source": source,
        **{k: hybrid[k] for k in ("bias", "weights", "threshold", "llm_gate")},
        "lexical": {k: lex[k] for k in ("bias", "weights", "threshold", "llm_gate")},
        "figures": {"hybrid": {k: v for k, v in hybrid.items() if k not in ("bias", "weights")},
                    "lexical": {k: v for k, v in lex.items() if k not in ("bias", "weights")}},
    }  # fmt: skip


def report(model: dict[str, Any]) -> str:
    """The precision-coverage curves as Markdown."""
    lines = ["# The judge: precision and coverage on held-back questions", "", model["source"], ""]
    for name in ("hybrid", "lexical"):
        fig = model["figures"][name]
        h = fig["held_back"]
        lines += [
            f"## {name}", "",
            f"threshold {fig['threshold']} (llm_gate {fig['llm_gate']}, L2 {fig['l2']}): held-back precision "
            f"{h['precision']:.2f}, coverage {h['coverage']:.2f} ({h['spoken']} of {h['questions']} questions); "
            f"fit part: {fig['fit']['questions']} questions, {fig['fit']['candidates']} labelled passages, "
            f"{fig['fit']['answers']} answering"
            + ("" if h["target_met"] else f" (no threshold reaches {TARGET_PRECISION:.0%} precision on "
               f"{MIN_SPOKEN} held-back questions: the target is missed)"),
            "",
            "| threshold | precision | coverage | questions spoken on |", "|---|---|---|---|",
        ]  # fmt: skip
        curve_rows = fig["held_curve"]
        shown = curve_rows[:: max(1, len(curve_rows) // 25)] + [c for c in curve_rows[-8:] if c[3] <= 20]
        for t, p, c, n in sorted({tuple(c) for c in shown}):
            lines.append(f"| {t:.3f} | {p:.2f} | {c:.2f} | {n} |")
        lines.append("")
    return "\n".join(lines)


def keep_labelled(all_features: Path, labels_path: Path, out: Path) -> None:
    """The labelled candidates' rows of a full features file (what is committed beside the labels)."""
    labelled = set()
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labelled.add((rec["qid"], rec["item_id"], rec["passage_sha"]))
    rows: list[str] = []
    for line in all_features.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        cands = [c for c in rec["candidates"] if (rec["qid"], c["item_id"], c["passage_sha"]) in labelled]
        if cands:
            slim = [
                {"item_id": c["item_id"], "passage_sha": c["passage_sha"], "features": c["features"]} for c in cands
            ]
            rows.append(json.dumps({"qid": rec["qid"], "dialogue_id": rec["dialogue_id"], "candidates": slim}))
    out.write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that judge.json matches a refit")
    parser.add_argument("--from-cache", action="store_true",
                        help="first rebuild features.jsonl from bench/.cache/judge/features-all.jsonl")  # fmt: skip
    args = parser.parse_args()
    if args.from_cache:
        keep_labelled(REPO / "bench" / ".cache" / "judge" / "features-all.jsonl", LABELS / "labels.jsonl",
                      LABELS / "features.jsonl")  # fmt: skip
    model = fit_all(LABELS / "labels.jsonl", LABELS / "features.jsonl")
    text = json.dumps(model, indent=1, sort_keys=True) + "\n"
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print("judge.json matches a refit" if same else "judge.json is stale: run eval/fit_judge.py")
        raise SystemExit(0 if same else 1)
    OUT.write_text(text, encoding="utf-8")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report(model), encoding="utf-8")
    for name in ("hybrid", "lexical"):
        fig = model["figures"][name]
        print(f"{name}: threshold {fig['threshold']}, held-back {fig['held_back']}")


if __name__ == "__main__":
    main()
