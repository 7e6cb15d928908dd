"""`vigil serve`: run the MCP server on stdio or Streamable HTTP."""

from __future__ import annotations

import argparse
from typing import Any

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `serve` parser."""
    serve = groups.add_parser("serve", parents=[common], help="run the MCP server (stdio by default)")
    serve.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp (and /healthz, /metrics)")
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8765)")
    serve.add_argument("--tools-dir", help="folder of your diagnostic tool files (default: HOME/tools)")
    serve.add_argument("--tools", help='serve only diagnostic tools matching these patterns ("http_*,dns_lookup")')
    serve.add_argument("--exclude-tools", help="never serve diagnostic tools matching these patterns")
    serve.add_argument(
        "--enable-write-tools", action="store_true", default=None, help="also serve tools that are not read-only"
    )
    serve.add_argument("--prometheus-url", help="Prometheus base URL for prometheus_query")
    serve.add_argument(
        "--engine", choices=["offline", "anthropic"], help="drafting engine (default offline; anthropic needs a key)"
    )
    serve.add_argument("--anthropic-model", help="Claude model for --engine anthropic")
    serve.add_argument("--skills-branch", help="commit learned skill versions to this branch (e.g. vigil/learned)")
    serve.add_argument(
        "--allowed-hosts", help="extra Host header values to accept (comma-separated, e.g. vigil.example.com)"
    )
    serve.add_argument("--allowed-origins", help="extra Origin values to accept (e.g. https://vigil.example.com)")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=None,
        help="serve a non-loopback address without bearer tokens (only behind a proxy that authenticates)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until the client goes away or the process is interrupted."""
    if args.http:
        from vigil_mcp.transport.http import serve_http

        serve_http(settings)
    else:
        from vigil_mcp.transport.stdio import serve_stdio

        serve_stdio(settings)
    return 0
