"""`vigil serve`: run the MCP server on stdio or Streamable HTTP."""

from __future__ import annotations

import click

from vigil_mcp.cli.options import flag_option, global_options, setting_option, settings_of, tool_selection_options


@click.command()
@click.option("--http", is_flag=True, help="serve Streamable HTTP at /mcp (with /healthz, /metrics, the webhook)")
@setting_option("--host", help="HTTP bind address (default 127.0.0.1)")
@setting_option("--port", type=int, help="HTTP port (default 8765)")
@tool_selection_options
@setting_option(
    "--engine",
    type=click.Choice(["offline", "anthropic"]),
    help="drafting engine (default offline; anthropic needs a key)",
)
@setting_option("--anthropic-model", metavar="MODEL", help="Claude model for --engine anthropic")
@setting_option(
    "--skills-branch", metavar="BRANCH", help="commit learned skill versions to this branch (e.g. vigil/learned)"
)
@setting_option("--allowed-hosts", metavar="HOSTS", help="extra Host header values to accept (comma-separated)")
@setting_option(
    "--allowed-origins", metavar="ORIGINS", help="extra Origin values to accept (e.g. https://vigil.example.com)"
)
@flag_option(
    "--insecure-no-auth",
    help="serve a non-loopback address without bearer tokens (only behind a proxy that authenticates)",
)
@global_options
@click.pass_context
def serve(ctx: click.Context, http: bool) -> int:
    """Run the MCP server (stdio, or --http).

    stdio is for desktop and IDE clients; --http serves Streamable HTTP at /mcp.
    On stdio, stdout is the MCP wire and logs go to stderr.
    """
    settings = settings_of(ctx, serving=True)
    if http:
        from vigil_mcp.transport.http import serve_http

        serve_http(settings)
    else:
        from vigil_mcp.transport.stdio import serve_stdio

        serve_stdio(settings)
    return 0
