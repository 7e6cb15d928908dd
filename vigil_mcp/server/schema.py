"""Flatten tool output schemas so clients validate each result quickly.

Pydantic puts nested models under `$defs` and points at them with `$ref`; a client that checks
every result against the schema (the SDK's does) pays a reference lookup per list item. The
inlined schema says exactly the same thing.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from mcp.server.mcpserver import MCPServer

from vigil_mcp.services.tools.build import title_from_name


def inline_refs(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """`schema` with every local `#/$defs/...` reference replaced by its definition."""
    if isinstance(schema, dict):
        node = cast(dict[str, Any], schema)
        if defs is None:
            defs = cast(dict[str, Any], node.get("$defs", {}))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            return inline_refs(defs[ref[8:]], defs)
        return {k: inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inline_refs(v, defs) for v in cast(list[Any], schema)]
    return schema


def flatten_output_schema(mcp: MCPServer[Any], name: str) -> None:
    """Inline the `$defs` of one registered tool's output schema (recursive models are left alone)."""
    tool = mcp._tool_manager.get_tool(name)  # pyright: ignore[reportPrivateUsage]
    if tool is None or tool.fn_metadata.output_schema is None:
        return
    schema = tool.fn_metadata.output_schema
    if "$defs" not in schema:
        return
    try:
        tool.fn_metadata.output_schema = inline_refs(schema)
    except RecursionError:  # a self-referencing model cannot be inlined; keep its $defs
        return


def tidy_tools(mcp: MCPServer[Any]) -> None:
    """Give every registered tool a clean description (no docstring indentation: clients show it verbatim)
    and a title (from its annotations, else from its name)."""
    for tool in mcp._tool_manager.list_tools():  # pyright: ignore[reportPrivateUsage]
        tool.description = inspect.cleandoc(tool.description or "")
        if not tool.title:
            tool.title = (tool.annotations.title if tool.annotations else None) or title_from_name(tool.name)
