"""Flatten tool output schemas so clients validate each result quickly.

Pydantic puts nested models under `$defs` and points at them with `$ref`; a client that checks
every result against the schema (the SDK's does) pays a reference lookup per list item. The
inlined schema says exactly the same thing.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer


def inline_refs(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """`schema` with every local `#/$defs/...` reference replaced by its definition."""
    if defs is None and isinstance(schema, dict):
        defs = schema.get("$defs", {})  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if isinstance(schema, dict):
        ref = schema.get("$ref")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(ref, str) and ref.startswith("#/$defs/") and defs and ref[8:] in defs:
            return inline_refs(defs[ref[8:]], defs)
        return {k: inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(schema, list):
        return [inline_refs(v, defs) for v in schema]  # pyright: ignore[reportUnknownVariableType]
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
