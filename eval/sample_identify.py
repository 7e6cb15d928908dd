"""Draw the customer turns to label for the identify stage (a reproducible random sample).

    python eval/sample_identify.py ../shared/data/dialogues.jsonl > /tmp/identify-sample.jsonl

Stratified by source (#stripe is 7 % of the turns, so it is sampled apart to get enough of it),
seeded (see DRAWS), so the same data gives the same sample. Each line carries what a labeller needs to judge
the turn and what the evaluation needs to replay it: the two previous turns and the ticket's
participants known before this turn (the speakers of earlier turns).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

# Two draws at random: the first (seed 11) of 130 + 300 turns, then a second (seed 12) of 60 + 90 more
# turns, not already drawn, to tighten the held-back figures. A third (seed 13) oversamples the turns
# without "?" where the first two were thin, by position in the ticket: the ticket's first turn, a
# turn of the opening (nobody but the customer has written yet), or a later turn.
DRAWS: tuple[tuple[int, dict[str, int]], ...] = (
    (11, {"stripe": 130, "ubuntu": 300}),
    (12, {"stripe": 60, "ubuntu": 90}),
)
STRATIFIED: tuple[int, dict[str, dict[str, int]]] = (
    13,
    {"stripe": {"first": 35, "opening": 30, "later": 35}, "ubuntu": {"first": 55, "opening": 45, "later": 60}},
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dialogues", type=Path)
    parser.add_argument(
        "--draw", type=int, choices=range(len(DRAWS) + 1), default=None, help="only this draw (0, 1, 2)"
    )
    args = parser.parse_args()
    pools: dict[str, list[tuple[dict[str, Any], int]]] = {"stripe": [], "ubuntu": []}
    with args.dialogues.open(encoding="utf-8") as fh:
        for line in fh:
            dialogue = json.loads(line)
            for i, turn in enumerate(dialogue["turns"]):
                if turn["role"] == "customer" and turn["text"].strip():
                    pools[dialogue["source"]].append((dialogue, i))
    drawn: set[tuple[str, int]] = set()
    for number, (seed, per_source) in enumerate(DRAWS):
        rng = random.Random(seed)
        for source, n in per_source.items():
            pool = [(d, i) for d, i in pools[source] if (d["id"], i) not in drawn]
            for dialogue, i in rng.sample(pool, n):
                drawn.add((dialogue["id"], i))
                if args.draw in (None, number):
                    _emit(dialogue, i, source)
    seed, strata = STRATIFIED
    rng = random.Random(seed)
    for source, per_position in strata.items():
        for position, n in per_position.items():
            pool = [
                (d, i)
                for d, i in pools[source]
                if (d["id"], i) not in drawn and "?" not in d["turns"][i]["text"] and position_of(d, i) == position
            ]
            for dialogue, i in rng.sample(pool, n):
                drawn.add((dialogue["id"], i))
                if args.draw in (None, len(DRAWS)):
                    _emit(dialogue, i, source)


def position_of(dialogue: dict[str, Any], i: int) -> str:
    """Where turn i stands: the ticket's first turn, in its opening (only its author wrote before), or later."""
    speakers = {t["speaker"] for t in dialogue["turns"][:i]}
    if not speakers:
        return "first"
    return "opening" if speakers == {dialogue["turns"][i]["speaker"]} else "later"


def _emit(dialogue: dict[str, Any], i: int, source: str) -> None:
    turns = dialogue["turns"]
    seen: list[str] = []
    for earlier in turns[:i]:
        if earlier["speaker"] not in seen:
            seen.append(earlier["speaker"])
    row = {
        "id": dialogue["id"],
        "idx": turns[i]["idx"],
        "source": source,
        "speaker": turns[i]["speaker"],
        "text": turns[i]["text"],
        "context": [{"speaker": t["speaker"], "role": t["role"], "text": t["text"]} for t in turns[max(0, i - 2) : i]],
        "participants": seen,
    }
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
