"""Fit when the offline engine leaves a ticket's follow-ups to its analyst (`pipeline.ENGAGED_AFTER`).

    .venv/bin/python eval/fit_engaged.py table    # eval/labels/suggestions/positions.jsonl, from ../shared
    .venv/bin/python eval/fit_engaged.py          # fit on the fit part, report on the held-back part
    .venv/bin/python eval/fit_engaged.py --check  # exit 1 if the shipped constant is not what a refit gives

The offline engine drafts from the customer's message and what retrieval finds for it; it does not
read the conversation. Once an analyst has replied a few times, the customer's turns are mostly
follow-ups on what the analyst said ("ikonia, if it weren't mounted would it still be in
/media/cdrom?"), and a passage found for their words rarely answers them. The rule: from the
ENGAGED_AFTER-th analyst message of a ticket on, the offline engine drafts only a learned answer to
the same case (measured on its own, `similarity.SAME_CASE_HELPS`), never a doc passage.

Inputs: every draft of `vigil eval` on the shared dialogues that readers labelled helpful / partly /
wrong (eval/labels/suggestions/round*.jsonl, a draft's latest label; the learning run's label when a
turn was drafted in both runs), and, per labelled draft, how many analyst messages its ticket had
before it that said more than a greeting, an acknowledgement or "looking at it" (`identify.says_little`,
as the pipeline counts them; positions.jsonl, written by `table` from the shared dialogues, so fitting and the test
need no ../shared). The labels are split by a hash of the dialogue id (eval/judge_split.py, the
judge's split): ENGAGED_AFTER is the k in 1..MAX_K whose rule gives the highest helpful share of the
drafts it keeps on the fit part (ties: the larger k, which keeps more); the held-back part is
reported.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from judge_split import held_back  # noqa: E402

from vigil_mcp.services.answer import pipeline  # noqa: E402
from vigil_mcp.services.answer.identify import says_little  # noqa: E402

LABELS = REPO / "eval" / "labels" / "suggestions"
POSITIONS = LABELS / "positions.jsonl"
REPORT = REPO / "eval" / "reports" / "engaged.md"
DIALOGUES = REPO.parent / "shared" / "data" / "dialogues.jsonl"
MAX_K = 8
LEARNED = "(ticket:"


def latest_labels() -> dict[str, dict[str, Any]]:
    """Each labelled turn (`dialogue#message`) with its latest label, the learning run's first."""
    by_key: dict[str, dict[str, Any]] = {}
    rounds = sorted(LABELS.glob("round*.jsonl"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))
    for path in rounds:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            by_key[row["key"]] = row
    turns: dict[str, dict[str, Any]] = {}
    for key, row in sorted(by_key.items(), key=lambda kv: kv[0].split("|", 1)[0] != "learn"):
        turns.setdefault(key.split("|", 1)[1], row)
    return turns


def table(dialogues: Path = DIALOGUES) -> list[dict[str, Any]]:
    """Per labelled turn: its dialogue, the analyst messages before it, and whether its draft was learned."""
    wanted = latest_labels()
    ids = {turn.rsplit("#", 1)[0] for turn in wanted}
    before: dict[str, int] = {}
    with dialogues.open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["id"] not in ids:
                continue
            analysts = 0
            participants: list[str] = []
            for t in d["turns"]:
                before[f"{d['id']}#{t['idx']}"] = analysts
                analysts += t["role"] == "agent" and not says_little(t["text"], participants)
                participants += [t["speaker"]] if t["speaker"] not in participants else []
    return [
        {"turn": turn, "dialogue_id": turn.rsplit("#", 1)[0], "analyst_messages_before": before[turn],
         "learned": LEARNED in row["suggestion"], "label": row["label"]}
        for turn, row in sorted(wanted.items())
    ]  # fmt: skip


def load() -> list[dict[str, Any]]:
    """positions.jsonl with each turn's current label."""
    labels = latest_labels()
    rows = [json.loads(line) for line in POSITIONS.read_text(encoding="utf-8").splitlines()]
    return [{**r, "label": labels[r["turn"]]["label"]} for r in rows if r["turn"] in labels]


def kept(rows: list[dict[str, Any]], k: int | None) -> list[dict[str, Any]]:
    """The drafts the rule at `k` lets through (None: no rule)."""
    return [r for r in rows if k is None or r["learned"] or r["analyst_messages_before"] < k]


def shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and shares of the labels."""
    c = Counter(r["label"] for r in rows)
    n = len(rows)
    return {"drafts": n, **{lab: c[lab] for lab in ("helpful", "partly", "wrong")},
            "helpful_share": round(c["helpful"] / n, 4) if n else 0.0,
            "wrong_share": round(c["wrong"] / n, 4) if n else 0.0}  # fmt: skip


def parts(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(fit, held back) by the judge's split of dialogue ids."""
    return [r for r in rows if not held_back(r["dialogue_id"])], [r for r in rows if held_back(r["dialogue_id"])]


def fit(rows: list[dict[str, Any]]) -> int:
    """The k with the highest helpful share kept on `rows` (ties: the larger k)."""
    return max(range(1, MAX_K + 1), key=lambda k: (shares(kept(rows, k))["helpful_share"], k))


def report(rows: list[dict[str, Any]], k: int) -> str:
    """The Markdown report: every k on both parts, the chosen one marked."""
    fit_rows, held_rows = parts(rows)
    lines = [
        "# When the offline engine leaves follow-ups to the analyst (`pipeline.ENGAGED_AFTER`)",
        "",
        "Written by `eval/fit_engaged.py` from the labelled drafts of `vigil eval` on the shared dialogues",
        f"({len(rows)} turns: {len(fit_rows)} fit, {len(held_rows)} held back). A rule at k keeps a doc draft only",
        "before the ticket's k-th analyst message (a learned answer to the same case always).",
        "",
        "| k | part | drafts kept | helpful | partly | wrong | helpful share | wrong share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cand in (None, *range(1, MAX_K + 1)):
        for name, part in (("fit", fit_rows), ("held back", held_rows)):
            s = shares(kept(part, cand))
            mark = " (chosen)" if cand == k else ""
            lines.append(
                f"| {'no rule' if cand is None else cand}{mark} | {name} | {s['drafts']} | {s['helpful']} | "
                f"{s['partly']} | {s['wrong']} | {s['helpful_share']:.3f} | {s['wrong_share']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", nargs="?", choices=["table"], help="write positions.jsonl from ../shared")
    parser.add_argument("--check", action="store_true", help="exit 1 if ENGAGED_AFTER is not what a refit gives")
    args = parser.parse_args(argv)
    if args.command == "table":
        rows = table()
        POSITIONS.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != "label"}) + "\n" for r in rows), encoding="utf-8"
        )
        print(f"{len(rows)} labelled turns -> {POSITIONS.relative_to(REPO)}")
        return 0
    rows = load()
    k = fit(parts(rows)[0])
    if args.check:
        ok = k == pipeline.ENGAGED_AFTER
        print(f"refit ENGAGED_AFTER = {k}; shipped {pipeline.ENGAGED_AFTER}: {'ok' if ok else 'DIFFERENT'}")
        return 0 if ok else 1
    REPORT.write_text(report(rows, k), encoding="utf-8")
    print(report(rows, k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
