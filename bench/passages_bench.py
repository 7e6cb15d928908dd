"""Product docs: chunks and passages per source, passage lengths, and the time to read and split.

    .venv/bin/python bench/passages_bench.py [DOCS] [--samples 5]

DOCS defaults to ../shared/data/docs. Prints, per source folder, the files, chunks and passages,
the passage length distribution (characters) and the kinds, then the parse and split times
(best of three runs), and `--samples` random passages per source (seeded).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from pathlib import Path

from vigil_mcp.services.knowledge.ingest import Document, walk_paths
from vigil_mcp.services.knowledge.passages import Passage, split_passages

DOCS = Path(__file__).resolve().parents[2] / "shared" / "data" / "docs"


def _quantile(values: list[int], q: float) -> int:
    return values[min(len(values) - 1, int(q * len(values)))]


def _timed_best(run: int, folder: Path) -> tuple[float, float, list[Document], list[Passage]]:
    best_parse = best_split = float("inf")
    documents: list[Document] = []
    passages: list[Passage] = []
    for _ in range(run):
        started = time.perf_counter()
        documents = walk_paths([folder]).documents
        parsed = time.perf_counter()
        passages = [p for d in documents for c in d.chunks for p in split_passages(c.body)]
        best_parse = min(best_parse, parsed - started)
        best_split = min(best_split, time.perf_counter() - parsed)
    return best_parse, best_split, documents, passages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="?", type=Path, default=DOCS)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261201)
    total_parse = total_split = 0.0
    print("| source | files | chunks | passages | passage chars p10 / p50 / p90 / p99 / max | kinds |")
    print("|---|---|---|---|---|---|")
    samples: list[str] = []
    for folder in sorted(p for p in args.docs.iterdir() if p.is_dir()):
        parse_s, split_s, documents, passages = _timed_best(3, folder)
        total_parse += parse_s
        total_split += split_s
        lengths = sorted(len(p.text) for p in passages)
        spread = " / ".join(f"{_quantile(lengths, q):,}" for q in (0.1, 0.5, 0.9, 0.99)) + f" / {lengths[-1]:,}"
        kinds = ", ".join(f"{k} {n}" for k, n in Counter(p.kind for p in passages).most_common())
        chunks = sum(len(d.chunks) for d in documents)
        print(f"| {folder.name} | {len(documents)} | {chunks:,} | {len(passages):,} | {spread} | {kinds} |")
        for passage in rng.sample(passages, min(args.samples, len(passages))):
            samples.append(f"--- {folder.name} [{passage.kind}] {passage.heading}\n{passage.text}")
    print(f"\nparse {total_parse:.2f} s, split {total_split:.2f} s (best of 3)\n")
    print("\n\n".join(samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
