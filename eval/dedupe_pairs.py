"""Candidate pairs for the dedupe labels: (a draft of vigil's, an earlier text of its ticket), with scores.

    .venv/bin/python eval/dedupe_pairs.py candidates   # all candidate pairs -> bench/.cache/dedupe/candidates.jsonl
    .venv/bin/python eval/dedupe_pairs.py sample       # stratified by cosine -> bench/.cache/dedupe/to_label.jsonl
    .venv/bin/python eval/dedupe_pairs.py split        # bench/.cache/dedupe/labelled.jsonl -> fit.jsonl / heldout.jsonl

Drafts are the real suggestions vigil made on the shared dialogues (`vigil eval` samples of both
runs, learn and frozen, and the suggestion labels of eval/labels/suggestions/), without their
citation line. Dedupe runs before a suggestion is stored, so those samples hold no pair dedupe
removed; to cover the whole cosine range the "earlier" text is taken from everywhere in the ticket,
whenever it was said: every analyst turn of the dialogue (before or after the question), every
other draft of the dialogue, and the passages the judge pool retrieved for the dialogue's questions
(eval/labels/judge/pool.jsonl) composed as the offline engine would (first sentences, bounded),
which are what vigil would have suggested had that passage won. Each pair carries the cosine of the
two texts' embeddings (the project's embedder, as `services/similarity.Sameness` computes it) and
their token F1 / idf-free Jaccard, so fitting needs no model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vigil_mcp.services.answer.compose import bounded, first_sentences, reflow  # noqa: E402
from vigil_mcp.services.knowledge.embed import load_embedder  # noqa: E402
from vigil_mcp.services.similarity import without_citation  # noqa: E402
from vigil_mcp.services.text import content_terms, jaccard, token_f1  # noqa: E402

SHARED = REPO.parent.parent / "shared" / "data"
SAMPLES = [Path("/work/judge/eval2/samples-learn.jsonl"), Path("/work/judge/eval2/samples-no-learn.jsonl")]
LABELS = REPO / "eval" / "labels" / "dedupe"
CACHE = REPO / "bench" / ".cache" / "dedupe"
POOL_DRAFTS = 3  # the judge pool's top candidates of a question taken as drafts vigil could have made
POOL_EARLIER = 8  # and its top candidates taken as what vigil could have suggested earlier
MIN_CHARS = 40
# Cosine strata and how many pairs to draw from each (the middle and high range oversampled).
STRATA = [(-1.0, 0.3, 30), (0.3, 0.5, 50), (0.5, 0.6, 45), (0.6, 0.7, 45), (0.7, 0.8, 45), (0.8, 0.9, 40),
          (0.9, 0.95, 25), (0.95, 1.01, 20)]  # fmt: skip


def held_back(dialogue_id: str) -> bool:
    """Whether a dialogue's pairs are in the held-back part (35 %), by a hash of its id."""
    return int(hashlib.sha1(f"dedupe:{dialogue_id}".encode()).hexdigest()[:8], 16) % 20 < 7


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _drafts() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    rows = [r for p in SAMPLES if p.exists() for r in _read(p)]
    for p in sorted((REPO / "eval" / "labels" / "suggestions").glob("round*.jsonl")):
        for r in _read(p):
            r["dialogue_id"] = r["key"].split("|", 1)[1].split("#", 1)[0]
            rows.append(r)
    for r in rows:
        text = without_citation(r["suggestion"])
        if text not in out[r["dialogue_id"]]:
            out[r["dialogue_id"]].append(text)
    return out


def _composed(passage: str) -> str:
    return bounded(first_sentences(reflow(passage)))


def candidates() -> None:
    """Every (draft, earlier text) pair of the drafts' dialogues, with cosine and token scores."""
    drafts = _drafts()
    real = {t for texts in drafts.values() for t in texts}
    dialogues = {d["id"]: d for d in map(json.loads, (SHARED / "dialogues.jsonl").open(encoding="utf-8"))}
    pool: dict[str, list[str]] = defaultdict(list)
    for q in _read(REPO / "eval" / "labels" / "judge" / "pool.jsonl"):
        for rank, c in enumerate(q["candidates"][:POOL_EARLIER]):
            text = _composed(c["passage"])
            if len(text) < MIN_CHARS:
                continue
            if rank < POOL_DRAFTS and text not in drafts[q["dialogue_id"]]:
                drafts[q["dialogue_id"]].append(text)
            if text not in pool[q["dialogue_id"]]:
                pool[q["dialogue_id"]].append(text)
    pairs: list[dict[str, Any]] = []
    for did, texts in drafts.items():
        dialogue = dialogues.get(did)
        analyst = [t["text"] for t in dialogue["turns"] if t["role"] == "agent"] if dialogue else []
        for draft in texts:
            earlier = [("analyst", t) for t in analyst if t.strip()]
            earlier += [("draft", t) for t in texts if t != draft]
            earlier += [("passage", t) for t in pool.get(did, []) if t != draft and t not in texts]
            for kind, text in earlier:
                pairs.append({
                    "dialogue_id": did, "draft": draft, "draft_kind": "suggestion" if draft in real else "candidate",
                    "earlier": text, "earlier_kind": kind,
                })  # fmt: skip
    embedder, line = load_embedder("auto")
    if embedder is None:
        raise SystemExit(f"the embedding model is needed for candidates: {line}")
    unique = sorted({p["draft"] for p in pairs} | {p["earlier"] for p in pairs})
    vectors = dict(zip(unique, embedder.embed(unique), strict=True))
    for p in pairs:
        p["cosine"] = round(float(vectors[p["draft"]] @ vectors[p["earlier"]]), 4)
        p["token_f1"] = round(token_f1(p["draft"], p["earlier"]), 4)
        p["jaccard"] = round(jaccard(content_terms(p["draft"]), content_terms(p["earlier"])), 4)
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "candidates.jsonl").open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"{len(pairs)} pairs over {len(drafts)} dialogues, {line}")
    for lo, hi, _ in STRATA:
        print(f"  cosine [{lo:.2f}, {hi:.2f}): {sum(lo <= p['cosine'] < hi for p in pairs)}")


def sample(seed: int = 11) -> None:
    """Draw pairs stratified by cosine, real suggestions and analyst replies first; at most 2 pairs per
    draft in a stratum, so many tickets are seen."""
    pairs = _read(CACHE / "candidates.jsonl")
    rng = random.Random(seed)
    rng.shuffle(pairs)
    # Pairs of a real suggestion, or with what an analyst said, first: they are the cases dedupe meets most.
    pairs.sort(key=lambda p: (p["earlier_kind"] != "analyst", p["draft_kind"] != "suggestion"))
    out: list[dict[str, Any]] = []
    for lo, hi, n in STRATA:
        per_draft: dict[str, int] = defaultdict(int)
        taken = 0
        for p in pairs:
            if taken >= n:
                break
            if lo <= p["cosine"] < hi and per_draft[p["draft"]] < 2:
                per_draft[p["draft"]] += 1
                out.append(p)
                taken += 1
    out.sort(key=lambda p: (p["dialogue_id"], p["draft"], p["cosine"]))
    with (CACHE / "to_label.jsonl").open("w", encoding="utf-8") as f:
        for i, p in enumerate(out):
            f.write(json.dumps({"n": i, **p}, ensure_ascii=False) + "\n")
    print(f"{len(out)} pairs to label")


def write_parts(rows: list[dict[str, Any]], labels: Path, is_held_back: Callable[[str], bool]) -> None:
    """Write labelled rows into `labels`/fit.jsonl and heldout.jsonl by their dialogue id."""
    labels.mkdir(parents=True, exist_ok=True)
    fit = [r for r in rows if not is_held_back(r["dialogue_id"])]
    held = [r for r in rows if is_held_back(r["dialogue_id"])]
    for name, part in (("fit", fit), ("heldout", held)):
        with (labels / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"fit {len(fit)}, held back {len(held)}")


def split() -> None:
    """Write the labelled pairs into fit.jsonl and heldout.jsonl by a hash of the dialogue id."""
    write_parts(_read(CACHE / "labelled.jsonl"), LABELS, held_back)


def run_step(doc: str, steps: dict[str, Callable[[], None]]) -> None:
    """Run the step named on the command line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("step", choices=list(steps))
    steps[parser.parse_args().step]()


def main() -> None:
    """Run one step."""
    run_step(__doc__, {"candidates": candidates, "sample": sample, "split": split})


if __name__ == "__main__":
    main()
