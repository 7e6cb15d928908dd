"""The `vigil` command: the only place that prints for humans or exits.

Each noun group lives in its own module with `register(groups, common)` adding its parser and
`run(args, settings)` doing the work; this module wires them and maps VigilError to exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from vigil_mcp import __version__
from vigil_mcp.cli import demo, doctor, eval, knowledge, replay, serve, skills, tools
from vigil_mcp.config import Settings, load_settings
from vigil_mcp.errors import VigilError
from vigil_mcp.logs import setup_logging

# command name -> module with register() and run(); add new noun groups here.
COMMANDS: dict[str, ModuleType] = {
    "serve": serve,
    "knowledge": knowledge,
    "demo": demo,
    "tools": tools,
    "skills": skills,
    "replay": replay,
    "doctor": doctor,
    "eval": eval,
}

Runner = Callable[[argparse.Namespace, Settings], int]


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
    for module in COMMANDS.values():
        module.register(groups, common)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    flags = {
        "home": args.home,
        "store": args.store,
        "log_level": args.log_level,
        "log_format": args.log_format,
    }
    for key in (
        "host",
        "port",
        "tools_dir",
        "skills_dir",
        "tools",
        "exclude_tools",
        "enable_write_tools",
        "prometheus_url",
        "engine",
        "anthropic_model",
        "skills_branch",
        "allowed_hosts",
        "allowed_origins",
        "insecure_no_auth",
    ):
        flags[key] = getattr(args, key, None)
    return load_settings(flags)


def out(text: str) -> None:
    """Print one line of the command's answer on stdout."""
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    """Print one line for the human on stderr."""
    sys.stderr.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vigil` console script."""
    args = _parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _settings(args)
        # Commands other than serve stay quiet unless asked: their output is the answer.
        quiet = args.command != "serve" and args.log_level is None
        setup_logging("WARNING" if quiet else settings.log_level, settings.log_format)
        run: Runner = COMMANDS[args.command].run
        return run(args, settings)
    except VigilError as exc:
        if settings is None and args.command == "doctor":  # a broken configuration is doctor's finding
            return doctor.run_unconfigured(exc)
        err(f"vigil: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
