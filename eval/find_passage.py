"""Find passages by their words, for labelling which passage answers a question (no ranking model).

    .venv/bin/python eval/find_passage.py WORD [WORD ...] [--kind doc|runbook] [--limit 20]

Prints every passage of the cached docs + runbooks store (bench/.cache/judge/knowledge-home, built
by eval/judge_pool.py) whose text, title or section contains all the words (case-insensitive
substrings), shortest first, with the item id and passage_sha the labels use. It is a grep, not
vigil's retrieval, so the passages a labeller finds with it do not depend on what vigil ranks.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import duckdb

STORE = Path(__file__).resolve().parent.parent / "bench" / ".cache" / "judge" / "knowledge-home" / "knowledge.duckdb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="+")
    parser.add_argument("--kind", choices=["doc", "runbook"])
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    con = duckdb.connect(str(STORE), read_only=True)
    where = " AND ".join("(p.text || ' ' || k.title || ' ' || k.section) ILIKE ?" for _ in args.words)
    params: list[object] = [f"%{w}%" for w in args.words]
    if args.kind:
        where += " AND k.kind = ?"
        params.append(args.kind)
    rows = con.execute(
        "SELECT k.id, k.kind, k.title, k.section, k.source, p.text "
        f"FROM passages p JOIN knowledge k ON k.id = p.item_id WHERE {where} ORDER BY length(p.text) LIMIT ?",
        [*params, args.limit],
    ).fetchall()
    for item_id, kind, title, section, source, text in rows:
        sha = hashlib.sha1(text.encode()).hexdigest()[:12]
        print(f"\n--- item_id {item_id}  passage_sha {sha}  {kind}  {title} › {section}  ({Path(source).name})")
        for line in text.splitlines():
            print(f"    | {line}")
    print(f"\n({len(rows)} passages{'; more exist, narrow the words' if len(rows) == args.limit else ''})")


if __name__ == "__main__":
    main()
