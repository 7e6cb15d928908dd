"""How well retrieved evidence covers a customer's question, as a calibrated confidence.

Features are idf-weighted term coverages in both directions (does the evidence contain what
the customer asked about; does the question contain what the evidence is about), how many
informative words the question has, and the margin over the runner-up. A logistic model maps
them to a probability that the evidence answers the question; its coefficients live in
`CALIBRATION` and are refitted by `bench/calibrate_engine.py` on the real dialogues.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Idf = Callable[[str], float]

# Terms this common say nothing about the object or symptom of a question.
MIN_IDF = 1.0


@dataclass(frozen=True, slots=True)
class Calibration:
    """Logistic coefficients: z = bias + sum(w * feature)."""

    bias: float
    coverage: float
    title_coverage: float
    informative: float
    margin: float
    is_qa: float


# Hand-set starting point; see bench/calibrate_engine.py for the fit on real dialogues.
CALIBRATION = Calibration(bias=-7.0, coverage=5.0, title_coverage=3.0, informative=1.5, margin=1.0, is_qa=1.0)


@dataclass(frozen=True, slots=True)
class Features:
    """What the confidence is computed from (also shown to the analyst as the reason)."""

    coverage: float  # share of the question's informative terms the evidence contains (idf-weighted)
    title_coverage: float  # share of the evidence title's informative terms the question contains
    informative: float  # informative terms in the question, capped at 8, scaled to 0..1
    margin: float  # (best - runner-up) / best BM25 score
    is_qa: float  # 1 when the evidence is a learned Q&A (an answer to a question), else 0

    def explain(self) -> str:
        """One line for the `reason` of a suggestion."""
        return (
            f"coverage {self.coverage:.2f}, title match {self.title_coverage:.2f}, "
            f"{round(self.informative * 8)} informative terms, margin {self.margin:.2f}"
        )


def min_idf(n_docs: int) -> float:
    """The idf below which a term is too common to matter: MIN_IDF, or less in a tiny knowledge base."""
    rarest = math.log(1.0 + (n_docs - 0.5) / 1.5) if n_docs > 0 else 0.0
    return min(MIN_IDF, rarest / 2)


def weighted_coverage(wanted: Iterable[str], have: set[str], idf: Idf, floor: float = MIN_IDF) -> float:
    """idf-weighted share of `wanted` informative terms found in `have`."""
    total = found = 0.0
    for term in wanted:
        weight = idf(term)
        if weight < floor:
            continue
        total += weight
        if term in have:
            found += weight
    return found / total if total else 0.0


def informative_count(terms: Iterable[str], idf: Idf, floor: float = MIN_IDF) -> int:
    """How many terms are rare enough to say what the question is about."""
    return sum(1 for t in terms if idf(t) >= floor)


def features(
    question: set[str],
    evidence_terms: set[str],
    title_terms: set[str],
    scores: Sequence[float],
    kind: str,
    idf: Idf,
    floor: float = MIN_IDF,
) -> Features:
    """Features of the best evidence for a question (`floor`: see `min_idf`)."""
    best = scores[0] if scores else 0.0
    second = scores[1] if len(scores) > 1 else 0.0
    return Features(
        coverage=weighted_coverage(question, evidence_terms, idf, floor),
        title_coverage=weighted_coverage(title_terms, question, idf, floor),
        informative=min(informative_count(question, idf, floor), 8) / 8,
        margin=(best - second) / best if best > 0 else 0.0,
        is_qa=1.0 if kind == "qa" else 0.0,
    )


def confidence(f: Features, cal: Calibration = CALIBRATION) -> float:
    """Probability (0..1) that the evidence answers the question."""
    z = (
        cal.bias
        + cal.coverage * f.coverage
        + cal.title_coverage * f.title_coverage
        + cal.informative * f.informative
        + cal.margin * f.margin
        + cal.is_qa * f.is_qa
    )
    return 1.0 / (1.0 + math.exp(-z))
