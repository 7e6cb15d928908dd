from collections.abc import Callable
from pathlib import Path

import pytest

from vigil_mcp.services.tools import load_file, tool_files

WriteTool = Callable[[str, str], Path]

GOOD = '''
"""Good tools."""
from __future__ import annotations

import os.path
from dataclasses import dataclass
from typing import Annotated, TypedDict

from pydantic import BaseModel, Field

from os.path import join  # a public function imported from elsewhere is not a tool


class Echo(BaseModel):
    text: str
    times: int


class Sum(TypedDict):
    total: int


@dataclass
class Pair:
    left: str
    right: str


def echo(text: Annotated[str, Field(description="What to echo.")], times: int = 1) -> Echo:
    """Echo text back."""
    return Echo(text=_twice(text) if times > 1 else text, times=times)


async def add(a: int, b: int = 2) -> Sum:
    """Add two numbers."""
    return {"total": a + b}


def pair(left: str, right: str) -> Pair:
    """Make a pair."""
    return Pair(left, right)


def restart_worker(name: str, *, _egress: object = None) -> str:
    """Restart a worker."""
    return f"restarted {name}"


def _twice(text: str) -> str:
    return text + text


_vigil_hints = {"restart_worker": {"read_only": False, "title": "Restart a worker"}}
'''


def test_every_public_typed_documented_function_becomes_a_tool(write_tool: WriteTool) -> None:
    loaded = load_file(write_tool("good.py", GOOD), {})
    assert loaded.problems == ()
    tools = {t.name: t for t in loaded.tools}
    assert set(tools) == {"echo", "add", "pair", "restart_worker"}
    echo = tools["echo"]
    assert echo.description == "Echo text back."
    assert echo.input_schema()["properties"]["text"]["description"] == "What to echo."
    assert echo.input_schema()["required"] == ["text"]
    assert echo.hints.read_only and not echo.hints.destructive and not echo.hints.open_world
    assert tools["add"].is_async and not echo.is_async
    restart = tools["restart_worker"]
    assert (restart.hints.read_only, restart.hints.destructive, restart.hints.idempotent) == (False, True, False)
    assert restart.hints.title == "Restart a worker" and restart.hints.open_world
    assert restart.context == frozenset({"_egress"}) and list(restart.signature.parameters) == ["name"]


def test_a_loaded_tool_validates_and_converts_arguments(write_tool: WriteTool) -> None:
    echo = next(t for t in load_file(write_tool("good.py", GOOD), {}).tools if t.name == "echo")
    assert echo.validate({"text": "hi", "times": "3"}) == {"text": "hi", "times": 3}
    assert echo.fn(**echo.validate({"text": "hi", "times": 2})).text == "hihi"


@pytest.mark.parametrize(
    ("source", "function", "problem", "fix"),
    [
        ("def f(x: int) -> int:\n    return x\n", "f", "no docstring", "rename it _f if it is a helper"),
        ('def f(x) -> int:\n    """Doc."""\n    return x\n', "f", "'x' has no type hint", "x: str"),
        ('def f(x: int):\n    """Doc."""\n    return x\n', "f", "no return type", "pydantic model or TypedDict"),
        ('def f(*args: int) -> int:\n    """Doc."""\n    return 1\n', "f", "*args", "list each parameter"),
        ('def f(**kw: int) -> int:\n    """Doc."""\n    return 1\n', "f", "**kw", "list each parameter"),
        ('def f(x: int, /) -> int:\n    """Doc."""\n    return x\n', "f", "positional-only", "remove the /"),
        ('def f(_x: int = 1) -> int:\n    """Doc."""\n    return 1\n', "f", "reserved for context", "rename it"),
        (
            'def f(_egress: object = None) -> int:\n    """Doc."""\n    return 1\n',
            "f",
            "must be keyword-only",
            "after a bare *",
        ),
        ('def f(x: "Missing") -> int:\n    """Doc."""\n    return 1\n', "f", "cannot be evaluated", "import or define"),
        (
            'import socket\ndef f(x: socket.socket) -> int:\n    """Doc."""\n    return 1\n',
            "f",
            "cannot be described as JSON schema",
            "JSON-friendly",
        ),
        (
            'import threading\ndef f(x: int) -> threading.Lock:\n    """Doc."""\n    return 1\n',
            "f",
            "cannot describe its return type",
            "return a pydantic model",
        ),
        (
            'class Opaque:\n    pass\ndef f(x: int) -> Opaque:\n    """Doc."""\n    return Opaque()\n',
            "f",
            "no structured output",
            "return a pydantic model",
        ),
        (
            'def f(x: int) -> int:\n    """Doc."""\n    return 1\n_vigil_hints = {"f": {"read_only": "no"}}\n',
            "f",
            "_vigil_hints entry is not valid",
            "read_only, destructive",
        ),
        (
            'def f(x: int) -> int:\n    """Doc."""\n    return 1\n_vigil_hints = {"f": {"dangerous": True}}\n',
            "f",
            "dangerous",
            "read_only, destructive",
        ),
        (
            'def f(x: int) -> int:\n    """Doc."""\n    return 1\n_vigil_hints = {"g": {}}\n',
            None,
            "names 'g', which is not a public function",
            "fix the name",
        ),
        ('_vigil_hints = ["f"]\n', None, "is not a dict", "_vigil_hints = {"),
        ("def f(:\n", None, "not valid Python at line 1", "fix the syntax error"),
        ("import vigil_never_installed_package\n", None, "cannot be imported (line 1)", "install the missing package"),
        ("x = 1\nraise RuntimeError('boom')\n", None, "running it failed (line 2): RuntimeError: boom", "module level"),
        ("import sys\nsys.exit(3)\n", None, "SystemExit", "module level"),
    ],
)
def test_a_bad_tool_file_reports_file_function_problem_and_fix(
    write_tool: WriteTool, source: str, function: str | None, problem: str, fix: str
) -> None:
    path = write_tool("bad.py", source)
    loaded = load_file(path, {})
    assert loaded.tools == () and not loaded.ok
    found = loaded.problems[0]
    assert (found.file, found.function) == (path, function)
    assert problem in found.problem
    assert fix in found.fix
    rendered = str(found)
    assert rendered.startswith(f"{path}: {function}()" if function else f"{path}:")
    assert "Fix: " in rendered


def test_one_bad_function_keeps_the_whole_file_out(write_tool: WriteTool) -> None:
    source = 'def good(x: int) -> int:\n    """Fine."""\n    return x\n\ndef bad(x: int) -> int:\n    return x\n'
    loaded = load_file(write_tool("mixed.py", source), {})
    assert loaded.tools == ()
    assert [p.function for p in loaded.problems] == ["bad"]


def test_helpers_hidden_files_and_other_files_are_not_tool_files(write_tool: WriteTool, tmp_path: Path) -> None:
    for name in ("_helpers.py", ".hidden.py", "notes.md", "b.toml", "a.py", "x.py~"):
        write_tool(name, "")
    (tmp_path / "tools" / "sub.py").mkdir()
    assert [p.name for p in tool_files(tmp_path / "tools")] == ["a.py", "b.toml"]
    assert tool_files(tmp_path / "missing") == []


def test_a_tool_file_never_leaves_bytecode_in_the_folder(write_tool: WriteTool, tmp_path: Path) -> None:
    load_file(write_tool("good.py", GOOD), {})
    assert not (tmp_path / "tools" / "__pycache__").exists()
