"""Turn a function and its evaluated signature into a DiagnosticTool, checking everything a client will need."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from vigil_mcp.services.tools.model import CONTEXT_PARAMETERS, DiagnosticTool, ToolHints, ToolProblem

HINTS_VARIABLE = "_vigil_hints"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class _HintsModel(BaseModel):
    """What `_vigil_hints = {"tool_name": {...}}` may say about one tool."""

    model_config = ConfigDict(extra="forbid", strict=True)

    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None
    title: str | None = None


def _output_problem(name: str, signature: inspect.Signature) -> str | None:
    """Ask the MCP SDK, which will serve the tool, whether it can give the return type a schema."""

    def stub(**_arguments: Any) -> Any: ...

    stub.__name__ = name
    stub.__signature__ = signature  # pyright: ignore[reportFunctionMemberAccess]
    try:
        metadata = func_metadata(stub)
    except Exception as exc:
        return f"the MCP SDK cannot describe its return type ({exc})."
    if metadata.output_schema is None:
        shown = getattr(signature.return_annotation, "__name__", repr(signature.return_annotation))
        return f"its return type {shown} cannot be described as JSON schema, so it has no structured output."
    return None


def make_hints(
    read_only: bool | None = None,
    destructive: bool | None = None,
    idempotent: bool | None = None,
    open_world: bool | None = None,
    title: str | None = None,
    *,
    network: bool = False,
) -> ToolHints:
    """Hints with the defaults filled in: read-only, so not destructive and idempotent; open-world if networked."""
    ro = True if read_only is None else read_only
    return ToolHints(
        read_only=ro,
        destructive=False if ro else (True if destructive is None else destructive),
        idempotent=ro if idempotent is None else idempotent,
        open_world=network if open_world is None else open_world,
        title=title,
    )


def title_from_name(name: str) -> str:
    """A readable title for a tool that declares none: `restart_worker` -> "Restart worker"."""
    return name.replace("_", " ").replace("-", " ").strip().capitalize() or name


def _field_name(name: str) -> tuple[str, dict[str, Any]]:
    # Same trick as the SDK: a parameter called `json` or `copy` would shadow BaseModel methods.
    if hasattr(BaseModel, name):
        return f"field_{name}", {"alias": name}
    return name, {}


def build_tool(
    fn: Callable[..., Any],
    *,
    name: str,
    description: str,
    source: Path,
    signature: inspect.Signature,
    hints: Mapping[str, Any] | None = None,
) -> DiagnosticTool | list[ToolProblem]:
    """A DiagnosticTool from a function and its evaluated signature, or the problems that prevent it."""
    problems: list[ToolProblem] = []

    def problem(text: str, fix: str) -> None:
        problems.append(ToolProblem(source, name, text, fix))

    if not NAME_PATTERN.match(name):
        problem(f"the tool name {name!r} is not valid.", "use letters, digits, _ . and - (at most 128 characters).")
    if not description.strip():
        problem(
            "it has no docstring, and the docstring is the tool's description.",
            f"add a one-line docstring saying what {name} checks, or rename it _{name} if it is a helper.",
        )
    fields: dict[str, Any] = {}
    public: list[inspect.Parameter] = []
    context: set[str] = set()
    for param in signature.parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            problem(
                f"it takes *{param.name} or **{param.name}, which cannot be described to a client.",
                "list each parameter by name with a type hint.",
            )
            continue
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            problem(f"parameter {param.name!r} is positional-only.", "remove the / from the signature.")
            continue
        if param.name.startswith("_"):
            known = ", ".join(CONTEXT_PARAMETERS)
            if param.name not in CONTEXT_PARAMETERS:
                problem(
                    f"parameter {param.name!r} starts with _, which is reserved for context vigil supplies ({known}).",
                    f"rename it without the leading _, or use one of {known}.",
                )
            elif param.kind is not inspect.Parameter.KEYWORD_ONLY or param.default is inspect.Parameter.empty:
                problem(
                    f"context parameter {param.name!r} must be keyword-only with a default.",
                    f"declare it after a bare * with a default: *, {param.name}=None.",
                )
            else:
                context.add(param.name)
            continue
        if param.annotation is inspect.Parameter.empty:
            problem(
                f"parameter {param.name!r} has no type hint, so clients cannot be told what to send.",
                f"annotate it, for example {param.name}: str.",
            )
            continue
        field_name, extra = _field_name(param.name)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[field_name] = (param.annotation, Field(default, **extra))
        public.append(param)
    if signature.return_annotation is inspect.Signature.empty:
        problem(
            "it has no return type, so clients get no structured output.",
            "annotate the return, preferably with a pydantic model or TypedDict: -> MyResult.",
        )
    arguments: type[BaseModel] | None = None
    if not problems:
        try:
            arguments = create_model(f"{name}Arguments", __config__=ConfigDict(extra="forbid"), **fields)
            arguments.model_json_schema()
        except Exception as exc:
            problem(f"its parameter types cannot be described as JSON schema ({exc}).", "use JSON-friendly types.")
        output_problem = _output_problem(name, signature.replace(parameters=public))
        if output_problem is not None:
            problem(output_problem, "return a pydantic model, TypedDict, dataclass, dict, list or plain value.")
    options = _HintsModel()
    try:
        options = _HintsModel.model_validate(hints or {})
    except ValidationError as exc:
        wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        problems.append(
            ToolProblem(
                source,
                name,
                f"its {HINTS_VARIABLE} entry is not valid ({wrong}).",
                "use only read_only, destructive, idempotent, open_world (true/false) and title (text).",
            )
        )
    if problems or arguments is None:
        return problems
    return DiagnosticTool(
        name=name,
        description=description.strip(),
        source=source,
        fn=fn,
        signature=signature.replace(parameters=public),
        arguments=arguments,
        context=frozenset(context),
        hints=make_hints(
            read_only=options.read_only,
            destructive=options.destructive,
            idempotent=options.idempotent,
            open_world=options.open_world,
            title=options.title or title_from_name(name),
            network="_egress" in context,
        ),
        is_async=inspect.iscoroutinefunction(fn),
    )
