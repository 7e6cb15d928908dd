"""`vigil tools list|check|run`: the diagnostic tools from the tools folders."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from vigil_mcp.cli.options import given, global_options, json_option, settings_of, tool_selection_options
from vigil_mcp.config import Settings


def parse_arguments(pairs: list[str]) -> dict[str, str]:
    """`key=value` words as a dict; values stay text (the tool's schema converts them)."""
    from vigil_mcp.errors import InputError

    arguments: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"expected key=value, got {pair!r}")
        arguments[key] = value
    return arguments


@click.group()
def tools() -> None:
    """List, check and run diagnostic tools.

    The built-in diagnostics, and your own tool files in HOME/tools.
    """


def _quiet_registry(ctx: click.Context) -> Settings:
    settings = settings_of(ctx)
    if "log_level" not in given(ctx):  # the problems are printed below; the registry's log lines would repeat them
        logging.getLogger("vigil_mcp.services.tools").setLevel(logging.ERROR)
    return settings


@tools.command("list")
@json_option("the tools")
@tool_selection_options
@global_options
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> int:
    """List the tools, where each comes from, and if it is served.

    A tool that is not served says why (a --tools pattern, --enable-write-tools).
    """
    return _list(_quiet_registry(ctx), as_json=as_json)


@tools.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@tool_selection_options
@global_options
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...]) -> int:
    """Check tool files; exits 1 if any is bad.

    Checks every tools folder, or only the given files or folders (pre-commit friendly).
    """
    return _check(_quiet_registry(ctx), list(paths))


@tools.command()
@click.argument("name")
@click.argument("arguments", nargs=-1, metavar="[KEY=VALUE]...")
@tool_selection_options
@global_options
@click.pass_context
def run(ctx: click.Context, name: str, arguments: tuple[str, ...]) -> int:
    """Run one tool as an MCP client would.

    Example: vigil tools run check_http url=https://example.com
    """
    return _run(_quiet_registry(ctx), name, parse_arguments(list(arguments)))


def origin_of(settings: Settings, source: Path) -> str:
    """Where a tool file lives: "built-in", "yours" (the tools folder) or its folder."""
    folder = source.resolve().parent
    if settings.builtin_tools_dir is not None and folder == settings.builtin_tools_dir.resolve():
        return "built-in"
    if folder == settings.tools_dir.resolve():
        return "yours"
    return str(folder)


def _list(settings: Settings, *, as_json: bool) -> int:
    from vigil_mcp.app import build_tools
    from vigil_mcp.cli import err, out

    registry = build_tools(settings)
    rows: list[dict[str, Any]] = []
    for tool in registry.list():
        hidden = registry.selection.why_hidden(tool)
        rows.append(
            {
                "name": tool.name,
                "title": tool.hints.title,
                "served": hidden is None,
                "hidden_because": hidden,
                "summary": tool.summary,
                "origin": origin_of(settings, tool.source),
                "source": str(tool.source),
                "replaces": [str(t.source) for t, _ in registry.shadowed() if t.name == tool.name],
                "read_only": tool.hints.read_only,
                "destructive": tool.hints.destructive,
                "open_world": tool.hints.open_world,
                "input_schema": tool.input_schema(),
            }
        )
    if as_json:
        out(json.dumps(rows, indent=2))
    else:
        width = max((len(r["name"]) for r in rows), default=4)
        for row in rows:
            state = "served" if row["served"] else "hidden"
            flags = "" if row["read_only"] else " [write]"
            out(f"{row['name']:<{width}}  {state}  {row['origin']:<8}  {row['summary']}{flags}")
            for replaced in row["replaces"]:
                out(f"{'':<{width}}                    from {row['source']}, replacing {replaced}")
            if not row["served"]:
                out(f"{'':<{width}}                    not served: {row['hidden_because']}")
        if not rows:
            out(f"no tools found in {', '.join(map(str, registry.folders))}")
    for problem in registry.problems():
        err(f"bad tool file: {problem}")
    return 0


def _check(settings: Settings, paths: list[Path]) -> int:
    from vigil_mcp.app import build_tools
    from vigil_mcp.cli import err, out
    from vigil_mcp.services.tools import load_file, tool_files
    from vigil_mcp.services.tools.loader import is_tool_file
    from vigil_mcp.services.tools.model import ToolProblem

    if not paths:
        registry = build_tools(settings)
        problems = registry.problems()
        for folder in registry.folders:
            for path in tool_files(folder):
                if not any(p.file == path for p in problems):
                    names = [t.name for t in registry.list() if t.source == path]
                    out(f"ok   {path} ({', '.join(names) or 'no tools'})")
    else:
        files = [f for p in paths for f in (tool_files(p) if p.is_dir() else [p])]
        problems: list[ToolProblem] = []
        owners: dict[str, Path] = {}
        for path in files:
            if not is_tool_file(path):
                out(f"skip {path} (not a tool file: helpers start with _, tools end in .py or .toml)")
                continue
            loaded = load_file(path.resolve(), {})
            found = list(loaded.problems)
            for tool in loaded.tools:
                if tool.name in owners:
                    found.append(
                        ToolProblem(path, tool.name, f"the name is also used by {owners[tool.name]}.", "rename one.")
                    )
                owners.setdefault(tool.name, path)
            problems.extend(found)
            if not found:
                out(f"ok   {path} ({', '.join(t.name for t in loaded.tools) or 'no tools'})")
    for problem in problems:
        err(f"BAD  {problem}")
    return 1 if problems else 0


def _run(settings: Settings, name: str, arguments: dict[str, str]) -> int:
    import anyio
    import pydantic_core

    from vigil_mcp.app import build_tools
    from vigil_mcp.cli import err, out
    from vigil_mcp.names import current_name
    from vigil_mcp.services.tools import fit

    registry = build_tools(settings)
    value = anyio.run(registry.call, current_name(name), arguments)
    data = pydantic_core.to_jsonable_python(value, fallback=str)
    fitted = fit(data, registry.output_chars)
    if fitted is None:
        out(json.dumps(data, indent=2, ensure_ascii=False))
        err(f"note: this output is over the {registry.output_chars:,}-character cap a client would get")
        return 0
    out(json.dumps(fitted.data, indent=2, ensure_ascii=False))
    if fitted.note:
        err(fitted.note)
    return 0
