"""The `vigil` command: the only place that prints for humans or exits."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vigil_mcp import __version__
from vigil_mcp.config import Settings, load_settings
from vigil_mcp.errors import VigilError
from vigil_mcp.logs import setup_logging

log = logging.getLogger("vigil")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil", description="vigil-mcp: an MCP server that helps on-call analysts without being asked."
    )
    parser.add_argument("--version", action="version", version=f"vigil-mcp {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="folder holding knowledge.duckdb, tools/, skills/ (default: $VIGIL_HOME or .)")
    common.add_argument("--store", help="the DuckDB store file (default: HOME/knowledge.duckdb)")
    common.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    common.add_argument("--log-format", choices=["text", "json"], help="log lines on stderr as text or JSON")
    groups = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = groups.add_parser("serve", parents=[common], help="run the MCP server (stdio by default)")
    serve.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8765)")

    knowledge = groups.add_parser("knowledge", help="add to and search the knowledge base")
    kgroups = knowledge.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = kgroups.add_parser("add", parents=[common], help="ingest Markdown files, folders and runbook JSONL")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--kind", default="runbook", help="kind of the added items (default runbook)")
    search = kgroups.add_parser("search", parents=[common], help="BM25 search, best hits first")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--kind", help="only items of this kind")
    search.add_argument("--json", action="store_true", help="print the result as JSON")
    get = kgroups.add_parser("get", parents=[common], help="print one item by id")
    get.add_argument("id")
    get.add_argument("--json", action="store_true", help="print the item as JSON")
    kgroups.add_parser("stats", parents=[common], help="count stored items by kind")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        {
            "home": args.home,
            "store": args.store,
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
            "log_level": args.log_level,
            "log_format": args.log_format,
        }
    )


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from vigil_mcp.runner import serve_http, serve_stdio

    if args.http:
        serve_http(settings)
    else:
        serve_stdio(settings)
    return 0


def _cmd_knowledge(args: argparse.Namespace, settings: Settings) -> int:
    from vigil_mcp.app import build_app
    from vigil_mcp.progress import ProgressBar

    app = build_app(settings)
    try:
        service = app.knowledge
        if args.action == "add":
            report = service.add_paths(args.paths, kind=args.kind, progress=ProgressBar("ingesting"))
            for skipped in report.skipped:
                where = f"{skipped.path}:{skipped.line}" if skipped.line else skipped.path
                sys.stderr.write(f"skipped {where}: {skipped.reason}\n")
            _out(report.summary() + f" -> {settings.store}")
            return 0 if report.documents or not report.skipped else 1
        if args.action == "search":
            result = service.search(args.query, args.limit, args.kind)
            if args.json:
                _out(result.model_dump_json(indent=2))
                return 0
            if not result.hits:
                _out(f"no hits for {args.query!r} among {result.total_items} items")
                return 0
            for rank, hit in enumerate(result.hits, 1):
                section = f" > {hit.section}" if hit.section else ""
                _out(f"{rank:2}. {hit.score:8.3f}  {hit.title}{section}  [{hit.id}, {hit.kind}]")
                _out(f"    {hit.snippet}")
                _out(f"    source: {hit.source}")
            return 0
        if args.action == "get":
            item = service.get(args.id)
            if args.json:
                _out(item.model_dump_json(indent=2))
            else:
                from vigil_mcp.server import render_item

                _out(render_item(item))
            return 0
        if args.action == "stats":
            counts: dict[str, Any] = dict(sorted(service.counts().items()))
            _out(json.dumps({"store": str(settings.store), "items": counts, "total": sum(counts.values())}))
            return 0
    finally:
        app.close()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vigil` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        # Commands other than serve stay quiet unless asked: their output is the answer.
        quiet = args.command != "serve" and args.log_level is None
        setup_logging("WARNING" if quiet else settings.log_level, settings.log_format)
        if args.command == "serve":
            return _cmd_serve(args, settings)
        if args.command == "knowledge":
            return _cmd_knowledge(args, settings)
    except VigilError as exc:
        sys.stderr.write(f"vigil: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 2
