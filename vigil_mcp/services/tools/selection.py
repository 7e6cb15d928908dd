"""Which loaded tools are served: name patterns to include and exclude, and the write-tool switch."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from vigil_mcp.services.tools.model import DiagnosticTool


@dataclass(frozen=True, slots=True)
class ToolSelection:
    """`include` patterns (empty: every tool), `exclude` patterns, and whether non-read-only tools may run."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enable_write: bool = False

    def why_hidden(self, tool: DiagnosticTool) -> str | None:
        """None when `tool` is served; otherwise the reason, phrased as what to change."""
        if self.include and not any(fnmatch.fnmatchcase(tool.name, p) for p in self.include):
            return f"it matches none of the --tools patterns ({', '.join(self.include)})"
        hit = next((p for p in self.exclude if fnmatch.fnmatchcase(tool.name, p)), None)
        if hit is not None:
            return f"it matches the --exclude-tools pattern {hit!r}"
        if not tool.hints.read_only and not self.enable_write:
            return "it is not read-only, and write tools are only served with --enable-write-tools"
        return None
