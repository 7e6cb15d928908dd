"""`vigil knowledge add|search|get|stats`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `knowledge` parsers."""
    knowledge = groups.add_parser("knowledge", help="add to and search the knowledge base")
    actions = knowledge.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="ingest Markdown files, folders and runbook JSONL")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--kind", default="runbook", help="kind of the added items (default runbook)")
    search = actions.add_parser("search", parents=[common], help="BM25 search, best hits first")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--kind", help="only items of this kind")
    search.add_argument("--json", action="store_true", help="print the result as JSON")
    get = actions.add_parser("get", parents=[common], help="print one item by id")
    get.add_argument("id")
    get.add_argument("--json", action="store_true", help="print the item as JSON")
    actions.add_parser("stats", parents=[common], help="count stored items by kind")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Do one knowledge action."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.server.knowledge import render_item

    app = build_app(settings)
    try:
        service = app.knowledge
        if args.action == "add":
            report = service.add_paths(args.paths, kind=args.kind, progress=ProgressBar("ingesting"))
            for skipped in report.skipped:
                where = f"{skipped.path}:{skipped.line}" if skipped.line else skipped.path
                err(f"skipped {where}: {skipped.reason}")
            out(report.summary() + f" -> {settings.store}")
            return 0 if report.documents or not report.skipped else 1
        if args.action == "search":
            result = service.search(args.query, args.limit, args.kind)
            if args.json:
                out(result.model_dump_json(indent=2))
            elif not result.hits:
                out(f"no hits for {args.query!r} among {result.total_items} items")
            for rank, hit in enumerate([] if args.json else result.hits, 1):
                section = f" > {hit.section}" if hit.section else ""
                out(f"{rank:2}. {hit.score:8.3f}  {hit.title}{section}  [{hit.id}, {hit.kind}]")
                out(f"    {hit.snippet}")
                out(f"    source: {hit.source}")
            return 0
        if args.action == "get":
            item = service.get(args.id)
            out(item.model_dump_json(indent=2) if args.json else render_item(item))
            return 0
        counts: dict[str, Any] = dict(sorted(service.counts().items()))
        out(json.dumps({"store": str(settings.store), "items": counts, "total": sum(counts.values())}))
        return 0
    finally:
        app.close()
