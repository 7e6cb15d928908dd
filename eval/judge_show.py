"""Print pool questions with their candidate passages, for reading and labelling.

.venv/bin/python eval/judge_show.py eval/labels/judge/assign/a.txt [--start N] [--count K]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

POOL = Path(__file__).resolve().parent / "labels" / "judge" / "pool.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qids", type=Path, help="a file with one qid per line")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--pool", type=Path, default=POOL, help="the pool file (default: the committed one)")
    args = parser.parse_args()
    pool = {r["qid"]: r for r in (json.loads(line) for line in args.pool.read_text(encoding="utf-8").splitlines())}
    qids = [q.strip() for q in args.qids.read_text(encoding="utf-8").splitlines() if q.strip()]
    for n, qid in enumerate(qids[args.start : args.start + args.count], start=args.start):
        rec = pool[qid]
        print(f"\n{'=' * 100}\n[{n}] qid {qid}  ({rec['source']})")
        for line in rec["context"]:
            print(f"    before: {line[:400]}")
        print(f"  QUESTION: {rec['question']}")
        for i, c in enumerate(rec["candidates"]):
            where = f"{c['title']} › {c['section']}" if c["section"] else c["title"]
            print(f"\n  --- candidate {i}: item_id {c['item_id']}  passage_sha {c['passage_sha']}  kind {c['kind']}")
            print(f"      {where}  ({Path(c['source']).name}{'#' + c['anchor'] if c['anchor'] else ''})")
            for line in c["passage"].splitlines():
                print(f"      | {line}")
            if c.get("answer"):
                print("      learned answer:")
                for line in c["answer"].splitlines():
                    print(f"      > {line}")


if __name__ == "__main__":
    main()
