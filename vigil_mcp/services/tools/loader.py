"""Load tool files and check them when they load (pluggy style): each problem names the file, the function and the fix.

A Python tool file is executed as a module of its own (never importing vigil); every public
function defined in it with type hints and a docstring becomes a tool. A `.toml` file describes
an HTTP call instead (see `spec.py`). Files whose names start with `_` or `.` are helpers and skipped.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from vigil_mcp.builtin import builtin_dir
from vigil_mcp.services.tools.build import HINTS_VARIABLE, build_tool
from vigil_mcp.services.tools.model import DiagnosticTool, FileLoad, ToolProblem
from vigil_mcp.services.tools.spec import load_spec_file
from vigil_mcp.storage.files import UnsafeFileError, is_symlink, read_regular_file

# The diagnostics shipped with vigil (package data in a wheel, `tools/` in a checkout).
BUILTIN_TOOLS_DIR = builtin_dir("tools")
SUFFIXES = (".py", ".toml")

_counter = itertools.count(1)


def is_tool_file(path: Path) -> bool:
    """Whether `path` names a tool file (not a helper, hidden or editor file)."""
    return path.suffix in SUFFIXES and not path.name.startswith(("_", "."))


def tool_files(folder: Path) -> list[Path]:
    """The tool files directly inside `folder`, sorted by name (links too: loading refuses them, saying why)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if is_tool_file(p) and (is_symlink(p) or p.is_file()))


def read_tool_source(path: Path) -> str:
    """The text of a tool file, read only if it is a regular file in its folder (never through a link)."""
    return read_regular_file(path.parent, path.name)[0].decode("utf-8")


def _exec_module(path: Path, source: str) -> tuple[Any, str]:
    """Run the file as a fresh module: compiled from source (no stale or stray bytecode in the folder)."""
    module_name = f"vigil_tools.{path.stem}_{next(_counter)}"
    code = compile(source, str(path), "exec", dont_inherit=True)
    spec = importlib.util.spec_from_loader(module_name, loader=None, origin=str(path))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    # dataclasses, TypedDicts and pydantic resolve annotations through sys.modules.
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module, module_name


def _import_problem(path: Path, exc: BaseException) -> ToolProblem:
    if isinstance(exc, SyntaxError):
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return ToolProblem(path, None, f"it is not valid Python{where}: {exc.msg}.", "fix the syntax error.")
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = f" (line {tb.tb_lineno})"
        tb = tb.tb_next
    if isinstance(exc, ImportError):
        return ToolProblem(
            path,
            None,
            f"it cannot be imported{line}: {exc}.",
            "install the missing package into vigil's environment, or remove the import; "
            "tool files may not import vigil_mcp or each other.",
        )
    return ToolProblem(
        path, None, f"running it failed{line}: {type(exc).__name__}: {exc}.", "fix the error at module level."
    )


def load_python_file(path: Path, source: str) -> FileLoad:
    """Import one Python tool file (its `source`) and turn its public functions into tools."""
    try:
        module, module_name = _exec_module(path, source)
    except (Exception, SystemExit) as exc:
        return FileLoad(path, problems=(_import_problem(path, exc),))
    raw_hints: Any = getattr(module, HINTS_VARIABLE, {})
    problems: list[ToolProblem] = []
    if not isinstance(raw_hints, dict):
        raw_hints = {}
        problems.append(
            ToolProblem(
                path,
                None,
                f"{HINTS_VARIABLE} is not a dict.",
                f'write it as {HINTS_VARIABLE} = {{"tool_name": {{"read_only": False}}}}.',
            )
        )
    hints: dict[str, Any] = {str(k): v for k, v in cast(dict[Any, Any], raw_hints).items()}
    tools: list[DiagnosticTool] = []
    namespace: dict[str, Any] = module.__dict__
    functions: dict[str, Callable[..., Any]] = {}
    for name, obj in namespace.items():
        if inspect.isfunction(obj) and obj.__module__ == module_name and not name.startswith("_"):
            functions[name] = obj
    for name in sorted(set(hints) - set(functions)):
        problems.append(
            ToolProblem(
                path,
                None,
                f"{HINTS_VARIABLE} names {name!r}, which is not a public function in this file.",
                "fix the name.",
            )
        )
    for name, fn in functions.items():
        try:
            signature = inspect.signature(fn, eval_str=True)
        except Exception as exc:
            problems.append(
                ToolProblem(
                    path, name, f"its type hints cannot be evaluated ({exc}).", "import or define the types used."
                )
            )
            continue
        built = build_tool(
            fn, name=name, description=inspect.getdoc(fn) or "", source=path, signature=signature, hints=hints.get(name)
        )
        if isinstance(built, list):
            problems.extend(built)
        else:
            tools.append(built)
    if problems:
        del sys.modules[module_name]
        return FileLoad(path, problems=tuple(problems))
    return FileLoad(path, tools=tuple(tools), module=module_name)


def load_file(path: Path, environ: Mapping[str, str]) -> FileLoad:
    """Load a `.py` or `.toml` tool file; a file that cannot be read is a problem, not an exception."""
    try:
        source = read_tool_source(path)
    except UnsafeFileError as exc:
        fix = "vigil loads only regular files inside its tools folder: copy the file here instead of linking it."
        return FileLoad(path, problems=(ToolProblem(path, None, f"it is not loaded: {exc}.", fix),))
    except (OSError, UnicodeDecodeError) as exc:
        return FileLoad(path, problems=(ToolProblem(path, None, f"it cannot be read ({exc}).", "check the file."),))
    if path.suffix == ".toml":
        return load_spec_file(path, environ, source)
    return load_python_file(path, source)
