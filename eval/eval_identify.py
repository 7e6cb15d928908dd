"""Measure the identify stage on the labelled customer turns.

    python eval/eval_identify.py            # precision/recall of `request`, kind confusion, on both parts
    python eval/eval_identify.py --json     # the same figures as JSON (what tests/ compare with README.md)
    python eval/eval_identify.py --errors   # list the fit part's mistakes (never the held-back part's)

Each turn goes through `identify(text, participants, reply_to, author=...)` exactly as
`identify_turn` calls it for the ticket service: the participants are the speakers of the ticket's
earlier turns. Figures are also given by position in the ticket (`first` turn, `opening`: only the
customer wrote before, `later`) and by labelling batch (1: the first two random draws, 2: the draw
that oversamples turns without "?", see eval/sample_identify.py).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from fit_identify import reply_to
from identify_labels import Part, load

from vigil_mcp.services.answer.identify import KINDS, identify, position_of


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0


def position(row: dict[str, Any]) -> str:
    """Where the row's turn stands in its ticket: `first`, `opening` (only its author wrote before) or `later`."""
    return position_of(row["participants"], row["speaker"])


def measure(part: Part) -> dict[str, Any]:
    """Figures of one part: request precision/recall (overall, per source, position, batch), kinds, addressees."""
    rows = load(part)
    confusion: Counter[tuple[str, str]] = Counter()
    by_source: dict[str, Counter[str]] = {}
    by_position: dict[str, Counter[str]] = {}
    by_batch: dict[str, Counter[str]] = {}
    address_ok = 0
    for row in rows:
        got = identify(row["text"], row["participants"], reply_to(row), author=row["speaker"])
        confusion[(row["kind"], got.kind)] += 1
        scopes = (
            by_source.setdefault(row["source"], Counter()),
            by_position.setdefault(position(row), Counter()),
            by_batch.setdefault(str(row["batch"]), Counter()),
        )
        for scope in scopes:
            predicted, gold = got.request, bool(row["request"])
            scope["tp"] += predicted and gold
            scope["fp"] += predicted and not gold
            scope["fn"] += gold and not predicted
            scope["n"] += 1
        expected = row["addressee"] if row["addressee_in_ticket"] else None
        address_ok += (got.addressed_to is None) == (expected is None)
    total: Counter[str] = Counter()
    for counts in by_source.values():
        total.update(counts)

    def pr(c: Counter[str]) -> dict[str, float]:
        return {
            "turns": c["n"],
            "requests": c["tp"] + c["fn"],
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        }

    return {
        "part": part,
        "request": pr(total),
        "by_source": {source: pr(c) for source, c in sorted(by_source.items())},
        "by_position": {where: pr(by_position[where]) for where in ("first", "opening", "later")},
        "by_batch": {batch: pr(c) for batch, c in sorted(by_batch.items())},
        "kind_accuracy": _ratio(sum(v for (a, b), v in confusion.items() if a == b), len(rows)),
        "confusion": {gold: {kind: confusion[(gold, kind)] for kind in KINDS} for gold in KINDS},
        "addressee_accuracy": _ratio(address_ok, len(rows)),
    }


def _print(figures: dict[str, Any]) -> None:
    r = figures["request"]
    print(
        f"== {figures['part']}: {r['turns']} turns, {r['requests']} requests: "
        f"request precision {r['precision']:.3f}, recall {r['recall']:.3f}; "
        f"kind accuracy {figures['kind_accuracy']:.3f}; addressee split right {figures['addressee_accuracy']:.3f}"
    )
    for scope in ("by_source", "by_position", "by_batch"):
        for name, s in figures[scope].items():
            label = f"batch {name}" if scope == "by_batch" else name
            print(
                f"   {label:8} {s['turns']:4} turns {s['requests']:4} requests  "
                f"precision {s['precision']:.3f}  recall {s['recall']:.3f}"
            )
    print("   labelled \\ identified  " + " ".join(f"{k[:9]:>9}" for k in KINDS))
    for gold in KINDS:
        row = figures["confusion"][gold]
        print(f"   {gold:22} " + " ".join(f"{row[k]:9d}" for k in KINDS))


def _errors() -> None:
    for row in load("fit"):
        got = identify(row["text"], row["participants"], reply_to(row), author=row["speaker"])
        if got.kind != row["kind"] or got.request != row["request"]:
            mark = "!" if got.request != row["request"] else " "
            where = f"{row['id']}#{row['idx']}"
            print(f"{mark} {row['kind']:9} -> {got.kind:9} {got.score:.2f}  {where}  {row['text'][:150]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--errors", action="store_true", help="list the fit part's mistakes")
    args = parser.parse_args()
    if args.errors:
        _errors()
        return
    figures = {part: measure(part) for part in ("fit", "held")}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for part in ("fit", "held"):
        _print(figures[part])


if __name__ == "__main__":
    main()
