"""Learning benchmark (run by hand; prints medians): resolved cases learned per second, and the steps' times.

    .venv/bin/python bench/learn_bench.py                 # skills folder in a temp git repo, commits on main
    .venv/bin/python bench/learn_bench.py --branch vigil/learned
    .venv/bin/python bench/learn_bench.py --no-git        # plain folder, no commits
    .venv/bin/python bench/learn_bench.py --lesson-floor 0.7 --keep DIR   # another keep-model floor

Replays all of ../shared/data/dialogues.jsonl in time order over the real runbooks with learning on
(`vigil replay --learn`): every dialogue the file marks resolved is resolved right after it, which
queues its learning job in the store with the dialogue, and the worker learns it before the next
dialogue (hostile-content check, offline extraction, the lesson row, its Q&A item, the skill change,
the job's result). Prints the learning throughput (resolved cases per second of worker time, wall and
CPU: on a shared machine the CPU figure is the one to compare; target >= 50/s), per case p50/p90/max
of extraction, skill decision and writing and the whole job, the replay's wall time, why cases taught
nothing, and the skills written with their tickets.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from vigil_mcp.app import build_app
from vigil_mcp.config import load_settings
from vigil_mcp.services.learn.learner import Learned
from vigil_mcp.services.replay import read_dialogues, replay

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def _ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):.2f} ms, p90 {np.percentile(ms, 90):.2f} ms, max {max(ms):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-git", action="store_true", help="a plain skills folder, no commits")
    parser.add_argument("--branch", help="commit skills to this review branch")
    parser.add_argument("--no-runbooks", action="store_true", help="learn over an empty knowledge base")
    parser.add_argument("--lesson-floor", type=float, help="the keep-model floor a lesson needs (default: fitted)")
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it (to read the skills written)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="vigil-learn-bench-"))
    root.mkdir(parents=True, exist_ok=bool(args.keep is None))
    try:
        repo = root / "ops"
        repo.mkdir()
        if not args.no_git:
            for cmd in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "start"]):
                subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *cmd], cwd=repo, check=True)
        overrides: dict[str, object] = {"home": str(root), "skills_dir": str(repo / "skills")}
        if args.lesson_floor is not None:  # VIGIL_* variables do not reach the bench (it passes its own environ)
            overrides["lesson_floor"] = args.lesson_floor
        env = {"VIGIL_SKILLS_BRANCH": args.branch} if args.branch else {}
        app = build_app(load_settings(overrides, environ=env))
        if not args.no_runbooks:
            app.knowledge.add_paths([SHARED / "runbooks.jsonl"])
        app.knowledge.load()
        dialogues = read_dialogues(SHARED / "dialogues.jsonl", [])
        jobs: list[float] = []
        cpu: list[float] = []
        history: list[Learned] = []

        def learn_now() -> None:
            started, used = time.perf_counter(), time.process_time()
            while app.worker.run_once() is not None:
                jobs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
                if app.worker.last is not None:
                    history.append(app.worker.last)
                started, used = time.perf_counter(), time.process_time()

        started = time.perf_counter()
        report = replay(app.tickets, dialogues, learn=True, learn_now=learn_now)
        wall = time.perf_counter() - started
        learned = [h for h in history if h.lesson is not None]
        print(f"replay with learning: {report.summary()}; wall {wall:.1f} s")
        print(f"learning throughput: {len(jobs) / sum(jobs):.0f} resolved cases/s of worker wall time "
              f"({len(jobs)} jobs, {sum(jobs):.1f} s), {len(cpu) / sum(cpu):.0f}/s of its CPU time ({sum(cpu):.1f} s); "
              f"whole job per case: {_ms(jobs)}")  # fmt: skip
        print(f"resolved cases: {len(history)}, with a lesson: {len(learned)}")
        reasons = Counter(h.result.reason.split(" (")[0] for h in history if h.lesson is None)
        for reason, count in reasons.most_common():
            print(f"  {count:4} {reason}")
        print(f"extraction per resolved case:           {_ms([h.extract_seconds for h in history])}")
        print(f"skill decision and writing per lesson:  {_ms([h.skill_seconds for h in learned])}")
        print(f"extraction + skill writing per case:    {_ms([h.extract_seconds + h.skill_seconds for h in history])}")
        print(f"learn step (lesson, Q&A, skill):        {_ms([h.seconds for h in history])}")
        kinds = [h.skill.kind for h in learned]
        print(f"skill changes: {kinds.count('new-draft')} new drafts, {kinds.count('new-version')} new versions, "
              f"{kinds.count('none')} none")  # fmt: skip
        for h in learned:
            if h.skill.kind != "none":
                print(f"  {h.skill.kind:11} {h.skill.name} v{h.skill.version} {', '.join(h.skill.tickets)}")
        if not args.no_git:
            ref = args.branch or "main"
            count = subprocess.run(["git", "rev-list", "--count", ref], cwd=repo, capture_output=True, text=True)
            print(f"commits on {ref}: {count.stdout.strip() or '0'} (one is the start)")
        app.close()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
