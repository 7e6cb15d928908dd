"""The judge: how likely a retrieved passage answers the customer's question, as a probability.

One model for every engine. Each candidate passage is described by features of how it was found
(cosine to the question, BM25, ranks, margin over the next item), how much of the question it
covers (idf-weighted key terms, exact technical tokens), what it is (doc, runbook, learned Q&A,
skill; prose, code, a field) and how specific the question is. A logistic model maps them to a
probability. Its weights and the suggestion threshold are fitted on passages labelled by reading
(eval/labels/judge/, eval/fit_judge.py) and shipped as `vigil_mcp/data/judge.json`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, cast

from vigil_mcp.errors import ModelError
from vigil_mcp.services.knowledge.bm25 import K1
from vigil_mcp.services.knowledge.service import Retrieved
from vigil_mcp.services.knowledge.terms import PassageTerms
from vigil_mcp.services.text import GENERIC_TERMS, content_terms

Idf = Callable[[str], float]

MAX_TOKEN_CHARS = 200  # longer "words" are blobs (base64, a minified line), not names
MIN_IDF = 1.0  # terms this common (idf below) say nothing about what a question is about
# A technical token: an error code, an alert or API name, a flag, a version, a file or a path.
_TECHNICAL = re.compile(
    r"[A-Za-z]+[_.:/-][\w.:/-]+|[a-z]+[A-Z]\w*|[A-Z]{2,}\w*[a-z]\w*|\w*\d\w*[A-Za-z]\w*|--?\w[\w-]*"
)
# What a section is for, from its name, in the conventions docs and runbooks share: a procedure
# (diagnosis, mitigation, steps, troubleshooting) or a description (meaning, impact, overview).
_PROCEDURE_SECTION = re.compile(
    r"\b(diagnos\w*|mitigat\w*|resolution|resolv\w*|fix\w*|steps?|procedures?|how to|troubleshoot\w*|"
    r"workarounds?|solutions?|recover\w*|remediat\w*)\b",
    re.IGNORECASE,
)
_ABOUT_SECTION = re.compile(
    r"\b(meaning|impact|overview|description|summary|about|introduction|background|purpose|what is)\b", re.IGNORECASE
)
# A line that tells the reader to do something (an imperative opening a sentence or a list item).
_IMPERATIVE = re.compile(
    r"(?m)^\s*(?:[-*]|\d+\.)?\s*(?:\*\*)?(run|check|set|use|add|edit|install|remove|restart|delete|create|"
    r"enable|disable|verify|make sure|ensure|open|go to|look|increase|decrease|configure|try|type|select|click|"
    r"change|replace|update|upgrade|mount|reboot|drain|scale|identify|find|list|get|inspect|review|confirm|apply|"
    r"export|copy|move|rename|kill|stop|start)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Features:
    """What the judge reads about one candidate; every value is in 0..1."""

    cosine: float  # embedding cosine between question and passage (0 without a model)
    cosine_margin: float  # how far this passage's cosine is above the best other item's, clipped to 0..1
    lexical: float  # BM25 score over its maximum for this query (the sum of the query terms' weights)
    coverage: float  # idf-weighted share of the question's key terms in the passage, its title and section
    title_coverage: float  # idf-weighted share of the title/section's key terms that the question names
    technical: float  # share of the question's technical tokens (codes, names, flags) found in the passage
    top_bm25: float  # 1 / BM25 rank (0 when BM25 did not find it)
    top_dense: float  # 1 / dense rank (0 when not found by meaning)
    is_qa: float  # a learned Q&A (matched on its question)
    is_skill: float
    is_runbook: float
    is_code: float  # a code block or command
    is_field: float  # one field of an API object
    is_intro: float  # the opening passage of a page (no section): rarely an answer
    informative: float  # key terms in the question, capped at 8, scaled to 0..1
    short_passage: float  # passages under 80 characters rarely carry an answer
    procedure_section: float  # its section is a procedure (diagnosis, mitigation, steps, troubleshooting)
    about_section: float  # its section describes (meaning, impact, overview): on topic, rarely the answer
    actionable: float  # it tells the reader what to do: an imperative line or a command

    def as_dict(self) -> dict[str, float]:
        """Named values, rounded, for the analyst's "why" and for the fitting script."""
        return {f.name: round(float(getattr(self, f.name)), 4) for f in fields(self)}


FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Features))


def key_terms(text: str, idf: Idf, floor: float = MIN_IDF) -> set[str]:
    """The question's terms that say what it is about: not generic, rare enough in the knowledge."""
    return {t for t in content_terms(text) - GENERIC_TERMS if idf(t) >= floor}


def technical_tokens(text: str) -> set[str]:
    """Whole technical tokens (lowercased): ERR_CONN_RESET, etcdMembersDown, --dry-run, v1.27, grub.cfg.

    Read word by word, and words longer than MAX_TOKEN_CHARS (a pasted blob) are skipped, so the
    cost stays linear in the text whatever it holds.
    """
    out: set[str] = set()
    for word in text.split():
        if len(word) <= MAX_TOKEN_CHARS:
            out.update(m.group(0).lower().strip(".:/-") for m in _TECHNICAL.finditer(word) if len(m.group(0)) >= 3)
    return out


def _weighted_share(wanted: Iterable[str], have: Collection[str], idf: Idf) -> float:
    total = found = 0.0
    for t in wanted:
        weight = idf(t)
        total += weight
        if t in have:
            found += weight
    return found / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Asked:
    """A question's terms, computed once for all its candidates."""

    text: str
    keys: frozenset[str]  # key terms (see `key_terms`)
    terms: frozenset[str]  # content terms
    technical: frozenset[str]
    max_bm25: float  # the BM25 score a passage containing every query term once would approach


def asked(question: str, idf: Idf) -> Asked:
    """The question's terms for `features`."""
    terms = frozenset(content_terms(question))
    return Asked(
        question, frozenset(key_terms(question, idf)), terms, frozenset(technical_tokens(question)),
        sum(idf(t) for t in terms) * (K1 + 1.0),
    )  # fmt: skip


def features(
    q: Asked,
    found: Retrieved,
    best_other_cosine: float | None,
    terms: PassageTerms,
    idf: Idf,
    *,
    first_in_item: bool = False,
    answer: str | None = None,
) -> Features:
    """Features of one retrieved passage for a question (`best_other_cosine`: of the best other item).

    A learned Q&A is matched on its question but answers with its fix: `answer` (the fix's text) is
    what its "what it says" features (actionable, short) read.
    """
    rec = found.record
    says = answer if answer is not None else rec.text
    title_keys = [t for t in terms.title - GENERIC_TERMS if idf(t) >= MIN_IDF]
    cos = found.cosine or 0.0
    margin = cos - best_other_cosine if best_other_cosine is not None else cos
    return Features(
        cosine=max(0.0, min(1.0, cos)),
        cosine_margin=max(0.0, min(1.0, margin * 5.0)),
        lexical=min(1.0, found.bm25 / q.max_bm25) if q.max_bm25 > 0 else 0.0,
        coverage=_weighted_share(q.keys, terms.words, idf),
        title_coverage=_weighted_share(title_keys, q.terms, idf) if title_keys else 0.0,
        technical=(sum(1 for t in q.technical if t in terms.lowered) / len(q.technical)) if q.technical else 0.0,
        top_bm25=1.0 / found.bm25_rank if found.bm25_rank else 0.0,
        top_dense=1.0 / found.dense_rank if found.dense_rank else 0.0,
        is_qa=1.0 if rec.kind == "qa" else 0.0,
        is_skill=1.0 if rec.kind == "skill" else 0.0,
        is_runbook=1.0 if rec.kind == "runbook" else 0.0,
        is_code=1.0 if rec.form == "code" else 0.0,
        is_field=1.0 if rec.form == "field" else 0.0,
        is_intro=1.0 if first_in_item and not rec.section else 0.0,
        informative=min(len(q.keys), 8) / 8,
        short_passage=1.0 if len(says) < 80 else 0.0,
        procedure_section=1.0 if _PROCEDURE_SECTION.search(rec.section) else 0.0,
        about_section=1.0 if _ABOUT_SECTION.search(rec.section) else 0.0,
        actionable=1.0 if rec.form == "code" or "```" in says or _IMPERATIVE.search(says) else 0.0,
    )


@dataclass(frozen=True, slots=True)
class JudgeModel:
    """Logistic weights over `Features`, and the thresholds fitted with them."""

    bias: float
    weights: Mapping[str, float]
    threshold: float  # speak at or above this probability (fitted: >= 70 % precision on held-back labels)
    llm_gate: float  # the Anthropic engine sees candidates at or above this (recall-oriented)
    source: str = ""  # where the fit came from (for `vigil doctor` and the docs)

    def probability(self, f: Features) -> float:
        """P(the passage answers the question)."""
        z = self.bias + sum(w * float(getattr(f, name)) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def parse_model(data: Any, origin: str) -> JudgeModel:
    """A JudgeModel from decoded JSON, or ModelError naming what is wrong."""
    if not isinstance(data, dict):
        raise ModelError(f"{origin}: not a JSON object")
    raw = cast(dict[str, Any], data)
    try:
        weights = {str(k): float(v) for k, v in cast(dict[str, Any], raw["weights"]).items()}
        unknown = sorted(set(weights) - set(FEATURE_NAMES))
        if unknown:
            raise ModelError(f"{origin}: unknown features {', '.join(unknown)}")
        model = JudgeModel(
            bias=float(raw["bias"]), weights=weights, threshold=float(raw["threshold"]),
            llm_gate=float(raw["llm_gate"]), source=str(raw.get("source", origin)),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{origin}: judge model needs bias, weights, threshold and llm_gate ({exc})") from exc
    if not (0.0 < model.threshold < 1.0 and 0.0 < model.llm_gate <= model.threshold):
        raise ModelError(f"{origin}: need 0 < llm_gate <= threshold < 1")
    return model


@dataclass(frozen=True, slots=True)
class JudgeModels:
    """The fitted judge for each retrieval mode: with embeddings (hybrid) and without (lexical)."""

    hybrid: JudgeModel
    lexical: JudgeModel

    def for_mode(self, dense: bool) -> JudgeModel:
        """The model that matches the features retrieval can give."""
        return self.hybrid if dense else self.lexical

    def with_threshold(self, threshold: float) -> JudgeModels:
        """Both models with an operator's threshold (the LLM gate never above it)."""

        def at(m: JudgeModel) -> JudgeModel:
            return JudgeModel(m.bias, m.weights, threshold, min(m.llm_gate, threshold), m.source)

        return JudgeModels(at(self.hybrid), at(self.lexical))


def parse_models(data: Any, origin: str) -> JudgeModels:
    """Both models from judge.json's content (the lexical one under "lexical")."""
    hybrid = parse_model(data, origin)
    raw = cast(dict[str, Any], data).get("lexical")
    lexical = parse_model({**raw, "source": hybrid.source}, f"{origin} (lexical)") if raw is not None else hybrid
    return JudgeModels(hybrid, lexical)


def load_models(path: Path | None = None) -> JudgeModels:
    """The fitted judge shipped with vigil (or one at `path`)."""
    if path is None:
        text = (resources.files("vigil_mcp") / "data" / "judge.json").read_text(encoding="utf-8")
        origin = "vigil_mcp/data/judge.json"
    else:
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{origin}: not JSON ({exc.msg})") from exc
    return parse_models(data, origin)
