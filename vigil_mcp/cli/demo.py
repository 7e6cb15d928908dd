"""`vigil demo`: load the bundled runbooks and show what vigil answers."""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `demo` parser."""
    groups.add_parser("demo", parents=[common], help="load the bundled sample runbooks and run a few searches")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Ingest the sample, ask the demo questions through an MCP client session, print the answers."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import out
    from vigil_mcp.demo import ask, load_sample

    app = build_app(settings)
    try:
        report = load_sample(app)
        out(f"bundled runbooks: {report.summary()} -> {settings.store}")
        for query, hits in anyio.run(ask, app):
            out(f"\n? {query}")
            for hit in hits:
                section = f" > {hit['section']}" if hit["section"] else ""
                out(f"  {hit['score']:7.2f}  {hit['title']}{section}  [{hit['id']}]")
        out("\nNext: `vigil serve` (stdio, for Claude Desktop / Claude Code) or `vigil serve --http` (port 8765).")
        out("Add your own runbooks with `vigil knowledge add PATH...`.")
        return 0
    finally:
        app.close()
