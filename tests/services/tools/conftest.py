"""Registries over the built-in tools/ folder and over temporary tool folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vigil_mcp.services.tools import BUILTIN_TOOLS_DIR, ToolRegistry


@pytest.fixture
def builtins() -> ToolRegistry:
    """The shipped diagnostics, with default egress policy and a Prometheus nobody configured."""
    registry = ToolRegistry([BUILTIN_TOOLS_DIR], timeout=20)
    assert not registry.load().problems
    return registry


@pytest.fixture
def write_tool(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a tool file into tmp_path/tools and return its path."""
    folder = tmp_path / "tools"
    folder.mkdir(exist_ok=True)

    def write(name: str, source: str) -> Path:
        path = folder / name
        path.write_text(source, encoding="utf-8")
        return path

    return write
