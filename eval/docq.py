"""Questions written from the shared docs (eval/labels/docq/): topics, dialogues, and why vigil spoke or not.

    .venv/bin/python eval/docq.py topics [--source stripe|debian-reference|...] [--n 60]
    .venv/bin/python eval/docq.py dialogues [--out /tmp/docq-dialogues.jsonl]
    .venv/bin/python eval/docq.py store --home /tmp/docq-home     # once, ~1 h on a busy 2-core machine
    .venv/bin/python eval/docq.py explain --store /tmp/docq-home/knowledge.duckdb [--out /tmp/docq-explain.jsonl]

`topics` prints the seeded random draw of doc units the questions were written from, in draw order
(the writer took them in that order, passing over a unit no customer would ask about, as GUIDE.md
says). `dialogues` turns questions.jsonl into the shared dialogues format, one dialogue per
question: the customer turn, then an analyst turn holding the reference answer. `store` builds a
store with the calls `vigil eval --knowledge PRODUCT=PATH` makes, per product in the brief's order.
`explain` runs each question through the real answer pipeline over a copy of that store and
records the decision's reason, the judge's shortlist and where the gold passage ranks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
LABELS = REPO / "eval" / "labels" / "docq"
QUESTIONS = LABELS / "questions.jsonl"
SEED = 4242
SOURCES = ["stripe-api", "debian-reference", "debian-handbook", "debian-faq", "runbooks"]
PRODUCT = {
    "stripe-api": "stripe",
    "debian-reference": "ubuntu",
    "debian-handbook": "ubuntu",
    "debian-faq": "ubuntu",
    "runbooks": "openshift",
}
MIN_TEXT = 300  # characters of a section's own text: shorter ones rarely answer anything
MIN_FIELD = 80  # characters of a Stripe field or parameter description
BOILERPLATE = 3


def split_of(qid: str) -> str:
    """`fit` or `held`: a 50/50 split by a hash of the question id."""
    return "held" if int(hashlib.sha1(f"docq:{qid}".encode()).hexdigest()[:8], 16) % 2 else "fit"


# ---- topics --------------------------------------------------------------------------------------
def _stripe_units() -> Iterator[dict[str, str]]:
    spec = json.loads((SHARED / "docs" / "stripe-api" / "openapi-spec3-2019-10.json").read_text(encoding="utf-8"))
    for name, schema in sorted(spec["components"]["schemas"].items()):
        for field, prop in sorted(schema.get("properties", {}).items()):
            text = str(prop.get("description", ""))
            if len(text) >= MIN_FIELD:
                yield {"object": name, "field": field, "text": text}
    for path, methods in sorted(spec["paths"].items()):
        for method, op in sorted(methods.items()):
            if not isinstance(op, dict):
                continue
            operation = f"{method.upper()} {path}"
            text = str(op.get("description", ""))
            if len(text) >= MIN_FIELD:
                yield {"operation": operation, "id": str(op.get("operationId", "")), "text": text}
            body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
            for param, prop in sorted(body.get("schema", {}).get("properties", {}).items()):
                text = str(prop.get("description", ""))
                if len(text) >= MIN_FIELD:
                    yield {"operation": operation, "parameter": param, "text": text}
            for param in op.get("parameters", []):
                text = str(param.get("description", ""))
                if len(text) >= MIN_FIELD:
                    yield {"operation": operation, "parameter": str(param.get("name")), "text": text}


def _html_units(folder: str) -> Iterator[dict[str, str]]:
    from lxml import html

    seen: set[str] = set()
    for page in sorted((SHARED / "docs" / folder).glob("*.html")):
        tree = html.fromstring(page.read_bytes())
        for div in tree.xpath('//div[contains(concat(" ", @class, " "), " section ")]'):
            heads = div.xpath("./div[@class='titlepage']//*[self::h2 or self::h3 or self::h4 or self::h5]")
            if not heads:
                continue
            anchors = heads[0].xpath(".//a/@id")
            anchor = str(anchors[0]) if anchors else ""
            if not anchor or anchor in seen:
                continue
            seen.add(anchor)
            own = [
                child.text_content()
                for child in div
                if "section" not in str(child.get("class", "")).split() and child.get("class") != "titlepage"
            ]
            text = re.sub(r"\s+", " ", " ".join(own)).strip()
            if len(text) >= MIN_TEXT:
                title = re.sub(r"\s+", " ", heads[0].text_content()).strip()
                yield {"file": f"{folder}/{page.name}", "section": title, "anchor": anchor, "text": text}


def _runbook_units() -> Iterator[dict[str, str]]:
    for line in (SHARED / "runbooks.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if len(rec["text"]) >= MIN_TEXT:
            yield {"runbook": rec["id"], "title": rec["title"], "sections": ", ".join(rec["sections"]),
                   "text": rec["text"]}  # fmt: skip


def topics(source: str) -> list[dict[str, str]]:
    """Every unit of a source in the seeded draw order (seed SEED and the source's name).

    A Stripe description that recurs (BOILERPLATE times or more: `object`, pagination cursors, `limit`,
    `expand`, `metadata`) is left out: it says nothing about the object it sits on."""
    units = list(
        _stripe_units() if source == "stripe-api" else _runbook_units() if source == "runbooks" else _html_units(source)
    )
    if source == "stripe-api":
        counts = Counter(u["text"] for u in units)
        units = [u for u in units if counts[u["text"]] < BOILERPLATE]
    random.Random(f"{SEED}:{source}").shuffle(units)
    return units


# ---- dialogues -----------------------------------------------------------------------------------
def read_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    """The questions file, one record per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dialogue_of(q: dict[str, Any], seq: int) -> dict[str, Any]:
    """One question as a shared-format dialogue: the customer turn, then the analyst's reference answer."""
    time = f"2019-10-15T{seq // 60 % 24:02d}:{seq % 60:02d}:00"
    customer, analyst = f"cust{seq:03d}", "analyst"
    turns = [
        {"idx": 0, "time": time, "speaker": customer, "role": "customer", "text": q["question"], "reply_to": []},
        {"idx": 1, "time": time, "speaker": analyst, "role": "agent", "text": q["reference"], "reply_to": [0]},
    ]
    return {
        "id": f"docq/{q['id']}",
        "source": "docq",
        "product": PRODUCT[q["source"]],
        "file": "eval/labels/docq/questions.jsonl",
        "split": q["split"],
        "start_time": time,
        "end_time": time,
        "customer": customer,
        "agents": [analyst],
        "n_turns": 2,
        "question": q["question"],
        "turns": turns,
        "resolved": False,  # replayed without learning: the reference answer must not become knowledge
        "resolution": None,
        "ack": None,
        "threading": "gold",
        "seq": seq,
        "nearest_earlier_resolved": None,
        "provenance": {"repo": "vigil-mcp", "path": "eval/labels/docq/questions.jsonl", "license": "MIT"},
    }


def write_dialogues(out: Path) -> int:
    """Write the dialogues file; returns how many dialogues."""
    questions = read_questions()
    with out.open("w", encoding="utf-8") as fh:
        for seq, q in enumerate(questions, start=1):
            fh.write(json.dumps(dialogue_of(q, seq), ensure_ascii=False) + "\n")
    return len(questions)


# ---- store and explain ---------------------------------------------------------------------------
KNOWLEDGE = [  # what `vigil eval --knowledge` is given, in that order
    ("stripe", ["docs/stripe-api"]),
    ("ubuntu", ["docs/debian-reference", "docs/debian-handbook", "docs/debian-faq"]),
    ("openshift", ["runbooks.jsonl"]),
]


def build_store(home: Path) -> None:
    """The scoped docs and runbooks in HOME/knowledge.duckdb, with every embedding computed."""
    sys.path.insert(0, str(REPO))
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings

    home.mkdir(parents=True, exist_ok=True)
    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        for product, paths in KNOWLEDGE:
            report = app.knowledge.add_paths([SHARED / p for p in paths], product=product)
            print(f"{product}: {report.summary()}", file=sys.stderr)
        app.knowledge.wait_backfilled(timeout=3600)
    finally:
        app.close()


def is_gold(q: dict[str, Any], source: str, anchor: str, text: str) -> tuple[bool, bool]:
    """(the passage is the gold passage, the passage belongs to the gold item) for a question's gold."""
    gold = q["gold"]
    if gold is None:
        return False, False
    if q["source"] == "runbooks":
        # A short runbook is stored as one item without headings: the gold passage is one whose words
        # stand in the gold section's text.
        item = source == gold["runbook"]
        return item and _squeezed(text)[:80] in _squeezed(_section_text(gold["runbook"], gold["section"])), item
    anchors = [gold["anchor"], *gold.get("also", [])]  # the same text in more than one place
    item = source.endswith(gold["file"].split("/", 1)[1]) and anchor in anchors
    name = gold.get("field") or gold.get("parameter")
    # A schema or operation item is one passage per group of fields: the gold one names the field.
    return item and (name is None or re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text) is not None), item


def _squeezed(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


_RUNBOOKS: dict[str, str] = {}


def _section_text(runbook: str, section: str) -> str:
    """The Markdown under a runbook's `## section` heading (its subsections too); the title: the intro."""
    if not _RUNBOOKS:
        for line in (SHARED / "runbooks.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            _RUNBOOKS[rec["id"]] = rec["text"]
    text = _RUNBOOKS[runbook]
    parts = re.split(r"^(#{1,2} .*)$", text, flags=re.MULTILINE)  # [before, heading, body, heading, body...]
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        if heading.lstrip("#").strip() == section:
            return body
    raise KeyError(f"{runbook}: no section {section!r}")


def explain(store: Path, out: Path) -> None:
    """Per question: vigil's decision and reason, the judge's best candidate, the gold passage's rank in
    the POOL retrieved and the judge's probability for it, over a scratch copy of `store`."""
    import shutil
    import tempfile
    from dataclasses import replace
    from datetime import datetime

    sys.path.insert(0, str(REPO))
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings
    from vigil_mcp.models import Message
    from vigil_mcp.services.answer.pipeline import POOL, Judged
    from vigil_mcp.services.answer.rewrite import Query

    with tempfile.TemporaryDirectory(prefix="docq-explain-") as tmp:
        home = Path(tmp)
        shutil.copyfile(store, home / "knowledge.duckdb")
        settings = load_settings({"home": str(home)}, environ={})
        app = build_app(replace(settings, skills_dir=home / "skills"))
        try:
            app.knowledge.load()
            app.knowledge.wait_backfilled()
            answers = app.tickets.answers
            seen: dict[str, tuple[Query, list[Judged]]] = {}
            answers.observer = lambda m, h, query, judged: seen.__setitem__(m.ticket_id, (query, list(judged)))
            with out.open("w", encoding="utf-8") as fh:
                for q in read_questions():
                    tid = f"docq/{q['id']}"
                    message = Message(ticket_id=tid, seq=1, role="customer", author="cust", text=q["question"],
                                      ts=datetime(2019, 10, 15), message_id="0", kind="question")  # fmt: skip
                    decision = answers.decide([], message, product=q["product"])
                    rec: dict[str, Any] = {"id": q["id"], "source": q["source"], "answerable": q["answerable"],
                                           "speak": decision.speak, "reason": decision.reason}  # fmt: skip
                    if decision.draft is not None and decision.speak:
                        rec["draft"] = decision.draft.text
                    if tid in seen:
                        query, judged = seen[tid]
                        rec |= _ranks(answers, q, query, judged, POOL)
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    print(
                        f"{q['id']}: {'SPEAK' if decision.speak else 'silent'} {decision.reason[:110]}", file=sys.stderr
                    )
        finally:
            app.close()


def _ranks(answers: Any, q: dict[str, Any], query: Any, judged: list[Any], pool: int) -> dict[str, Any]:
    """Where the gold passage and item rank among the retrieved, and the judge's view of gold and best."""
    from vigil_mcp.services.knowledge.passages import says_something

    knowledge = answers.knowledge
    product = q["product"]
    retrieved = knowledge.retrieve(query.text, pool, vector=answers.sameness.vector(query.text), product=product)

    def gold(r: Any) -> tuple[bool, bool]:
        rec = r.record
        return is_gold(q, rec.source, rec.anchor, rec.text)

    passage_rank = next((n for n, r in enumerate(retrieved, start=1) if gold(r)[0]), None)
    item_rank = next((n for n, r in enumerate(retrieved, start=1) if gold(r)[1]), None)
    out: dict[str, Any] = {
        "query": query.text,
        "gold_passage_rank": passage_rank,
        "gold_item_rank": item_rank,
        "best": _candidate(judged[0], gold) if judged else None,
        "shortlist": [_candidate(j, gold) for j in judged],
    }
    scored_as = 0 if passage_rank is not None else 1  # the gold passage, else the gold item's best
    shortlisted = next((j for j in judged if gold(j.found)[scored_as]), None)
    if shortlisted is not None:
        out["gold_probability"], out["gold_scored"] = round(shortlisted.posterior, 4), "shortlist"
    elif passage_rank is not None or item_rank is not None:
        # Not shortlisted: the judge's probability for it as if it were, judged beside the two items
        # nearest by meaning (the features compare every candidate with the best other item).
        target = next(
            (r for r in retrieved if gold(r)[scored_as] and says_something(r.record.text, r.record.form)), None
        )
        if target is not None:
            cosines: dict[str, float] = {}
            for r in retrieved:
                if r.cosine is not None:
                    cosines[r.record.item_id] = max(cosines.get(r.record.item_id, -1.0), r.cosine)
            near = [item for item, _ in sorted(cosines.items(), key=lambda kv: -kv[1])[:2]]
            others = [r for r in retrieved if r.record.item_id in near and r.record.item_id != target.record.item_id]
            scored = answers.judge_candidates(query, [target, *others], f"docq-gold/{q['id']}")
            mine = next((j for j in scored if j.found.record.passage_no == target.record.passage_no), None)
            if mine is not None:
                out["gold_probability"], out["gold_scored"] = round(mine.posterior, 4), "rescored"
    out["gold_level"] = "passage" if passage_rank is not None else "item" if item_rank is not None else None
    return out


def _candidate(j: Any, gold: Any) -> dict[str, Any]:
    rec = j.found.record
    is_passage, is_item = gold(j.found)
    return {
        "item": j.item_id, "title": rec.title, "section": rec.section, "anchor": rec.anchor,
        "p": round(j.posterior, 4), "gold_passage": is_passage, "gold_item": is_item, "passage": rec.text[:300],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("topics", help="the seeded draw of doc units")
    t.add_argument("--source", choices=SOURCES, action="append")
    t.add_argument("--n", type=int, default=60)
    t.add_argument("--chars", type=int, default=400, help="characters of each unit's text to show")
    d = sub.add_parser("dialogues", help="questions.jsonl -> dialogues JSONL")
    d.add_argument("--out", type=Path, default=Path("/tmp/docq-dialogues.jsonl"))
    b = sub.add_parser("store", help="a store with the scoped docs and runbooks, for explain")
    b.add_argument("--home", type=Path, default=Path("/tmp/docq-home"))
    e = sub.add_parser("explain", help="per question: decision reason, best candidate, gold rank")
    e.add_argument("--store", type=Path, required=True)
    e.add_argument("--out", type=Path, default=Path("/tmp/docq-explain.jsonl"))
    args = parser.parse_args()
    if args.command == "topics":
        for source in args.source or SOURCES:
            for n, unit in enumerate(topics(source)[: args.n], start=1):
                head = {k: v for k, v in unit.items() if k != "text"}
                print(f"\n[{source} {n}] {json.dumps(head)}\n    {unit['text'][: args.chars]}")
    elif args.command == "store":
        build_store(args.home)
    elif args.command == "dialogues":
        print(f"{write_dialogues(args.out)} dialogues -> {args.out}", file=sys.stderr)
    else:
        explain(args.store, args.out)


if __name__ == "__main__":
    main()
