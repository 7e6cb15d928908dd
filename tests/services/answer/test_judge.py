"""The judge shipped in vigil_mcp/data/judge.json is what the committed labels give, and it is calibrated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.eval_scripts import eval_script
from vigil_mcp.errors import ModelError
from vigil_mcp.services.answer.judge import FEATURE_NAMES, Features, load_models, parse_models

REPO = Path(__file__).resolve().parents[3]
LABELS = REPO / "eval" / "labels" / "judge"


def _fit_judge():  # the fitting script is not part of the package
    return eval_script("fit_judge")


def test_the_shipped_judge_is_what_a_refit_on_the_committed_labels_gives() -> None:
    fit_judge = _fit_judge()
    refit = fit_judge.fit_all(LABELS / "labels.jsonl", LABELS / "features.jsonl")
    shipped = json.loads((REPO / "vigil_mcp" / "data" / "judge.json").read_text(encoding="utf-8"))
    for model, again in ((shipped, refit), (shipped["lexical"], refit["lexical"])):
        assert model["threshold"] == again["threshold"] and model["llm_gate"] == again["llm_gate"]
        for name, weight in model["weights"].items():
            assert weight == pytest.approx(again["weights"][name], abs=1e-4), name
    assert set(shipped["weights"]) == set(FEATURE_NAMES)


def test_the_judge_is_calibrated_on_held_back_labelled_passages() -> None:
    fit_judge = _fit_judge()
    questions = [q for q in fit_judge.load(LABELS / "labels.jsonl", LABELS / "features.jsonl") if q["held"]]
    model = load_models().hybrid
    probs: list[float] = []
    truth: list[float] = []
    for q in questions:
        for values, label in q["rows"]:
            probs.append(model.probability(Features(**dict(zip(FEATURE_NAMES, values, strict=True)))))
            truth.append(1.0 if label == "answers" else 0.0)
    p, y = np.asarray(probs), np.asarray(truth)
    assert len(p) >= 300 and y.sum() >= 15
    # Calibration in the large: as many answers expected as labelled (within a third).
    assert abs(p.sum() - y.sum()) <= y.sum() / 3
    # Ranking: an answering passage scores above a non-answering one most of the time.
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(len(p))
    auc = (ranks[y == 1].mean() - (y.sum() - 1) / 2) / (len(y) - y.sum())
    assert auc >= 0.75
    # Where the judge speaks, most passages answer.
    spoken = p >= model.threshold
    assert spoken.any() and y[spoken].mean() >= 0.5


def test_a_judge_file_with_unknown_features_or_bad_thresholds_is_refused_with_the_reason() -> None:
    good = {"bias": -3.0, "weights": {"cosine": 2.0}, "threshold": 0.6, "llm_gate": 0.3}
    assert parse_models(good, "x").hybrid.threshold == 0.6
    with pytest.raises(ModelError, match="unknown features bogus"):
        parse_models({**good, "weights": {"bogus": 1.0}}, "judge.json")
    with pytest.raises(ModelError, match="llm_gate <= threshold"):
        parse_models({**good, "llm_gate": 0.9}, "judge.json")
    with pytest.raises(ModelError, match="needs bias"):
        parse_models({"weights": {}}, "judge.json")
