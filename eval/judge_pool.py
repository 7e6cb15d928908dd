"""What the judge is fitted on: customer questions from the shared dialogues with the passages vigil retrieves.

    .venv/bin/python eval/judge_pool.py sample        # eval/labels/judge/pool.jsonl: questions + candidates
    .venv/bin/python eval/judge_pool.py sample --extend 0   # keep the pool, add only questions with no quota
    .venv/bin/python eval/judge_pool.py features      # bench/.cache/judge/features-all.jsonl for fit_judge.py

Both replay the shared dialogues in time order through the real pipeline (identify, rewrite, hybrid
retrieval; learning from each resolved dialogue right after it), over a store holding the shared
product docs and runbooks, so a question's candidates include Q&A learned only from earlier dialogues.
On-call questions come from the identify labels' on-call tickets (over the same knowledge). The
docq fit half (questions written from the docs, eval/labels/docq/, split fit) is replayed last, one
dialogue per question as `eval/docq.py dialogues` writes it (ids `docq/<id>`, never resolved, so
nothing is learned from them); the docq held half is never pooled (judge_split.held_back).

`sample` picks the questions at random (fixed seed; stratified by source; every docq fit question,
with no quota) and, per question, the candidates to label: the best passage of each of the top
items by fused rank, plus the best items found by only one index. `features` recomputes, for every
labelled question, every candidate's judge features with the current code, so the fit always
matches what the pipeline computes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import docq  # noqa: E402
from judge_split import DOCQ, held_back  # noqa: E402

from vigil_mcp.app import App, build_app  # noqa: E402
from vigil_mcp.config import load_settings  # noqa: E402
from vigil_mcp.models import Message  # noqa: E402
from vigil_mcp.services.answer.pipeline import Judged  # noqa: E402
from vigil_mcp.services.answer.rewrite import Query  # noqa: E402
from vigil_mcp.services.replay import Dialogue, parse_dialogue, read_dialogues, replay  # noqa: E402
from vigil_mcp.services.tickets import Incoming  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
LABELS = REPO / "eval" / "labels" / "judge"
CACHE = REPO / "bench" / ".cache" / "judge"
DOCS = ["stripe-api", "debian-reference", "debian-handbook", "debian-faq"]
SEED = 11
QUOTA = {"stripe": 110, "ubuntu": 220, "oncall": 40}
TOP_QA = 3  # = pipeline.SHORTLIST_QA
TOP_WRITTEN = 5  # = pipeline.SHORTLIST_WRITTEN


def passage_sha(text: str) -> str:
    """A short, stable key of a passage's text."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def knowledge_store(fresh: bool = False) -> Path:
    """A store with the shared docs and runbooks (with embeddings), built once into the cache."""
    home = CACHE / "knowledge-home"
    store = home / "knowledge.duckdb"
    if store.exists() and not fresh:
        return store
    home.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        started = time.perf_counter()
        report = app.knowledge.add_paths([SHARED / "docs" / d for d in DOCS], kind="doc")
        print(f"docs: {report.summary()}", file=sys.stderr)
        report = app.knowledge.add_paths([SHARED / "runbooks.jsonl"], kind="runbook")
        print(f"runbooks: {report.summary()} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    finally:
        app.close()
    return store


def scratch_app(store: Path) -> App:
    """An app over a scratch copy of the knowledge store (replays write tickets and learned Q&A)."""
    home = CACHE / "replay-home"
    home.mkdir(parents=True, exist_ok=True)
    target = home / "knowledge.duckdb"
    for suffix in ("", ".wal"):
        copy = Path(f"{target}{suffix}")
        copy.unlink(missing_ok=True)
        if Path(f"{store}{suffix}").exists():
            copy.write_bytes(Path(f"{store}{suffix}").read_bytes())
    settings = load_settings({"home": str(home)}, environ={})
    return build_app(replace(settings, skills_dir=home / "skills"))


def oncall_dialogues() -> list[Dialogue]:
    """The identify labels' on-call tickets, rebuilt as dialogues (customer and analyst turns)."""
    turns: dict[str, dict[int, tuple[str, str, str]]] = {}
    for name in ("fit.jsonl", "held.jsonl"):
        for line in (REPO / "eval" / "labels" / "identify" / name).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec.get("source") != "oncall":
                continue
            ticket = turns.setdefault(rec["id"], {})
            ticket[int(rec["idx"])] = ("customer", rec["speaker"], rec["text"])
            for back, ctx in enumerate(reversed(rec.get("context", [])), start=1):
                role = "customer" if ctx["role"] == "customer" else "analyst"
                ticket.setdefault(int(rec["idx"]) - back, (role, ctx["speaker"], ctx["text"]))
    out: list[Dialogue] = []
    for n, (tid, by_idx) in enumerate(sorted(turns.items())):
        incoming = tuple(
            Incoming(tid, role, speaker, text, None, str(idx)) for idx, (role, speaker, text) in sorted(by_idx.items())
        )
        out.append(Dialogue(tid, 100_000 + n, incoming, False, None))
    return out


def docq_dialogues() -> list[Dialogue]:
    """The docq fit half's questions, each as the dialogue `eval/docq.py dialogues` writes for it."""
    questions = enumerate(docq.read_questions(), start=1)
    return [parse_dialogue(docq.dialogue_of(q, seq)) for seq, q in questions if q["split"] == "fit"]


def all_dialogues() -> list[Dialogue]:
    """The shared dialogues in time order, then the on-call ones, then the docq fit half."""
    skipped: list[Any] = []
    return read_dialogues(SHARED / "dialogues.jsonl", skipped) + oncall_dialogues() + docq_dialogues()


def source_of(dialogue_id: str) -> str:
    """stripe, ubuntu, oncall or docq."""
    return dialogue_id.split("/", 1)[0]


def pick_candidates(candidates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The passages to label: the best passage of each of the top items by fused rank, learned Q&A and the
    rest apart (learned questions resemble questions more than documents do, and would crowd them out).
    The answer path's judge decides among the same shortlist (services/answer/pipeline.shortlist)."""
    best: dict[str, dict[str, Any]] = {}
    for c in sorted(candidates, key=lambda c: -c["fused"]):
        best.setdefault(c["item_id"], c)
    ranked = sorted(best.values(), key=lambda c: -c["fused"])
    learned = [c for c in ranked if c["kind"] == "qa"][:TOP_QA]
    written = [c for c in ranked if c["kind"] != "qa"][:TOP_WRITTEN]
    return sorted(learned + written, key=lambda c: -c["fused"])


def _record(message: Message, history: Sequence[Message], query: Query, judged: Sequence[Judged]) -> dict[str, Any]:
    return {
        "qid": f"{message.ticket_id}#{message.message_id}",
        "dialogue_id": message.ticket_id,
        "source": source_of(message.ticket_id),
        "held_back": held_back(message.ticket_id),
        "question": message.text,
        "context": [f"{m.role} {m.author}: {m.text}" for m in history[-3:]],
        "query": query.text,
        "candidates": [
            {
                "item_id": j.item_id, "kind": j.found.record.kind, "title": j.found.record.title,
                "section": j.found.record.section, "source": j.found.record.source, "anchor": j.found.record.anchor,
                "passage": j.found.record.text, "passage_sha": passage_sha(j.found.record.text),
                "features": j.features.as_dict(), "fused": round(j.found.fused, 5),
                "dense_rank": j.found.dense_rank, "bm25_rank": j.found.bm25_rank,
            }
            for j in judged
        ],
    }  # fmt: skip


def observe(app: App, dialogues: Sequence[Dialogue], wanted: set[str] | None) -> Iterator[dict[str, Any]]:
    """Replay with learning; yield a record for every judged question (`wanted`: only these qids)."""
    out: list[dict[str, Any]] = []
    answers = app.tickets.answers

    def seen(message: Message, history: Sequence[Message], query: Query, judged: list[Judged]) -> None:
        qid = f"{message.ticket_id}#{message.message_id}"
        if wanted is None or qid in wanted:
            rec = _record(message, history, query, judged)
            for c in rec["candidates"]:
                if c["kind"] == "qa":  # what a labeller judges: the learned answer, as it stood then
                    c["answer"] = app.knowledge.get(c["item_id"]).body
            out.append(rec)

    answers.observer = seen
    started = time.perf_counter()
    for n, dialogue in enumerate(dialogues, start=1):
        replay(app.tickets, [dialogue], learn=True, learn_now=app.worker.drain)
        yield from out
        out.clear()
        if n % 500 == 0:
            print(f"  {n} dialogues, {time.perf_counter() - started:.0f} s", file=sys.stderr)


def sample(args: argparse.Namespace) -> None:
    """Write pool.jsonl: the sampled questions with their candidates to label.

    With `--extend N`, the questions already in pool.jsonl stay (they are labelled) and N more per
    100 of QUOTA are drawn from the rest (`--extend 0`: none). Sources without a quota (docq) are
    taken whole, outside the draw, so adding them leaves the draw of the others as it was. The same
    replay writes every pool question's candidates and features to the cache (what `features` would
    compute), so fitting needs no second replay.
    """
    kept: dict[str, dict[str, Any]] = {}
    extend = args.extend is not None
    if extend and (LABELS / "pool.jsonl").exists():
        for line in (LABELS / "pool.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            kept[rec["qid"]] = rec
    app = scratch_app(knowledge_store(args.fresh))
    try:
        app.knowledge.wait_backfilled()
        records = list(observe(app, all_dialogues(), None))
    finally:
        app.close()
    whole = [r for r in records if r["source"] not in QUOTA]
    drawn = [r for r in records if r["source"] in QUOTA]
    rng = random.Random(SEED + len([q for q in kept if source_of(q) in QUOTA]))
    rng.shuffle(drawn)
    scale = args.extend / 100 if extend else 1.0
    quota = {source: round(n * scale) for source, n in QUOTA.items()}
    picked: list[dict[str, Any]] = []
    full: list[dict[str, Any]] = []
    counts = dict.fromkeys([*QUOTA, DOCQ], 0)
    for rec in drawn + whole:
        if rec["qid"] in kept:
            full.append(dict(rec))
            continue
        if rec["source"] not in QUOTA or counts[rec["source"]] < quota[rec["source"]]:
            counts[rec["source"]] += 1
            full.append(dict(rec))
            rec["candidates"] = pick_candidates(rec["candidates"])
            picked.append(rec)
    LABELS.mkdir(parents=True, exist_ok=True)
    with (LABELS / "pool.jsonl").open("w", encoding="utf-8") as fh:
        for rec in sorted([*kept.values(), *picked], key=lambda r: r["qid"]):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "features-all.jsonl").open("w", encoding="utf-8") as fh:
        for rec in full:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if picked:
        (CACHE / "new-qids.txt").write_text("".join(r["qid"] + "\n" for r in picked), encoding="utf-8")
    print(f"{len(picked)} new questions ({len(kept)} kept) of {len(records)} judged: {counts}", file=sys.stderr)


def features(args: argparse.Namespace) -> None:
    """Recompute every labelled question's candidates and features with the current code."""
    pool = [json.loads(line) for line in (LABELS / "pool.jsonl").read_text(encoding="utf-8").splitlines()]
    wanted = {rec["qid"] for rec in pool}
    app = scratch_app(knowledge_store(args.fresh))
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        app.knowledge.wait_backfilled()
        with (CACHE / "features-all.jsonl").open("w", encoding="utf-8") as fh:
            for rec in observe(app, all_dialogues(), wanted):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["sample", "features"])
    parser.add_argument("--fresh", action="store_true", help="rebuild the knowledge store")
    parser.add_argument("--extend", type=int, default=None, help="keep pool.jsonl and add N %% of QUOTA more")
    args = parser.parse_args()
    sample(args) if args.what == "sample" else features(args)


if __name__ == "__main__":
    main()
