"""`vigil eval DIALOGUES.jsonl`: replay in time order into a scratch copy and report what vigil said."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vigil_mcp.cli.options import global_options, settings_of
from vigil_mcp.config import Settings

if TYPE_CHECKING:  # the command imports the services only when it runs
    from vigil_mcp.services.evaluate import Run
    from vigil_mcp.services.replay import Dialogue


def _scratch(settings: Settings, folder: Path) -> Settings:
    """A copy of the store and skills in `folder`: evaluation never changes the real ones.

    A PostgreSQL store is not copied: the evaluation then starts from empty knowledge (plus --knowledge).
    """
    store = folder / "knowledge.duckdb"
    if settings.store_url is None and settings.store.exists():
        shutil.copyfile(settings.store, store)
    skills = folder / "skills"
    if settings.skills_dir.is_dir():
        shutil.copytree(settings.skills_dir, skills, ignore=shutil.ignore_patterns(".git"))
    return replace(settings, home=folder, store=store, store_url=None, skills_dir=skills)


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
@click.option(
    "--knowledge",
    "knowledge_paths",
    multiple=True,
    metavar="[PRODUCT=]PATH",
    help="docs, runbooks or folders to add to the scratch store first (repeatable); PRODUCT=PATH scopes them "
    "to that product's dialogues (a dialogue's product is its product field, else its source)",
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, path_type=Path),
    help="identify labels (JSONL with id, idx, request) to count suggestions on turns labelled not a request",
)
@click.option("--window", type=int, default=500, show_default=True, help="dialogues per window")
@click.option("--limit", type=int, help="evaluate only the first N dialogues (in seq order)")
@global_options
@click.pass_context
def eval_command(
    ctx: click.Context,
    file: Path,
    no_learn: bool,
    report: Path,
    knowledge_paths: tuple[str, ...],
    labels_path: Path | None,
    window: int,
    limit: int | None,
) -> int:
    """Measure coverage and precision on recorded dialogues.

    Adds --knowledge to a scratch copy of the store and skills, replays the dialogues in time order
    with and without learning, and writes report.json, report.md, samples-*.jsonl (every suggestion,
    for reading) and learning_curve.png.
    """
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.replay import read_dialogues
    from vigil_mcp.services.report import write_json, write_markdown, write_plot, write_samples

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
    requests = read_request_labels(labels_path) if labels_path else None
    scoped = [scoped_path(value) for value in knowledge_paths]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="vigil-eval-base-") as base:
        base_settings = _scratch(settings, Path(base))
        if scoped:
            app = build_app(base_settings)
            try:
                for product in dict.fromkeys(p for p, _ in scoped):
                    paths = [path for p, path in scoped if p == product]
                    bar = ProgressBar("adding knowledge" + (f" ({product})" if product else ""))
                    added = app.knowledge.add_paths(paths, progress=bar, product=product)
                    out(f"knowledge{f' ({product})' if product else ''}: {added.summary()}")
                app.knowledge.wait_backfilled()
            finally:
                app.close()
        for learn in [False] if no_learn else [True, False]:
            runs.append(_run(base_settings, dialogues, learn, window, requests))
    report.mkdir(parents=True, exist_ok=True)
    write_json(runs, report / "report.json")
    write_markdown(runs, report / "report.md", str(file))
    write_samples(runs, report)
    try:
        write_plot(runs, report / "learning_curve.png")
    except ImportError:
        err("no plot: matplotlib is not installed (pip install 'mcp-server-vigil[eval]')")
    out(f"report: {report}/report.md")
    return 0


def _run(
    base: Settings, dialogues: list[Dialogue], learn: bool, window: int, requests: dict[tuple[str, str], bool] | None
) -> Run:
    """One replay over a fresh copy of the prepared scratch store."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import out
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.evaluate import evaluate

    with tempfile.TemporaryDirectory(prefix="vigil-eval-") as tmp:
        app = build_app(_scratch(base, Path(tmp)))
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
                requests=requests,
                learn_now=app.worker.drain,
            )
        finally:
            app.close()
    t = result.totals()
    precision = "n/a" if t.precision is None else f"{t.precision:.1%} of {t.judged}"
    labelled = (f", {t.labelled_non_request_interventions} of {t.labelled_non_requests} labelled non-requests"
                if t.labelled_non_requests else "")  # fmt: skip
    out(
        f"{'learn' if learn else 'no learn'}: {t.questions} questions, {t.suggestions} suggestions "
        f"(coverage {t.coverage:.2%}), precision proxy {precision}, {t.non_question_interventions} on "
        f"non-questions{labelled}, {t.knowledge_items} knowledge items, {t.skills} skills, {result.seconds:.1f} s"
    )
    return result


def scoped_path(value: str) -> tuple[str | None, Path]:
    """`PATH` or `PRODUCT=PATH` as (product or None, path); InputError for a missing path or bad name."""
    from vigil_mcp.errors import InputError
    from vigil_mcp.services.product import valid_product

    product: str | None = None
    name, sep, rest = value.partition("=")
    if sep and not Path(value).exists():
        product, value = valid_product(name), rest
    path = Path(value).expanduser()
    if not path.exists():
        raise InputError(f"--knowledge {value}: no such file or folder (give PATH or PRODUCT=PATH)")
    return product, path


def read_request_labels(path: Path) -> dict[tuple[str, str], bool]:
    """(dialogue id, turn idx) -> labelled a request for help, from identify-style label files."""
    import json

    from vigil_mcp.errors import InputError

    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    labels: dict[tuple[str, str], bool] = {}
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                labels[(str(rec["id"]), str(rec["idx"]))] = bool(rec["request"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{file}:{n}: a label needs id, idx and request ({exc})") from exc
    return labels
