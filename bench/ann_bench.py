"""How far an approximate index (faiss HNSW) is from the exact vector scan on real embeddings (run by hand).

    .venv/bin/pip install faiss-cpu      # not a dependency of vigil: only this measurement needs it
    .venv/bin/python bench/ann_bench.py

Reads the passage vectors of bench/.cache/answer/docs-home (built by `answer_bench.py ingest`: the
shared docs and runbooks), embeds the first 200 requests for help of the shared dialogues as queries,
and reports, per HNSW setting on one thread, the share of the exact top 50 found among the index's
top 200, the share of queries that keep all 50 (what the fused ranks, hence the fitted judge, need),
and the CPU time per query. Needs ../shared/data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from vigil_mcp.services.replay import read_dialogues

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_bench import SHARED, docs_store, opened_copy, turns

QUERIES = 200
TOP = 50
FETCH = 200


def _requests(limit: int) -> list[str]:
    out: list[str] = []
    for d in read_dialogues(SHARED / "dialogues.jsonl", []):
        out.extend(m.text for m, _ in turns(d) if m.role == "customer" and m.kind == "question")
        if len(out) >= limit:
            break
    return out[:limit]


def main() -> None:
    import faiss  # pyright: ignore[reportMissingImports]

    lib: Any = faiss
    lib.omp_set_num_threads(1)
    with opened_copy(docs_store(), "vigil-ann-bench-") as app:
        embedder = app.knowledge.embedder
        if embedder is None:
            raise SystemExit("no embedding model installed: nothing to compare")
        vectors = app.knowledge.vectors
        matrix = np.ascontiguousarray(vectors._matrix[: len(vectors)])  # pyright: ignore[reportPrivateUsage]
        queries = embedder.embed(_requests(QUERIES))
    print(f"{matrix.shape[0]} real passage vectors, {len(queries)} real requests as queries")
    exact = [set(np.argsort(-(matrix @ q), kind="stable")[:TOP].tolist()) for q in queries]
    for m in (16, 32):
        index = lib.IndexHNSWFlat(matrix.shape[1], m, lib.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        started = time.perf_counter()
        index.add(matrix)
        build = time.perf_counter() - started
        for ef in (64, 128, 256):
            index.hnsw.efSearch = ef
            cpu = time.process_time()
            found = [set(index.search(q[None], FETCH)[1][0].tolist()) for q in queries]
            per_query = (time.process_time() - cpu) / len(queries) * 1000
            recall = np.mean([len(e & f) / TOP for e, f in zip(exact, found, strict=True)])
            whole = np.mean([e <= f for e, f in zip(exact, found, strict=True)])
            print(
                f"M {m} (build {build:.0f} s), ef {ef}: {recall:.1%} of the exact top {TOP} in its top {FETCH}, "
                f"{whole:.0%} of queries keep all {TOP}; {per_query:.2f} ms CPU per query"
            )


if __name__ == "__main__":
    main()
