"""`vigil eval DIALOGUES.jsonl`: replay in time order into a scratch copy and report what vigil said."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import click

from vigil_mcp.cli.options import global_options, settings_of
from vigil_mcp.config import Settings


def _scratch(settings: Settings, folder: Path) -> Settings:
    """A copy of the store and skills in `folder`: evaluation never changes the real ones."""
    store = folder / "knowledge.duckdb"
    if settings.store.exists():
        shutil.copyfile(settings.store, store)
    skills = folder / "skills"
    if settings.skills_dir.is_dir():
        shutil.copytree(settings.skills_dir, skills, ignore=shutil.ignore_patterns(".git"))
    return replace(settings, home=folder, store=store, skills_dir=skills)


@click.command("eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="DIALOGUES.jsonl")
@click.option("--no-learn", is_flag=True, help="only the run without learning")
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("vigil-eval"),
    show_default=True,
    help="folder for report.json/.md/.png",
)
@click.option("--window", type=int, default=500, show_default=True, help="dialogues per window")
@click.option("--limit", type=int, help="evaluate only the first N dialogues (in seq order)")
@global_options
@click.pass_context
def eval_command(ctx: click.Context, file: Path, no_learn: bool, report: Path, window: int, limit: int | None) -> int:
    """Measure coverage and precision on recorded dialogues.

    Replays in time order into a scratch copy of the store and skills; writes report.json, report.md
    and learning_curve.png.
    """
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.evaluate import Run, evaluate
    from vigil_mcp.services.replay import read_dialogues
    from vigil_mcp.services.report import write_json, write_markdown, write_plot

    settings = settings_of(ctx)
    if not file.is_file():
        raise InputError(f"{file}: no such file; give a dialogues JSONL file")
    if window < 1:
        raise InputError("--window must be at least 1")
    skipped: list[SkippedInput] = []
    dialogues = read_dialogues(file, skipped)
    if limit is not None:
        dialogues = dialogues[: max(0, limit)]
    for s in skipped:
        err(f"skipped {s.path}:{s.line}: {s.reason}")
    runs: list[Run] = []
    for learn in [False] if no_learn else [True, False]:
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
                    window=window,
                    skills_count=lambda a=app: len(a.skills.list()),
                    on_dialogue=lambda n, b=bar: b(n, len(dialogues)),
                    learn_now=app.worker.drain,
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
    report.mkdir(parents=True, exist_ok=True)
    write_json(runs, report / "report.json")
    write_markdown(runs, report / "report.md", str(file))
    try:
        write_plot(runs, report / "learning_curve.png")
    except ImportError:
        err("no plot: matplotlib is not installed (pip install 'mcp-server-vigil[eval]')")
    out(f"report: {report}/report.md")
    return 0
