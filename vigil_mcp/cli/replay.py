"""`vigil replay FILE.jsonl`: feed recorded dialogues through vigil, in time order."""

from __future__ import annotations

from pathlib import Path

import click

from vigil_mcp.cli.options import global_options, setting_option, settings_of


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.jsonl")
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="write one JSON line per suggestion here"
)
@click.option("--learn", is_flag=True, help="resolve each dialogue the file marks resolved, in order")
@click.option("--limit", type=int, help="replay only the first N dialogues (in seq order)")
@setting_option("--engine", type=click.Choice(["offline", "anthropic"]), help="drafting engine (default offline)")
@setting_option("--skills-branch", metavar="BRANCH", help="with --learn: commit learned skills to this review branch")
@global_options
@click.pass_context
def replay(ctx: click.Context, file: Path, out_file: Path | None, learn: bool, limit: int | None) -> int:
    """Replay recorded dialogues through vigil, in time order.

    The file is JSONL in the format of dialogues.jsonl, replayed in seq order.

    Prints a summary line; skipped lines go to stderr.
    """
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.replay import ReplayedSuggestion, read_dialogues, replay

    if not file.is_file():
        raise InputError(f"{file}: no such file; give a dialogues JSONL file")
    skipped: list[SkippedInput] = []
    dialogues = read_dialogues(file, skipped)
    if limit is not None:
        dialogues = dialogues[: max(0, limit)]
    app = build_app(settings_of(ctx))
    sink = out_file.open("w", encoding="utf-8") if out_file else None
    try:
        app.knowledge.load()
        bar = ProgressBar("replaying")

        def write(item: ReplayedSuggestion) -> None:
            if sink is not None:
                sink.write(item.to_json() + "\n")

        report = replay(
            app.tickets, dialogues, learn=learn, on_suggestion=write,
            on_dialogue=lambda n: bar(n, len(dialogues)), learn_now=app.worker.drain,
        )  # fmt: skip
        report.skipped = skipped + report.skipped
        for s in report.skipped:
            where = f"{s.path}:{s.line}" if s.line else s.path
            err(f"skipped {where}: {s.reason}")
        out(report.summary() + (f" -> {out_file}" if out_file else ""))
        return 0
    finally:
        if sink is not None:
            sink.close()
        app.close()
