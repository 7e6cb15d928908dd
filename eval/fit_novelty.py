"""Fit `services/similarity.ADDS_LITTLE`: below it, a draft only restates the customer's own message.

    .venv/bin/python eval/fit_novelty.py            # fit on the IRC suggestion labels, report on docq's blind ones
    .venv/bin/python eval/fit_novelty.py --check    # exit 1 if the shipped constant is not what a refit gives

Measure (`similarity.adds`): the share of the draft's content terms, generic ones left out, that the
customer's message does not hold. A field definition made of the customer's own words ("`payment_method`
on the `payment_intent` object: ID of the payment method used in this PaymentIntent" for "I am getting
error: No such payment_method ... when I try to confirm the PaymentIntent") tells them nothing.

Fit part: every draft from the docs or runbooks in eval/labels/suggestions/ (the shared #stripe and #ubuntu
dialogues, read and labelled helpful / partly / wrong; one per question and draft text, the latest round's
label; drafts from learned Q&A are left out, as the rule leaves them out). Rule: vigil
holds a draft back when its measure is below the threshold, so a held-back helpful or partly draft is a
loss: the threshold is the midpoint between the lowest measure of a helpful or partly draft and the
highest measure of a wrong draft below it (none held back that a reader found useful, on these labels).
Held back: eval/labels/docq/blind.jsonl (questions written from the docs, drafts read blind): how many it
would hold back, and their labels.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vigil_mcp.services import similarity  # noqa: E402
from vigil_mcp.services.similarity import adds, without_citation  # noqa: E402

SUGGESTIONS = REPO / "eval" / "labels" / "suggestions"
DOCQ_BLIND = REPO / "eval" / "labels" / "docq" / "blind.jsonl"


def fit_rows() -> list[tuple[float, str, str]]:
    """(measure, label, question) per labelled IRC draft, one per question and draft text."""
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for path in sorted(SUGGESTIONS.glob("round*.jsonl"), key=lambda p: int(re.sub(r"\D", "", p.stem))):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                if learned(rec["suggestion"]):
                    continue
                latest[(rec["question"], without_citation(rec["suggestion"]))] = (rec["round"], rec["label"])
    return sorted((measure(draft, question), label, question) for (question, draft), (_, label) in latest.items())


def learned(suggestion: str) -> bool:
    """A draft from a learned Q&A or a skill (cited to its ticket or skill): the rule does not apply to
    those, a learned answer confirming what the customer proposes says something."""
    source = suggestion.rpartition("\n\nSource: ")[2]
    return "(ticket:" in source or "skill://" in source


def measure(draft: str, question: str) -> float:
    """`adds`, or 1.0 for a draft with a code block (`adds_nothing` never holds those back)."""
    return 1.0 if "```" in draft else adds(draft, question)


def held_rows() -> list[tuple[float, str, str]]:
    rows: list[tuple[float, str, str]] = []
    for line in DOCQ_BLIND.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            rows.append((measure(without_citation(rec["draft"]), rec["question"]), rec["label"], rec["id"]))
    return sorted(rows)


def fit(rows: list[tuple[float, str, str]]) -> float:
    useful = min((m for m, label, _ in rows if label != "wrong"), default=1.0)
    below = max((m for m, label, _ in rows if label == "wrong" and m < useful), default=0.0)
    return round((below + useful) / 2, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = fit_rows()
    threshold = fit(rows)
    held = held_rows()
    print(f"fit: {len(rows)} labelled drafts; threshold {threshold}")
    for m, label, question in rows:
        if m < threshold + 0.1:
            print(f"  {m:.2f} {label:8} {'HELD BACK' if m < threshold else 'offered  '} {question[:90]!r}")
    back = [(m, label, qid) for m, label, qid in held if m < threshold]
    print(f"held back on docq (blind labels): {len(back)} of {len(held)} drafts {back}")
    print(f"lowest docq measure: {held[0] if held else None}")
    if args.check:
        ok = threshold == similarity.ADDS_LITTLE
        shipped = similarity.ADDS_LITTLE
        print("ADDS_LITTLE matches a refit" if ok else f"ADDS_LITTLE is {shipped}, a refit gives {threshold}")
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
