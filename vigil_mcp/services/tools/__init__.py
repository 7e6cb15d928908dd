"""Diagnostic tools: plain typed functions in `tools/*.py` (and TOML HTTP specs), checked, served and hot-reloaded."""

from vigil_mcp.services.tools.egress import METADATA_DENY, EgressPolicy
from vigil_mcp.services.tools.loader import BUILTIN_TOOLS_DIR, load_file, tool_files
from vigil_mcp.services.tools.model import DiagnosticFailed, DiagnosticTool, ToolHints, ToolProblem
from vigil_mcp.services.tools.registry import ReloadReport, ToolRegistry
from vigil_mcp.services.tools.selection import ToolSelection
from vigil_mcp.services.tools.truncate import Fitted, fit

__all__ = [
    "BUILTIN_TOOLS_DIR",
    "METADATA_DENY",
    "DiagnosticFailed",
    "DiagnosticTool",
    "EgressPolicy",
    "Fitted",
    "ReloadReport",
    "ToolHints",
    "ToolProblem",
    "ToolRegistry",
    "ToolSelection",
    "fit",
    "load_file",
    "tool_files",
]
