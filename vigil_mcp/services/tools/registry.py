"""The diagnostic tool registry: tools loaded from folders, kept current file by file; add/get/list/remove/call.

A file that fails its checks is left out with its problems recorded; if it served tools before,
those stay in service until the file is fixed (the last good version wins over no version).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.tools.egress import EgressPolicy
from vigil_mcp.services.tools.loader import is_tool_file, load_file, tool_files
from vigil_mcp.services.tools.model import DiagnosticFailed, DiagnosticTool, FileLoad, ToolProblem
from vigil_mcp.services.tools.selection import ToolSelection
from vigil_mcp.storage.files import is_symlink

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _FileState:
    tools: dict[str, DiagnosticTool] = field(default_factory=dict[str, DiagnosticTool])  # its last good version
    module: str | None = None
    problems: tuple[ToolProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a (re)load changed, and the problems of the files it looked at."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    problems: tuple[ToolProblem, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the set of tools (or any tool's definition) changed."""
        return bool(self.added or self.removed or self.replaced)


def _difference(
    before: Mapping[str, DiagnosticTool], after: Mapping[str, DiagnosticTool]
) -> tuple[tuple[str, ...], ...]:
    added = tuple(sorted(set(after) - set(before)))
    removed = tuple(sorted(set(before) - set(after)))
    replaced = tuple(sorted(n for n in set(before) & set(after) if before[n] is not after[n]))
    return added, removed, replaced


class ToolRegistry:
    """Diagnostic tools from layered tool folders, and how to call them.

    `folders` are layers, highest first (the user's folder, then the built-in one): when two folders
    define the same tool name, the earlier folder's tool is served and the other is shadowed (see
    `shadowed()`). Two files of one folder with the same tool name are a problem in the later file.
    """

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        egress: EgressPolicy | None = None,
        selection: ToolSelection | None = None,
        prometheus_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        output_chars: int = 32_000,
    ) -> None:
        unique: list[Path] = []
        for folder in folders:
            resolved = folder.resolve()
            if resolved not in unique:
                unique.append(resolved)
        self.folders: tuple[Path, ...] = tuple(unique)
        self.egress = egress or EgressPolicy()
        self.selection = selection or ToolSelection()
        self.prometheus_url = prometheus_url
        self.timeout = timeout
        self.output_chars = output_chars
        self._environ: Mapping[str, str] = environ or {}
        self._tools: dict[str, DiagnosticTool] = {}  # what is served: the highest layer's tool per name
        self._files: dict[Path, _FileState] = {}
        self._code: dict[str, DiagnosticTool] = {}  # added in code
        self._hidden: set[str] = set()  # removed in code until their file reloads

    # -- loading -------------------------------------------------------------------------------

    def load(self) -> ReloadReport:
        """Load every tool file in the folders (again); files that disappeared take their tools with them."""
        present = [path for folder in self.folders for path in tool_files(folder)]
        return self.reload([*present, *(p for p in self._files if p not in present)])

    def reload(self, paths: Iterable[Path]) -> ReloadReport:
        """Bring the given files up to date: load new or changed ones, drop deleted ones; ignore non-tool paths."""
        before = dict(self._tools)
        problems: list[ToolProblem] = []
        # The folder is resolved, the file name is not: a link in a tools folder is loaded (and refused) as itself.
        for path in dict.fromkeys(Path(p).parent.resolve() / Path(p).name for p in paths):
            if path.parent not in self.folders or not is_tool_file(path):
                continue
            if path.is_file() or is_symlink(path):
                problems.extend(self._apply(load_file(path, self._environ)))
            else:
                self._forget(path)
        self._tools = self._resolve()
        added, removed, replaced = _difference(before, self._tools)
        report = ReloadReport(added, removed, replaced, tuple(problems))
        for problem in report.problems:
            log.warning("tool file skipped: %s", problem)
        if report.changed:
            log.info("tools: added %s, removed %s, replaced %s", list(added), list(removed), list(replaced))
        return report

    def _rank(self, path: Path) -> tuple[int, str]:
        return self.folders.index(path.parent), path.name

    def _resolve(self) -> dict[str, DiagnosticTool]:
        chosen = dict(self._code)
        for path in sorted(self._files, key=self._rank):
            for name, tool in self._files[path].tools.items():
                if name not in self._hidden:
                    chosen.setdefault(name, tool)
        return dict(sorted(chosen.items()))

    def _apply(self, loaded: FileLoad) -> list[ToolProblem]:
        path = loaded.path
        state = self._files.setdefault(path, _FileState())
        problems = list(loaded.problems)
        for tool in loaded.tools:
            twin = next(
                (p for p, s in self._files.items() if p != path and p.parent == path.parent and tool.name in s.tools),
                None,
            )
            if twin is not None:
                problems.append(
                    ToolProblem(
                        path,
                        tool.name,
                        f"the tool name {tool.name!r} is already taken by {twin}.",
                        "rename the function (or the spec's name), or remove the other one.",
                    )
                )
        if problems:
            if loaded.module is not None:
                sys.modules.pop(loaded.module, None)
            state.problems = tuple(problems)
            if state.tools:
                log.warning("%s keeps serving its last good version: %s", path.name, ", ".join(state.tools))
            return problems
        if state.module is not None:
            sys.modules.pop(state.module, None)
        state.tools = {tool.name: tool for tool in loaded.tools}
        state.module = loaded.module
        state.problems = ()
        self._hidden -= set(state.tools)
        return []

    def _forget(self, path: Path) -> None:
        state = self._files.pop(path, None)
        if state is not None and state.module is not None:
            sys.modules.pop(state.module, None)

    def problems(self) -> list[ToolProblem]:
        """Problems of the files as they are now on disk (empty when every file is servable)."""
        return [p for state in self._files.values() for p in state.problems]

    def owner(self, name: str) -> Path | None:
        """The file whose tool `name` is served, if any."""
        tool = self._tools.get(name)
        return tool.source if tool is not None and name not in self._code else None

    def shadowed(self) -> list[tuple[DiagnosticTool, Path]]:
        """Tools of lower layers that a higher layer's tool of the same name replaces: (tool, the served file)."""
        out: list[tuple[DiagnosticTool, Path]] = []
        for path in sorted(self._files, key=self._rank):
            for name, tool in sorted(self._files[path].tools.items()):
                served = self._tools.get(name)
                if served is not None and served is not tool and name not in self._code:
                    out.append((tool, served.source))
        return out

    # -- the registry --------------------------------------------------------------------------

    def add(self, tool: DiagnosticTool) -> None:
        """Register a tool built in code (not from a file); its name must be free."""
        if tool.name in self._tools:
            raise InputError(f"a tool named {tool.name!r} already exists ({self._tools[tool.name].source})")
        self._code[tool.name] = tool
        self._tools = self._resolve()

    def get(self, name: str) -> DiagnosticTool:
        """The loaded tool called `name` (served or not)."""
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools)) or "none"
            raise NotFoundError(f"no diagnostic tool named {name!r}; loaded tools: {known}") from None

    def list(self) -> list[DiagnosticTool]:
        """Every loaded tool, by name."""
        return list(self._tools.values())

    def remove(self, name: str) -> None:
        """Forget one tool (its file stays on disk; a later reload of that file brings it back)."""
        self.get(name)
        if self._code.pop(name, None) is None:
            self._hidden.add(name)
        self._tools = self._resolve()

    def served(self) -> list[DiagnosticTool]:
        """The tools the selection lets through, by name."""
        return [tool for tool in self.list() if self.selection.why_hidden(tool) is None]

    def served_tool(self, name: str) -> DiagnosticTool:
        """The served tool called `name`; NotFoundError says why a loaded one is not served."""
        tool = self.get(name)
        reason = self.selection.why_hidden(tool)
        if reason is not None:
            raise NotFoundError(f"the tool {name!r} is not served: {reason}")
        return tool

    # -- calling -------------------------------------------------------------------------------

    def context_for(self, tool: DiagnosticTool) -> dict[str, Any]:
        """The configuration the registry binds to the tool's context parameters."""
        values: dict[str, Any] = {"_egress": self.egress.check, "_prometheus_url": self.prometheus_url}
        return {name: values[name] for name in tool.context}

    async def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Validate the arguments and run the served tool `name`; what it returns comes back unchanged."""
        tool = self.served_tool(name)
        return await self.invoke(tool, tool.validate(arguments))

    async def invoke(self, tool: DiagnosticTool, arguments: Mapping[str, Any]) -> Any:
        """Run `tool` with validated arguments under the registry's time limit, mapping failures to sentences."""
        kwargs = {**arguments, **self.context_for(tool)}
        result: Any = None
        with anyio.move_on_after(self.timeout) as scope:
            try:
                if tool.is_async:
                    result = await tool.fn(**kwargs)
                else:
                    call = functools.partial(tool.fn, **kwargs)
                    result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
            except Exception as exc:
                raise failure(tool, exc) from exc
        if scope.cancelled_caught:
            raise DiagnosticFailed(
                f"{tool.name} did not finish within {self.timeout:g} s and was stopped; the target may be slow "
                "or unreachable. Try a shorter timeout or a smaller request, or check the path with check_tcp."
            )
        return result


def failure(tool: DiagnosticTool, exc: Exception) -> InputError | DiagnosticFailed:
    """The error a tool's exception becomes: plain ValueError is a bad argument, the rest a failed diagnostic."""
    text = str(exc).strip() or type(exc).__name__
    if type(exc) is ValueError:
        return InputError(f"{tool.name}: {text}")
    if isinstance(exc, PermissionError | TimeoutError | OSError | RuntimeError | LookupError):
        return DiagnosticFailed(f"{tool.name}: {text}")
    log.error("tool %s (%s) crashed", tool.name, tool.source, exc_info=exc)
    return DiagnosticFailed(
        f"{tool.name} crashed ({type(exc).__name__}: {text}). This is a bug in {tool.source.name}; "
        "the server log has the traceback."
    )
