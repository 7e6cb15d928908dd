"""`vigil demo`: replay bundled real dialogues over bundled runbooks and show what vigil does."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import click

from vigil_mcp.cli.options import global_options, settings_of
from vigil_mcp.config import Settings

SKILL_LINES_SHOWN = 60  # of the first learned skill draft: its front matter, when it applies, diagnosis and fix


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="work in DIR and keep it (default: a temporary folder, removed after)",
)
@global_options
@click.pass_context
def demo(ctx: click.Context, keep: Path | None) -> int:
    """Replay real dialogues: see vigil suggest, keep quiet, learn.

    Loads the bundled runbooks and product docs, replays real #stripe and #ubuntu dialogues with
    learning, then searches over MCP.
    """
    from vigil_mcp.cli import out

    settings = settings_of(ctx)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return _demo(_in(settings, keep.resolve()), out)
    with tempfile.TemporaryDirectory(prefix="vigil-demo-") as tmp:
        return _demo(_in(settings, Path(tmp)), out)


def _in(settings: Settings, folder: Path) -> Settings:
    return replace(
        settings,
        home=folder,
        store=folder / "knowledge.duckdb",
        store_url=None,  # the demo never writes into a configured database
        skills_dir=folder / "skills",
        tools_dir=folder / "tools",
    )


def _demo(settings: Settings, out: Any) -> int:
    from vigil_mcp.app import build_app
    from vigil_mcp.demo import ask, load_sample, load_sample_docs, replay_sample

    settings.skills_dir.mkdir(parents=True, exist_ok=True)
    app = build_app(settings)
    try:
        report = load_sample(app)
        out(f"knowledge: bundled runbooks, {report.summary()}")
        docs = load_sample_docs(app)
        out(f"knowledge: bundled product docs (Stripe API, Debian excerpts), {docs.summary()}")
        app.knowledge.wait_backfilled()
        out(f"replaying bundled dialogues (real #stripe and #ubuntu support conversations) into {settings.home}")
        result = replay_sample(app, out)
        out(
            f"\n{result.dialogues} dialogues, {result.questions} customer requests for help: vigil suggested "
            f"{result.suggestions} answer(s) and learned {result.learned} Q&A items from resolved cases."
        )
        out(f"it kept quiet on {sum(result.silences.values())} customer turns:")
        for kind, count in result.silences.most_common():
            out(f"  {count:4}  {kind}")
        if result.skill_files:
            out("skill files written (keep them with --keep DIR):")
            for path in dict.fromkeys(result.skill_files):
                out(f"  {path}")
            first = Path(result.skill_files[0])
            if first.is_file():
                out(f"\n--- {first.parent.name}/SKILL.md (a draft for a maintainer to review) ---")
                lines = first.read_text(encoding="utf-8").splitlines()
                for line in lines[:SKILL_LINES_SHOWN]:
                    out(f"  {line}")
                if len(lines) > SKILL_LINES_SHOWN:
                    out(f"  ... ({len(lines) - SKILL_LINES_SHOWN} more lines in the file)")
        for query, hits in anyio.run(ask, app):
            out(f"\nsearch_knowledge over MCP: {query!r}")
            for hit in hits:
                section = f" > {hit['section']}" if hit["section"] else ""
                out(f"  {hit['score']:7.2f}  {hit['title']}{section}  [{hit['id']}]")
        out("\nNext: `vigil serve` (stdio, for Claude Desktop / Claude Code) or `vigil serve --http` (port 8765).")
        return 0
    finally:
        app.close()
