"""Candidate pairs for the same-question labels: (a customer's request, the question of a learned Q&A).

    .venv/bin/python eval/question_pairs.py candidates   # -> bench/.cache/questions/candidates.jsonl
    .venv/bin/python eval/question_pairs.py sample       # stratified by cosine -> bench/.cache/questions/to_label.jsonl
    .venv/bin/python eval/question_pairs.py split        # bench/.cache/questions/labelled.jsonl -> fit / heldout

A learned Q&A is matched on its question alone: its answer is what an analyst said to another
customer, so it helps only when this customer asks the same thing. The pairs are what the answer
path compares. The requests are every customer turn of the shared dialogues that identify calls a
request for help, as the answer path sees it: the body without its address, redacted, rewritten with
what its ticket established (`answer.rewrite`). The learned questions are the Q&A passages
(`learn.lessons.qa_passage`: the problem and how the customer described it) of the lessons the offline
extractor learns from the resolved shared dialogues (bench/lesson_labels.py). For each request the
nearest Q&A of another dialogue by the embedding cosine of the two texts, as retrieval computes it
(the query's text against the Q&A passage), is a candidate pair; each pair carries that cosine and
the token F1, so fitting needs no model. Texts are redacted as vigil redacts what it stores.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "eval"))

import numpy as np  # noqa: E402
from dedupe_pairs import run_step, write_parts  # noqa: E402  # pyright: ignore[reportMissingImports]
from lesson_labels import DATA, lessons, messages_of  # noqa: E402  # pyright: ignore[reportMissingImports]

from vigil_mcp.services.answer.identify import identify_turn  # noqa: E402
from vigil_mcp.services.answer.rewrite import rewrite  # noqa: E402
from vigil_mcp.services.knowledge.embed import load_embedder  # noqa: E402
from vigil_mcp.services.learn.lessons import qa_passage  # noqa: E402
from vigil_mcp.services.redact import redact  # noqa: E402
from vigil_mcp.services.replay import read_dialogues  # noqa: E402
from vigil_mcp.services.text import content_terms, smoothed_idf, token_f1  # noqa: E402

LABELS = REPO / "eval" / "labels" / "questions"
CACHE = REPO / "bench" / ".cache" / "questions"
CONTEXT_TURNS = 3
# Cosine strata and how many pairs to draw from each (where a threshold could fall, oversampled).
STRATA = [(0.3, 0.5, 20), (0.5, 0.6, 40), (0.6, 0.7, 50), (0.7, 0.8, 60), (0.8, 0.9, 20), (0.9, 1.01, 10)]


def held_back(dialogue_id: str) -> bool:
    """Whether a request's pair is in the held-back part (40 %), by a hash of its dialogue id."""
    return int(hashlib.sha1(f"questions:{dialogue_id}".encode()).hexdigest()[:8], 16) % 5 < 2


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def candidates() -> None:
    """For every request of the shared dialogues, its nearest learned Q&A of another dialogue."""
    learned = lessons(DATA)
    qa = [(ticket, qa_passage(ex), ex.fix) for ticket, (_, ex) in sorted(learned.items())]  # pyright: ignore[reportArgumentType]
    requests: list[dict[str, Any]] = []
    df: Counter[str] = Counter()
    dialogues = list(read_dialogues(DATA, []))
    for dialogue in dialogues:
        for m in messages_of(dialogue):
            df.update(content_terms(m.text))
    n_docs = sum(len(d.turns) for d in dialogues)

    def idf(term: str) -> float:
        return smoothed_idf(n_docs, df.get(term, 0))

    for dialogue in dialogues:
        messages = messages_of(dialogue)
        for i, m in enumerate(messages):
            if m.role != "customer":
                continue
            history = messages[:i]
            found = identify_turn(history, m.author, m.text)
            if found.kind != "question":
                continue
            query = rewrite(redact(found.body).text, history, idf)
            context = [f"{h.role} {h.author}: {redact(h.text).text}" for h in history[-CONTEXT_TURNS:]]
            requests.append({
                "dialogue_id": dialogue.id, "seq": m.seq, "request": redact(m.text).text, "context": context,
                "query": query.text,
            })  # fmt: skip
    embedder, line = load_embedder("auto")
    if embedder is None:
        raise SystemExit(f"the embedding model is needed for candidates: {line}")
    qv = np.asarray(embedder.embed([r["query"] for r in requests]))
    lv = np.asarray(embedder.embed([p for _, p, _ in qa]))
    sims = qv @ lv.T
    pairs: list[dict[str, Any]] = []
    for r, row in zip(requests, sims, strict=True):
        for j in np.argsort(-row)[:3]:
            ticket, passage, fix = qa[int(j)]
            if ticket == r["dialogue_id"]:
                continue
            pairs.append({
                **r, "learned_ticket": ticket, "learned_question": passage, "learned_fix": fix,
                "cosine": round(float(row[j]), 4), "token_f1": round(token_f1(r["query"], passage), 4),
            })  # fmt: skip
            break
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "candidates.jsonl").open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False, default=str) + "\n")
    print(f"{len(pairs)} requests, {len(qa)} learned Q&A, {line}")
    for lo, hi, _ in STRATA:
        print(f"  cosine [{lo:.2f}, {hi:.2f}): {sum(lo <= p['cosine'] < hi for p in pairs)}")


def sample(seed: int = 11) -> None:
    """Draw pairs stratified by cosine; a learned Q&A at most twice per stratum, so many are seen."""
    pairs = _read(CACHE / "candidates.jsonl")
    rng = random.Random(seed)
    rng.shuffle(pairs)
    out: list[dict[str, Any]] = []
    for lo, hi, n in STRATA:
        per_qa: dict[str, int] = defaultdict(int)
        taken = 0
        for p in pairs:
            if taken >= n:
                break
            if lo <= p["cosine"] < hi and per_qa[p["learned_ticket"]] < 2:
                per_qa[p["learned_ticket"]] += 1
                out.append(p)
                taken += 1
    rng.shuffle(out)  # the reader does not see the cosine order
    with (CACHE / "to_label.jsonl").open("w", encoding="utf-8") as f:
        for i, p in enumerate(out):
            f.write(json.dumps({"n": i, **p}, ensure_ascii=False) + "\n")
    print(f"{len(out)} pairs to label")


def split() -> None:
    """Write the labelled pairs into fit.jsonl and heldout.jsonl by a hash of the request's dialogue."""
    rows = sorted(_read(CACHE / "labelled.jsonl"), key=lambda r: r["n"])
    write_parts(rows, LABELS, held_back)


def main() -> None:
    """Run one step."""
    run_step(__doc__, {"candidates": candidates, "sample": sample, "split": split})


if __name__ == "__main__":
    main()
