"""Which tools are served: name patterns to include and exclude, the write-tool switch and read-only mode.

The patterns select among every tool, vigil's own (search_knowledge, observe_message, ...) and
the diagnostics alike; `enable_write` only concerns diagnostics, `read_only` hides every tool that
is not read-only.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from vigil_mcp.services.tools.model import DiagnosticTool


@dataclass(frozen=True, slots=True)
class ToolSelection:
    """`include` patterns (empty: every tool), `exclude` patterns, write diagnostics, read-only mode."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enable_write: bool = False
    read_only: bool = False

    def why_hidden_name(self, name: str, *, read_only: bool) -> str | None:
        """None when a tool called `name` is served by the patterns and read-only mode; else the reason."""
        if self.include and not any(fnmatch.fnmatchcase(name, p) for p in self.include):
            return f"it matches none of the --tools patterns ({', '.join(self.include)})"
        hit = next((p for p in self.exclude if fnmatch.fnmatchcase(name, p)), None)
        if hit is not None:
            return f"it matches the --exclude-tools pattern {hit!r}"
        if self.read_only and not read_only:
            return "it is not read-only, and the server runs with --read-only"
        return None

    def why_hidden(self, tool: DiagnosticTool) -> str | None:
        """None when the diagnostic `tool` is served; otherwise the reason, phrased as what to change."""
        reason = self.why_hidden_name(tool.name, read_only=tool.hints.read_only)
        if reason is None and not tool.hints.read_only and not self.enable_write:
            return "it is not read-only, and write tools are only served with --enable-write-tools"
        return reason

    def unknown_patterns(self, names: list[str]) -> list[str]:
        """Problems with patterns that match none of `names` (a typo would otherwise be ignored silently)."""
        problems: list[str] = []
        for option, patterns in (("--tools", self.include), ("--exclude-tools", self.exclude)):
            for pattern in patterns:
                if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
                    problems.append(f"{option} {pattern!r} matches no tool")
        return problems
