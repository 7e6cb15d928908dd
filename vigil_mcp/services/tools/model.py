"""What the diagnostic tool registry holds: tools, their hints, and the problems found in tool files."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from vigil_mcp.errors import InputError, VigilError
from vigil_mcp.services.arguments import explain_error

# Keyword-only parameters a tool function may declare to receive configuration from the
# registry instead of reading the environment; they never appear in the tool's input schema.
CONTEXT_PARAMETERS: dict[str, str] = {
    "_egress": "a function (host, port) -> list of IP addresses the tool may connect to; "
    "raises PermissionError when the egress policy forbids the host",
    "_prometheus_url": "the configured Prometheus base URL (None when none is configured)",
}


class DiagnosticFailed(VigilError):
    """A diagnostic ran and failed; the message says what happened and what to check next."""


@dataclass(frozen=True, slots=True)
class ToolHints:
    """How a tool behaves, as MCP tool annotations describe it. Tools are read-only unless declared."""

    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ToolProblem:
    """Why a tool file (or one function in it) cannot be served, and how to fix it."""

    file: Path
    function: str | None
    problem: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.function}()" if self.function else str(self.file)
        return f"{where}: {self.problem} Fix: {self.fix}"


@dataclass(frozen=True, slots=True, eq=False)
class DiagnosticTool:
    """One servable diagnostic: a plain function plus what the registry learned about it at load time."""

    name: str
    description: str
    source: Path
    fn: Callable[..., Any]
    signature: inspect.Signature
    """Public parameters with evaluated annotations (context parameters removed) and the return type."""
    arguments: type[BaseModel]
    """Validates arguments strictly (unknown names are refused)."""
    context: frozenset[str] = frozenset()
    hints: ToolHints = field(default_factory=ToolHints)
    is_async: bool = False

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.strip().splitlines()[0] if self.description.strip() else ""

    @property
    def output_type(self) -> Any:
        """The return annotation: what a call produces."""
        return self.signature.return_annotation

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments."""
        return self.arguments.model_json_schema(by_alias=True)

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check and convert arguments; raise InputError saying which ones are wrong and why."""
        fields = self.arguments.model_fields
        by_key = {info.alias or name: info for name, info in fields.items()}
        data = dict(arguments)
        for key, value in arguments.items():
            info = by_key.get(key)
            # Some clients (and the CLI) send lists and objects as JSON text; parse them as the SDK does.
            # Numbers and booleans stay text: pydantic converts "5" or "true" where the type wants it.
            if info is not None and isinstance(value, str) and info.annotation is not str:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    continue
                if not isinstance(parsed, str | int | float):
                    data[key] = parsed
        try:
            model = self.arguments.model_validate(data)
        except ValidationError as exc:
            raise InputError(self._explain(exc)) from None
        return {info.alias or name: getattr(model, name) for name, info in fields.items()}

    def _explain(self, exc: ValidationError) -> str:
        return explain_error(self.name, exc, self.signature.parameters)


@dataclass(frozen=True, slots=True)
class FileLoad:
    """What loading one tool file produced: its tools, or the problems that keep it out of service."""

    path: Path
    tools: tuple[DiagnosticTool, ...] = ()
    problems: tuple[ToolProblem, ...] = ()
    module: str | None = None
    """The name under which the file's module sits in sys.modules, if it is a Python file."""

    @property
    def ok(self) -> bool:
        """Whether the file can be served."""
        return not self.problems
