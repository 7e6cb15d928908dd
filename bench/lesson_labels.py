"""Lessons learned from the shared dialogues, sampled for labelling, and the share an analyst would keep.

    python bench/lesson_labels.py sample --part fit --n 40 --seed 11     # write lessons to label
    python bench/lesson_labels.py score                                  # kept share per part
    python bench/lesson_labels.py threshold                              # the signal floor, fitted
    python bench/lesson_labels.py features                               # cues of labelled lessons, to fit
    python bench/lesson_labels.py dump /tmp/before.json                  # every lesson, before a change
    python bench/lesson_labels.py changes /tmp/before.json [--all]       # labelled lessons changed since

Each resolved dialogue of ../shared/data/dialogues.jsonl goes through the same steps as a replay with
--learn (messages classified as the ticket service does, the hostile-content check, the offline
extractor) without a store, so it takes seconds. `sample` writes, per lesson, the dialogue, the
problem and the fix to eval/labels/lessons/<part>.jsonl with `keep: null`; a person reads each one
and sets `keep` to true or false (see GUIDE.md). `score` extracts again and counts, per part, the
labelled lessons whose fix is still the one labelled, and the share kept; a lesson whose fix changed
since it was labelled is reported as stale, not counted. `features` writes the keep model's cues of
every labelled lesson the rules still find (above the signal floor, whatever the keep model says) to
eval/labels/lessons/features.jsonl, which `eval/fit_lessons.py` fits the keep model on. `dump` and `changes`
show what a change of the rules or the model does to the labelled lessons: which are learned with another
problem or fix (their label, if any, is stale: read them), which are no longer learned and which are new, at
the shipped floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from vigil_mcp.models import Message
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.learn.extract import Extraction, extract
from vigil_mcp.services.learn.hostile import hostile_turns
from vigil_mcp.services.learn.keep import FEATURE_NAMES
from vigil_mcp.services.replay import Dialogue, read_dialogues

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dialogues.jsonl"
LABELS = ROOT / "eval" / "labels" / "lessons"


def messages_of(dialogue: Dialogue) -> list[Message]:
    """The dialogue as the ticket service stores it: seq from 1, customer turns classified."""
    out: list[Message] = []
    for seq, turn in enumerate(dialogue.turns, start=1):
        kind = identify_turn(out, turn.author, turn.text).kind if turn.role == "customer" else turn.role
        fields = {"ticket_id": dialogue.id, "seq": seq, "role": turn.role, "author": turn.author}
        fields |= {"text": turn.text.strip(), "ts": turn.ts or datetime.now(UTC), "message_id": turn.message_id}
        out.append(Message.model_validate({**fields, "kind": kind}))
    return out


def lessons(path: Path, min_confidence: float | None = None) -> dict[str, tuple[list[Message], Extraction]]:
    """Ticket id -> (messages, extraction) for every resolved dialogue that teaches something."""
    found: dict[str, tuple[list[Message], Extraction]] = {}
    for dialogue in read_dialogues(path, []):
        if not dialogue.resolved:
            continue
        messages = messages_of(dialogue)
        if hostile_turns(messages):
            continue
        result = extract(messages, min_confidence=min_confidence)
        if isinstance(result, Extraction):
            found[dialogue.id] = (messages, result)
    return found


def fix_hash(extraction: Extraction) -> str:
    """What a label is bound to: the problem and the fix (a change of either needs a new label)."""
    return hashlib.sha1(f"{extraction.problem}\x00{extraction.fix}".encode()).hexdigest()[:12]


def is_current(row: dict[str, object], found: dict[str, tuple[list[Message], Extraction]]) -> bool:
    """Whether a label is of the lesson as it is learned now (same problem and fix)."""
    ticket = str(row["ticket_id"])
    return ticket in found and row.get("fix_hash") == fix_hash(found[ticket][1])


def sample(args: argparse.Namespace) -> int:
    """Write `n` random lessons not labelled in any part yet (with --include-stale: not labelled as they
    are learned now) to <part>.jsonl."""
    found = lessons(args.data)
    rows = [row for part in LABELS.glob("*.jsonl") if part != FEATURES for row in _rows(part)]
    if args.any:  # the measure: random lessons of all that are learned, read blind whatever their labels
        taken: set[object] = set()
    elif args.include_stale:  # a lesson whose every label is of another fix has not been read as it is now
        taken = {row["ticket_id"] for row in rows if is_current(row, found)}
    else:
        taken = {row["ticket_id"] for row in rows}
    pool = sorted(t for t in found if t not in taken)
    chosen = random.Random(args.seed).sample(pool, min(args.n, len(pool)))
    out = LABELS / f"{args.part}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        for ticket in chosen:
            messages, ex = found[ticket]
            fixed = set(ex.fix_seqs)
            dialogue = [
                f"{'>>' if m.seq in fixed else '  '} [{m.seq}] {m.role} {m.author}: {m.text[:300]}" for m in messages
            ]
            row = {
                "ticket_id": ticket, "fix_hash": fix_hash(ex), "keep": None, "why": "", "problem": ex.problem,
                "fix": ex.fix, "confidence": ex.confidence, "dialogue": dialogue[:40],
            }  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} lessons to label appended to {out} (of {len(found)} lessons, {len(pool)} to draw from)")
    return 0


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(args: argparse.Namespace) -> int:
    """Per part: labelled lessons whose fix is unchanged, and the share an analyst would keep."""
    found = lessons(args.data)
    print(f"{len(found)} lessons from the resolved dialogues of {args.data.name}")
    for part in sorted(LABELS.glob("*.jsonl")):
        if part == FEATURES:
            continue
        rows = [r for r in _rows(part) if r.get("keep") is not None]
        current = [
            r for r in rows if str(r["ticket_id"]) in found and fix_hash(found[str(r["ticket_id"])][1]) == r["fix_hash"]
        ]
        kept = sum(1 for r in current if r["keep"])
        gone = [r for r in rows if str(r["ticket_id"]) not in found]
        changed = len(rows) - len(current) - len(gone)
        dropped_keep = sum(1 for r in gone if r["keep"])
        share = f"{kept / len(current):.0%}" if current else "n/a"
        print(
            f"{part.stem}: {kept} of {len(current)} lessons kept ({share}); {len(gone)} no longer learned "
            f"({dropped_keep} of them labelled keep); {changed} changed since labelled"
        )
    rows = [r for part in LABELS.glob("*.jsonl") if part != FEATURES for r in _rows(part)]
    labelled = {str(r["ticket_id"]) for r in rows}
    bound = {(str(r["ticket_id"]), r["fix_hash"]) for r in rows}
    never = sum(1 for t in found if t not in labelled)
    stale = sum(1 for t, (_, ex) in found.items() if t in labelled and (t, fix_hash(ex)) not in bound)
    print(f"{never} of the {len(found)} lessons have no label in any part ({stale} more only a stale one)")
    return 0


FEATURES = LABELS / "features.jsonl"
# Parts labelled blind after the keep model's last change: they measure the shipped model, so they are never
# fitting data (a part moves out of here only when a new round of the model starts from it).
MEASURE_ONLY = frozenset({"heldout7", "heldout8", "heldout10", "heldout11"})


def features(args: argparse.Namespace) -> int:
    """The keep model's cues of every labelled lesson whose problem and fix are still the ones labelled."""
    found = lessons(args.data, min_confidence=0.0)
    out: list[str] = []
    for part in sorted(LABELS.glob("*.jsonl")):
        if part == FEATURES or part.stem in MEASURE_ONLY:
            continue
        for r in _rows(part):
            ticket = str(r["ticket_id"])
            if r.get("keep") is None or ticket not in found or fix_hash(found[ticket][1]) != r["fix_hash"]:
                continue
            cues = dict(zip(FEATURE_NAMES, found[ticket][1].features, strict=True))
            row = {"ticket_id": ticket, "part": part.stem, "fix_hash": r["fix_hash"], "keep": bool(r["keep"])}
            out.append(json.dumps({**row, "features": {k: round(v, 6) for k, v in cues.items()}}))
    FEATURES.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(out)} labelled lessons' cues written to {FEATURES.relative_to(ROOT)} (of {len(found)} lessons)")
    return 0


def threshold(args: argparse.Namespace) -> int:
    """For each signal floor (MIN_SIGNAL): how many labelled fit lessons it keeps, and the share worth keeping."""
    found = lessons(args.data, min_confidence=0.0)
    rows = [r for r in _rows(LABELS / "fit.jsonl") if r.get("keep") is not None]
    current = [
        (found[str(r["ticket_id"])][1].signal, bool(r["keep"]))
        for r in rows
        if str(r["ticket_id"]) in found and fix_hash(found[str(r["ticket_id"])][1]) == r["fix_hash"]
    ]
    print(f"{len(current)} labelled fit lessons whose problem and fix are unchanged")
    for floor in sorted({c for c, _ in current}):
        kept = [keep for c, keep in current if c >= floor]
        print(f"signal >= {floor:.2f}: {len(kept)} lessons, {sum(kept) / len(kept):.0%} worth keeping")
    return 0


def _entries(found: dict[str, tuple[list[Message], Extraction]]) -> dict[str, dict[str, object]]:
    return {
        ticket: {"problem": ex.problem, "fix": ex.fix, "fix_hash": fix_hash(ex), "confidence": ex.confidence}
        for ticket, (_, ex) in sorted(found.items())
    }


def dump(args: argparse.Namespace) -> int:
    """Write every lesson the rules find (above the signal floor) and the keep model's floor to a JSON file."""
    from vigil_mcp.services.learn.keep import keep_model

    out = {"floor": keep_model().floor, "lessons": _entries(lessons(args.data, min_confidence=0.0))}
    args.file.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(out['lessons'])} lessons (before the keep model) written to {args.file}")
    return 0


def changes(args: argparse.Namespace) -> int:
    """The labelled lessons learned with another problem or fix, no longer learned, or newly learned since `dump`
    wrote FILE (each side at its own keep-model floor)."""
    from vigil_mcp.services.learn.keep import keep_model

    saved = json.loads(args.file.read_text(encoding="utf-8"))
    before: dict[str, dict[str, object]] = saved["lessons"]
    now = _entries(lessons(args.data, min_confidence=0.0))
    floors = (float(saved["floor"]), keep_model().floor)
    labels = {
        (str(r["ticket_id"]), str(r["fix_hash"])): (part.stem, r.get("keep"))
        for part in sorted(LABELS.glob("*.jsonl"))
        if part != FEATURES
        for r in _rows(part)
    }
    labelled = {t for t, _ in labels}
    counts: dict[str, int] = {}
    for ticket in sorted(labelled | set(before) | set(now)):
        old, new = before.get(ticket), now.get(ticket)
        was, is_ = (e is not None and float(str(e["confidence"])) >= f for e, f in zip((old, new), floors, strict=True))
        same = old is not None and new is not None and old["fix_hash"] == new["fix_hash"]
        if (not was and not is_) or (same and was == is_):
            continue
        kind = "changed" if was and is_ else ("gone" if was else "new")
        scope = "labelled" if ticket in labelled else "unlabelled"
        counts[f"{scope} {kind}"] = counts.get(f"{scope} {kind}", 0) + 1
        if ticket not in labelled and not args.all:
            continue
        old_label = labels.get((ticket, str(old["fix_hash"]))) if old else None
        new_label = labels.get((ticket, str(new["fix_hash"]))) if new else None
        print(f"== {kind} {ticket} old label {old_label} new label {new_label}")
        for name, entry, learned in (("old", old, was), ("new", new, is_)):
            if entry is not None:
                print(f"  {name} ({entry['confidence']}{'' if learned else ', below the floor'}) P: {entry['problem']}")
                print("     F: " + str(entry["fix"]).replace("\n", "\n        "))
    print(counts)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="dialogues JSONL (default ../shared/data)")
    actions = parser.add_subparsers(dest="action", required=True)
    s = actions.add_parser("sample", help="append random unlabelled lessons to a part")
    s.add_argument(
        "--part",
        choices=["fit", "fit2", "heldout", *(f"heldout{n}" for n in range(2, 12))],
        required=True,
    )
    s.add_argument(
        "--include-stale", action="store_true", help="also draw lessons whose labels are all of an earlier fix"
    )
    s.add_argument("--any", action="store_true", help="draw from every lesson learned, labelled in another part or not")
    s.add_argument("--n", type=int, default=40)
    s.add_argument("--seed", type=int, default=11)
    actions.add_parser("score", help="the kept share of each labelled part")
    actions.add_parser("threshold", help="the kept share of the fit part for each signal floor")
    actions.add_parser("features", help="write the keep model's cues of the labelled lessons (for eval/fit_lessons.py)")
    d = actions.add_parser("dump", help="write every lesson the rules find to a JSON file (for changes)")
    d.add_argument("file", type=Path)
    c = actions.add_parser("changes", help="labelled lessons changed since dump wrote FILE")
    c.add_argument("file", type=Path)
    c.add_argument("--all", action="store_true", help="print unlabelled changes too")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"{args.data}: not found; pass --data", file=sys.stderr)
        return 2
    run = {"sample": sample, "score": score, "threshold": threshold, "features": features, "dump": dump}
    return {**run, "changes": changes}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
