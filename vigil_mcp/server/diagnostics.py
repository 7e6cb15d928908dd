"""Serve the diagnostic tool registry as MCP tools, kept in step with the tools folders while the server runs.

Each served tool is registered with the SDK under its own name, schema and annotations. Bad
arguments are refused as protocol errors before the tool runs; a diagnostic that fails becomes
an `is_error` result with the sentence the tool gave; an answer over the size cap is truncated
with a note. Saving, adding or deleting a file in a tools folder updates the live list and tells
connected clients on both protocol eras.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools.base import Tool
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp_types import INVALID_PARAMS
from pydantic import ValidationError
from watchfiles import Change

from vigil_mcp.app import App
from vigil_mcp.errors import InputError, NotFoundError, VigilError
from vigil_mcp.server.background import Background
from vigil_mcp.server.schema import flatten_output_schema
from vigil_mcp.services.redact import redact
from vigil_mcp.services.tools import DiagnosticTool, ToolRegistry, fit
from vigil_mcp.services.watch import watch_paths

log = logging.getLogger(__name__)

NOTE_ROOM = 600  # characters kept free for the truncation note (it is about 350)


TICKET_META = ("vigil/ticket_id", "ticket_id")  # _meta keys a client names the ticket a diagnostic is for with


def ticket_of(meta: Any) -> str | None:
    """The ticket a tools/call's _meta says the call is for, or None."""
    if not isinstance(meta, dict):
        return None
    for key in TICKET_META:
        value = cast(dict[str, Any], meta).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def annotations_for(tool: DiagnosticTool) -> ToolAnnotations:
    """The MCP annotations of a diagnostic, from the hints it declared (read-only by default)."""
    hints = tool.hints
    return ToolAnnotations(
        title=hints.title,
        read_only_hint=hints.read_only,
        destructive_hint=hints.destructive,
        idempotent_hint=hints.idempotent,
        open_world_hint=hints.open_world,
    )


def _text_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


@dataclass(frozen=True, slots=True)
class _Entry:
    tool: DiagnosticTool
    sdk: Tool
    """The SDK's view of the handler: converts return values exactly as the server will check them."""


class DiagnosticTools:
    """The diagnostics currently registered on one MCPServer, and the middleware guarding their arguments."""

    def __init__(self, mcp: MCPServer[Any], registry: ToolRegistry) -> None:
        self._mcp = mcp
        self._registry = registry
        self._entries: dict[str, _Entry] = {}
        self._synced = False
        # Told of each diagnostic called for a ticket (the call's _meta names it): learning reads them.
        self.on_call: Callable[[str, str, dict[str, Any], bool], Awaitable[None]] | None = None

    def ensure_synced(self) -> None:
        """Register the diagnostics once, after every other module has registered vigil's own tools."""
        if not self._synced:
            self.sync()

    def sync(self) -> bool:
        """Make the server's tools match the registry's served tools; True when anything changed."""
        self._synced = True
        wanted = {tool.name: tool for tool in self._registry.served()}
        changed = False
        for name, entry in list(self._entries.items()):
            if wanted.get(name) is not entry.tool:
                self._mcp.remove_tool(name)
                del self._entries[name]
                changed = True
        for name, tool in wanted.items():
            if name in self._entries:
                continue
            # The SDK keeps the first of two same-named tools silently; never shadow vigil's own.
            if self._taken(name):
                log.warning("diagnostic %s (%s) not served: a built-in vigil tool has that name", name, tool.source)
                continue
            try:
                self._entries[name] = self._register(tool)
            except Exception as exc:  # the SDK is stricter than our checks in a few corners
                log.warning("diagnostic %s (%s) not served: the MCP SDK refused it: %s", name, tool.source, exc)
                continue
            changed = True
        return changed

    def _register(self, tool: DiagnosticTool) -> _Entry:
        handler = self._handler(tool)
        annotations = annotations_for(tool)
        sdk = Tool.from_function(handler, name=tool.name, description=tool.description, annotations=annotations)
        self._mcp.add_tool(
            handler, name=tool.name, title=tool.hints.title, description=tool.description, annotations=annotations
        )
        flatten_output_schema(self._mcp, tool.name)
        return _Entry(tool, sdk)

    def _handler(self, tool: DiagnosticTool) -> Callable[..., Any]:
        registry = self._registry

        async def handler(**arguments: Any) -> Any:
            try:
                value = await registry.invoke(tool, arguments)
            except InputError as exc:
                raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
            except VigilError as exc:
                log.info("diagnostic %s failed: %s", tool.name, exc)
                return _text_result(str(exc))
            return self._bounded(tool, value)

        handler.__name__ = tool.name
        handler.__qualname__ = tool.name
        handler.__doc__ = tool.description
        handler.__signature__ = tool.signature  # pyright: ignore[reportFunctionMemberAccess]
        handler.__annotations__ = {p.name: p.annotation for p in tool.signature.parameters.values()} | {
            "return": tool.signature.return_annotation
        }
        return handler

    def _bounded(self, tool: DiagnosticTool, value: Any) -> Any:
        """The SDK's result for `value`, cut down to the output cap with a note when it is too long."""
        entry = self._entries.get(tool.name)
        if entry is None or entry.tool is not tool:  # reloaded while running: the SDK converts as usual
            return value
        try:
            converted = entry.sdk.fn_metadata.convert_result(value)
        except ValidationError as exc:
            log.error("diagnostic %s returned a value that does not match its return type: %s", tool.name, exc)
            return _text_result(
                f"{tool.name} returned an answer that does not match its declared return type "
                f"({exc.error_count()} problem(s)); this is a bug in {tool.source.name} (details in the server log)."
            )
        if not isinstance(converted, CallToolResult):
            return converted
        limit = self._registry.output_chars
        texts = [c.text for c in converted.content if isinstance(c, TextContent)]
        if sum(len(t) for t in texts) <= limit:
            return converted
        structured = converted.structured_content
        # Leave room for the note: the whole result, note included, must stay under the cap (server/calls.py).
        fitted = fit(structured if structured is not None else "\n".join(texts), limit, reserve=NOTE_ROOM)
        if fitted is None:
            return _text_result(
                f"{tool.name} produced more output than the {limit:,}-character cap even after cutting every "
                "long string and list; ask for less (narrower query, fewer targets)."
            )
        note = TextContent(type="text", text=fitted.note or "")
        if structured is None:
            return CallToolResult(content=[TextContent(type="text", text=str(fitted.data)), note])
        text = json.dumps(fitted.data, indent=2, ensure_ascii=False)
        result = CallToolResult(content=[TextContent(type="text", text=text), note], structured_content=fitted.data)
        try:
            entry.sdk.fn_metadata.convert_result(result)  # validates the cut data against the output schema
        except ValidationError:
            return _text_result(
                f"{tool.name} produced {len(''.join(texts)):,} characters, over the {limit:,}-character cap, and "
                "its output cannot be shortened without breaking its schema; ask for less."
            )
        return result

    async def middleware(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Refuse bad arguments to a diagnostic (and calls to a hidden one) as protocol errors."""
        self.ensure_synced()
        if ctx.method == "tools/call" and ctx.params is not None:
            name = ctx.params.get("name")
            entry = self._entries.get(name) if isinstance(name, str) else None
            if entry is not None:
                arguments: Any = ctx.params.get("arguments") or {}
                if not isinstance(arguments, dict):
                    raise MCPError(code=INVALID_PARAMS, message=f"{name}: arguments must be an object")
                try:
                    entry.tool.validate(arguments)  # pyright: ignore[reportUnknownArgumentType]
                except InputError as exc:
                    raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
                ticket = ticket_of(ctx.params.get("_meta"))
                if ticket is not None and self.on_call is not None:
                    result = await call_next(ctx)
                    failed = bool(getattr(result, "is_error", False)) or (
                        isinstance(result, dict) and bool(result.get("isError"))  # pyright: ignore[reportUnknownMemberType]
                    )
                    await self.on_call(ticket, entry.tool.name, arguments, not failed)  # pyright: ignore[reportUnknownArgumentType]
                    return result
            elif isinstance(name, str) and self._registry.owner(name) is not None and not self._taken(name):
                try:  # a loaded diagnostic the selection hides: say why instead of "unknown tool"
                    self._registry.served_tool(name)
                except NotFoundError as exc:
                    raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        return await call_next(ctx)

    def _taken(self, name: str) -> bool:
        """Whether the server has a tool called `name` that is not one of these diagnostics."""
        if name in self._entries:
            return False
        return self._mcp._tool_manager.get_tool(name) is not None  # pyright: ignore[reportPrivateUsage]


def register_diagnostics(mcp: MCPServer[Any], app: App, background: Background) -> DiagnosticTools:
    """Serve app.tools on `mcp`, and hot-reload them from their folders while the server runs."""
    registry = app.tools
    served = DiagnosticTools(mcp, registry)

    async def record(ticket: str, tool: str, arguments: dict[str, Any], ok: bool) -> None:
        shown = redact(json.dumps(arguments, ensure_ascii=False, sort_keys=True)[:400]).text
        try:
            await anyio.to_thread.run_sync(lambda: app.tickets.store_diagnostic(ticket, tool, shown, ok))
        except VigilError:  # an unknown ticket: the diagnostic ran, it is just not remembered
            log.info("diagnostic %s named ticket %s, which vigil does not know", tool, ticket)

    served.on_call = record
    # Registration waits for the first message (or the server's start), when build_server has
    # registered vigil's own tools: a tool file must never take one of their names first.
    mcp.middleware.append(served.middleware)
    tools_dir = app.settings.tools_dir.resolve()
    folders = [folder for folder in registry.folders if folder.is_dir() or folder == tools_dir]

    async def on_change(changes: set[tuple[Change, str]]) -> None:
        registry.reload(Path(path) for _, path in changes)
        if served.sync():
            await app.notifier.tools_changed()

    async def watch_tools() -> None:
        served.ensure_synced()
        await watch_paths(folders, on_change)

    background.add(watch_tools)
    return served
