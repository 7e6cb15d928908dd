"""`vigil replay FILE.jsonl`: feed recorded dialogues through vigil, in time order."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `replay` parser."""
    replay = groups.add_parser("replay", parents=[common], help="replay dialogues JSONL through the proactive engine")
    replay.add_argument("file", type=Path, metavar="FILE.jsonl")
    replay.add_argument("--out", type=Path, help="write one JSON line per suggestion here")
    replay.add_argument("--learn", action="store_true", help="resolve each dialogue the file marks resolved, in order")
    replay.add_argument("--limit", type=int, help="replay only the first N dialogues (in seq order)")
    replay.add_argument("--engine", choices=["offline", "anthropic"], help="drafting engine (default offline)")
    replay.add_argument("--skills-branch", help="with --learn: commit learned skills to this review branch")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Replay and print a summary line; skipped lines go to stderr."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.replay import ReplayedSuggestion, read_dialogues, replay

    if not args.file.is_file():
        raise InputError(f"{args.file}: no such file; give a dialogues JSONL file")
    skipped: list[SkippedInput] = []
    dialogues = read_dialogues(args.file, skipped)
    if args.limit is not None:
        dialogues = dialogues[: max(0, args.limit)]
    app = build_app(settings)
    sink = args.out.open("w", encoding="utf-8") if args.out else None
    try:
        app.knowledge.load()
        bar = ProgressBar("replaying")

        def write(item: ReplayedSuggestion) -> None:
            if sink is not None:
                sink.write(item.to_json() + "\n")

        report = replay(
            app.tickets, dialogues, learn=args.learn, on_suggestion=write,
            on_dialogue=lambda n: bar(n, len(dialogues)),
        )  # fmt: skip
        report.skipped = skipped + report.skipped
        for s in report.skipped:
            where = f"{s.path}:{s.line}" if s.line else s.path
            err(f"skipped {where}: {s.reason}")
        out(report.summary() + (f" -> {args.out}" if args.out else ""))
        return 0
    finally:
        if sink is not None:
            sink.close()
        app.close()
