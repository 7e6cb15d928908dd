"""`vigil eval DIALOGUES.jsonl`: replay in time order into a scratch copy and report what vigil said."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `eval` parser."""
    ev = groups.add_parser("eval", parents=[common], help="measure coverage and precision on recorded dialogues")
    ev.add_argument("file", type=Path, metavar="DIALOGUES.jsonl")
    ev.add_argument("--no-learn", action="store_true", help="only the run without learning")
    ev.add_argument("--report", type=Path, default=Path("vigil-eval"), help="folder for report.json/.md/.png")
    ev.add_argument("--window", type=int, default=500, help="dialogues per window (default 500)")
    ev.add_argument("--limit", type=int, help="evaluate only the first N dialogues (in seq order)")


def _scratch(settings: Settings, folder: Path) -> Settings:
    """A copy of the store and skills in `folder`: evaluation never changes the real ones."""
    store = folder / "knowledge.duckdb"
    if settings.store.exists():
        shutil.copyfile(settings.store, store)
    skills = folder / "skills"
    if settings.skills_dir.is_dir():
        shutil.copytree(settings.skills_dir, skills, ignore=shutil.ignore_patterns(".git"))
    return replace(settings, home=folder, store=store, skills_dir=skills)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run with and without learning, write the report, print the totals."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.evaluate import Run, evaluate
    from vigil_mcp.services.replay import read_dialogues
    from vigil_mcp.services.report import write_json, write_markdown, write_plot

    if not args.file.is_file():
        raise InputError(f"{args.file}: no such file; give a dialogues JSONL file")
    if args.window < 1:
        raise InputError("--window must be at least 1")
    skipped: list[SkippedInput] = []
    dialogues = read_dialogues(args.file, skipped)
    if args.limit is not None:
        dialogues = dialogues[: max(0, args.limit)]
    for s in skipped:
        err(f"skipped {s.path}:{s.line}: {s.reason}")
    runs: list[Run] = []
    for learn in [False] if args.no_learn else [True, False]:
        with tempfile.TemporaryDirectory(prefix="vigil-eval-") as tmp:
            app = build_app(_scratch(settings, Path(tmp)))
            try:
                app.knowledge.load()
                bar = ProgressBar("evaluating" + (" (learn)" if learn else ""))
                result = evaluate(
                    app.tickets,
                    app.knowledge,
                    dialogues,
                    learn=learn,
                    window=args.window,
                    skills_count=lambda a=app: len(a.skills.list()),
                    on_dialogue=lambda n, b=bar: b(n, len(dialogues)),
                )
            finally:
                app.close()
        runs.append(result)
        t = result.totals()
        precision = "n/a" if t.precision is None else f"{t.precision:.1%} of {t.judged}"
        out(
            f"{'learn' if learn else 'no learn'}: {t.questions} questions, {t.suggestions} suggestions "
            f"(coverage {t.coverage:.2%}), precision proxy {precision}, {t.non_question_interventions} on "
            f"non-questions, {t.knowledge_items} knowledge items, {t.skills} skills, {result.seconds:.1f} s"
        )
    args.report.mkdir(parents=True, exist_ok=True)
    write_json(runs, args.report / "report.json")
    write_markdown(runs, args.report / "report.md", str(args.file))
    try:
        write_plot(runs, args.report / "learning_curve.png")
    except ImportError:
        err("no plot: matplotlib is not installed (pip install 'vigil-mcp[eval]')")
    out(f"report: {args.report}/report.md")
    return 0
