"""Candidate pairs for the same-problem labels: two lessons of the shared dialogues, one skill or two?

    .venv/bin/python eval/skill_pairs.py candidates   # -> bench/.cache/skills/candidates.jsonl
    .venv/bin/python eval/skill_pairs.py sample       # the closest pairs -> bench/.cache/skills/to_label.jsonl
    .venv/bin/python eval/skill_pairs.py split        # bench/.cache/skills/labelled.jsonl -> fit / heldout

A skill is written once at least two resolved cases have the same problem (`skill_writer.py`), so
the pairs are what skill clustering compares: two lessons of the same product. The lessons are the
ones the offline extractor learns from the resolved shared dialogues (bench/lesson_labels.py) at a
keep-model floor of LOWEST_FLOOR, each with its confidence, so one candidate file serves every floor
from LOWEST_FLOOR up (the shipped floor, 0.7, 0.6: a pair is in a floor's lesson set when both its
confidences reach it). Texts are redacted as vigil redacts what it stores. Each pair carries

- `jaccard`, `shared`, `words`: the idf-weighted Jaccard index of the two Q&A passages' problem
  terms (`similarity.problem_terms` of `lessons.qa_passage`) and how many terms they share, as the
  skill writer computes it (`words`: 0 below MIN_SHARED shared terms, as the rule counts it); the idf
  is the runbooks' index plus the lessons' passages as documents;
- `cosine`: the embedding cosine of the two Q&A passages (what the index stores for a learned Q&A);
- `cosine_problem`: the embedding cosine of the two normalised problems alone;

so fitting needs no model. `sample` takes, for each floor of FLOORS, the PER_MEASURE closest pairs of
that floor's lessons by each measure: the pairs a threshold could fall among (a pair far apart by
every measure is `different` without reading).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "eval"))

from dedupe_pairs import run_step  # noqa: E402  # pyright: ignore[reportMissingImports]
from lesson_labels import DATA, lessons  # noqa: E402  # pyright: ignore[reportMissingImports]

from vigil_mcp.app import build_app  # noqa: E402
from vigil_mcp.config import load_settings  # noqa: E402
from vigil_mcp.models import Lesson  # noqa: E402
from vigil_mcp.services.knowledge.embed import load_embedder  # noqa: E402
from vigil_mcp.services.learn.keep import keep_model  # noqa: E402
from vigil_mcp.services.learn.lessons import qa_passage  # noqa: E402
from vigil_mcp.services.redact import redact  # noqa: E402
from vigil_mcp.services.similarity import MIN_SHARED, problem_terms, similarity, smoothed_idf  # noqa: E402

LABELS = REPO / "eval" / "labels" / "skills"
CACHE = REPO / "bench" / ".cache" / "skills"
RUNBOOKS = DATA.parent / "runbooks.jsonl"
LOWEST_FLOOR = 0.5
FLOORS = (keep_model().floor, 0.7, 0.6, 0.5)
PER_MEASURE = 25
MEASURES = ("jaccard", "cosine", "cosine_problem")


def held_back(dialogue_id: str) -> bool:
    """Whether a dialogue is in the held-back part (40 %), by a hash of its id."""
    return int(hashlib.sha1(f"skills:{dialogue_id}".encode()).hexdigest()[:8], 16) % 5 < 2


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def _product(ticket_id: str) -> str:
    return ticket_id.split("/", 1)[0]


def _lessons() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ticket, (_, found) in sorted(lessons(DATA, min_confidence=LOWEST_FLOOR).items()):
        problem = redact(found.problem).text
        symptoms = [redact(s).text for s in found.symptoms]
        passage = qa_passage(Lesson.model_construct(problem=problem, symptoms=symptoms))
        out.append({"ticket": ticket, "problem": problem, "passage": passage, "fix": redact(found.fix).text,
                    "confidence": found.confidence})  # fmt: skip
    return out


def candidates() -> None:
    """Every same-product pair of lessons learned at LOWEST_FLOOR, with its three scores."""
    found = _lessons()
    print(f"{len(found)} lessons at floor {LOWEST_FLOOR}: " + ", ".join(
        f"{sum(x['confidence'] >= f for x in found)} at {f:.4g}" for f in FLOORS))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vigil-skill-pairs-") as home:
        app = build_app(load_settings({"home": home, "embedding_model": "none"}))
        app.knowledge.add_paths([RUNBOOKS])
        app.knowledge.load()
        index_df = {t: app.knowledge.index.df(t) for ts in (problem_terms(x["passage"]) for x in found) for t in ts}
        index_docs = app.knowledge.index.n_docs
        app.close()
    terms = [problem_terms(x["passage"]) for x in found]
    extra = Counter(t for ts in terms for t in ts)
    n_docs = index_docs + len(found)

    def idf(term: str) -> float:
        return smoothed_idf(n_docs, index_df.get(term, 0) + extra[term])

    embedder, why = load_embedder("auto")
    if embedder is None:
        raise SystemExit(why)
    passages = embedder.embed([x["passage"] for x in found])
    problems = embedder.embed([x["problem"] for x in found])
    rows: list[dict[str, Any]] = []
    for i, j in itertools.combinations(range(len(found)), 2):
        a, b = found[i], found[j]
        if _product(a["ticket"]) != _product(b["ticket"]):
            continue
        score, shared = similarity(terms[i], terms[j], idf)
        rows.append({
            "a": a["ticket"], "b": b["ticket"], "problem_a": a["problem"], "problem_b": b["problem"],
            "passage_a": a["passage"], "passage_b": b["passage"], "fix_a": a["fix"], "fix_b": b["fix"],
            "confidence": min(a["confidence"], b["confidence"]), "jaccard": round(score, 4), "shared": shared,
            "words": round(score, 4) if shared >= MIN_SHARED else 0.0,
            "cosine": round(float(passages[i] @ passages[j]), 4),
            "cosine_problem": round(float(problems[i] @ problems[j]), 4),
        })  # fmt: skip
    _write(CACHE / "candidates.jsonl", rows)
    print(f"{len(rows)} same-product pairs -> {CACHE / 'candidates.jsonl'}")


def sample() -> None:
    """The PER_MEASURE closest pairs by each measure within each floor's lessons, unlabelled."""
    rows = _read(CACHE / "candidates.jsonl")
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for floor in FLOORS:
        pool = [r for r in rows if r["confidence"] >= floor]
        for measure in MEASURES:
            for r in sorted(pool, key=lambda r: -r[measure])[:PER_MEASURE]:
                chosen.setdefault((r["a"], r["b"]), r)
    ranked = sorted(chosen.values(), key=lambda r: -max(r[m] for m in MEASURES))
    out = [{**r, "label": None, "note": ""} for r in ranked]
    _write(CACHE / "to_label.jsonl", out)
    print(f"{len(out)} pairs -> {CACHE / 'to_label.jsonl'}")


def split() -> None:
    """Write the labelled pairs into fit.jsonl and heldout.jsonl, keeping each dialogue in one part.

    Pairs that share a dialogue are linked (a lesson is compared with many), and each linked group
    goes to the part its first dialogue id hashes to, so no dialogue is read in both parts."""
    rows = _read(CACHE / "labelled.jsonl")
    parent: dict[str, str] = {}

    def root(ticket: str) -> str:
        parent.setdefault(ticket, ticket)
        while parent[ticket] != ticket:
            parent[ticket] = parent[parent[ticket]]
            ticket = parent[ticket]
        return ticket

    for r in rows:
        parent[root(r["a"])] = root(r["b"])
    first: dict[str, str] = {}
    for ticket in sorted(parent):
        first.setdefault(root(ticket), ticket)
    fit = [r for r in rows if not held_back(first[root(r["a"])])]
    held = [r for r in rows if held_back(first[root(r["a"])])]
    LABELS.mkdir(parents=True, exist_ok=True)
    _write(LABELS / "fit.jsonl", fit)
    _write(LABELS / "heldout.jsonl", held)
    print(f"fit {len(fit)} ({sum(r['label'] == 'same' for r in fit)} same), held back {len(held)} "
          f"({sum(r['label'] == 'same' for r in held)} same)")  # fmt: skip


def main() -> None:
    """Run one step."""
    run_step(__doc__, {"candidates": candidates, "sample": sample, "split": split})


if __name__ == "__main__":
    main()
