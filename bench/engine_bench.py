"""Proactive engine and replay benchmark (run by hand; prints medians).

    .venv/bin/python bench/engine_bench.py

1. Offline engine decision time per customer message, with 100,000 knowledge items (the
   synthetic store that bench/search_bench.py builds) plus the real runbooks, on the real
   customer messages of ../shared/data/dialogues.jsonl.
2. `vigil replay` throughput on all 4,224 shared dialogues over the real runbooks, without and
   with learning.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vigil_mcp.app import build_app
from vigil_mcp.config import load_settings
from vigil_mcp.models import Message
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.replay import read_dialogues, replay

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def decision_time(messages: int = 2000) -> None:
    big = HERE / ".cache" / "home-100000"
    if not (big / "knowledge.duckdb").exists():
        sys.exit("run bench/search_bench.py first: it builds the 100k-item store")
    home = Path(tempfile.mkdtemp(prefix="vigil-engine-bench-"))
    try:
        shutil.copyfile(big / "knowledge.duckdb", home / "knowledge.duckdb")
        app = build_app(load_settings({"home": str(home)}, environ={}))
        app.knowledge.add_paths([SHARED / "runbooks.jsonl"])
        print(f"knowledge items: {app.knowledge.index.n_docs}")
        dialogues = read_dialogues(SHARED / "dialogues.jsonl", [])
        times: list[float] = []
        question_times: list[float] = []
        for d in dialogues:
            history: list[Message] = []
            for i, turn in enumerate(d.turns):
                kind = identify_turn(history, turn.author, turn.text).kind if turn.role == "customer" else turn.role
                m = Message(
                    ticket_id=d.id,
                    seq=i + 1,
                    role=turn.role,
                    author=turn.author,
                    text=turn.text,  # type: ignore[arg-type]
                    ts=turn.ts or time.time(),
                    message_id=turn.message_id,
                    kind=kind,
                )  # type: ignore[arg-type]
                if m.role == "customer":
                    started = time.perf_counter()
                    app.tickets.proactive.decide(history, m, [])
                    elapsed = (time.perf_counter() - started) * 1000
                    times.append(elapsed)
                    if kind == "question":
                        question_times.append(elapsed)
                history.append(m)
            if len(times) >= messages:
                break
        app.close()
        print(
            f"offline decision per customer message: p50 {statistics.median(times):.2f} ms, "
            f"p95 {np.percentile(times, 95):.2f} ms (n={len(times)}); on questions only: "
            f"p50 {statistics.median(question_times):.2f} ms, p95 {np.percentile(question_times, 95):.2f} ms "
            f"(n={len(question_times)})"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def replay_speed(learn: bool) -> None:
    home = Path(tempfile.mkdtemp(prefix="vigil-replay-bench-"))
    try:
        app = build_app(load_settings({"home": str(home)}, environ={}))
        app.knowledge.add_paths([SHARED / "runbooks.jsonl"])
        app.knowledge.load()
        dialogues = read_dialogues(SHARED / "dialogues.jsonl", [])
        started = time.perf_counter()
        report = replay(app.tickets, dialogues, learn=learn)
        wall = time.perf_counter() - started
        learned = app.knowledge.counts().get("qa", 0)
        app.close()
        print(
            f"replay {'with' if learn else 'without'} learning: {report.summary()}; wall {wall:.1f} s; "
            f"qa items learned {learned}"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    decision_time()
    replay_speed(learn=False)
    replay_speed(learn=True)
