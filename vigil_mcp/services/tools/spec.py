"""Declarative HTTP tools: a TOML file describing one call (URL template, parameters, headers, what to return).

    description = "Health of one internal service, from its /health endpoint."
    url = "https://{service}.internal.example.com/health"
    select = "checks"

    [parameters.service]
    description = "Service name, such as billing."
    pattern = "^[a-z0-9-]+$"

    [headers]
    Authorization = { env = "HEALTH_TOKEN", prefix = "Bearer " }

The file name is the tool name unless `name` says otherwise. GET and HEAD tools are read-only;
other methods need `read_only = true` to be served without --enable-write-tools.
"""

from __future__ import annotations

import inspect
import json
import string
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vigil_mcp.services.tools.build import build_tool
from vigil_mcp.services.tools.egress import Resolver
from vigil_mcp.services.tools.http import fetch
from vigil_mcp.services.tools.model import FileLoad, ToolProblem

MAX_TEXT = 4000
_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterSpec(_Strict):
    """One argument of the call; without `default` it is required."""

    type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str = Field(min_length=1)
    default: str | int | float | bool | None = None
    enum: list[str | int | float] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None


class EnvHeader(_Strict):
    """A header value read from vigil's environment at call time (secrets stay out of the file)."""

    env: str = Field(min_length=1)
    prefix: str = ""


class HttpSpec(_Strict):
    """The whole TOML file."""

    name: str | None = None
    title: str | None = None
    description: str = Field(min_length=1)
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1)
    query: dict[str, str] = Field(default_factory=dict[str, str])
    headers: dict[str, str | EnvHeader] = Field(default_factory=dict[str, str | EnvHeader])
    select: str | None = None
    timeout_seconds: float = Field(10.0, gt=0, le=60)
    read_only: bool | None = None
    destructive: bool | None = None
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict[str, ParameterSpec])


class HttpSpecResult(BaseModel):
    """The answer of a declarative HTTP tool."""

    url: str = Field(description="The URL that was called.")
    status: int = Field(description="HTTP status code.")
    result: Any = Field(description="The selected part of the JSON answer, or the text answer (cut at 4,000 chars).")


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"the template {template!r} is malformed ({exc})") from None


def _render(template: str, values: Mapping[str, Any], *, in_url: bool) -> str:
    def show(value: Any) -> str:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return quote(text, safe="") if in_url else text

    return template.format_map({k: show(v) for k, v in values.items()})


def select(data: Any, path: str) -> Any:
    """The part of `data` at a dotted path such as `data.result` or `components.0.name`."""
    current: Any = data
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = cast(dict[str, Any], current)[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            items = cast(list[Any], current)
            if not -len(items) <= int(part) < len(items):
                raise RuntimeError(
                    f"the answer has only {len(items)} items at {'.'.join(walked) or 'the top level'}, "
                    f"so there is no item {part}; fix `select` in the tool file."
                )
            current = items[int(part)]
        else:
            where = ".".join(walked) or "the top level"
            if isinstance(current, dict):
                keys = [str(k) for k in cast(dict[str, Any], current)]
                there = f"keys there: {', '.join(keys[:20]) or 'none'}"
            elif isinstance(current, list):
                there = f"a list of {len(cast(list[Any], current))} items"
            else:
                there = f"a {type(current).__name__}"
            raise RuntimeError(f"the answer has no {part!r} at {where} ({there}); fix `select` in the tool file.")
        walked.append(part)
    return current


def _signature(spec: HttpSpec) -> inspect.Signature:
    params: list[inspect.Parameter] = []
    required = [(n, p) for n, p in spec.parameters.items() if "default" not in p.model_fields_set]
    optional = [(n, p) for n, p in spec.parameters.items() if "default" in p.model_fields_set]
    for name, param in required + optional:
        base: Any = _TYPES[param.type]
        if param.enum is not None:
            base = Literal[tuple(param.enum)]
        constraints = Field(description=param.description, pattern=param.pattern, ge=param.minimum, le=param.maximum)
        default = param.default if "default" in param.model_fields_set else inspect.Parameter.empty
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[base, constraints]
            )
        )
    params.append(
        inspect.Parameter("_egress", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Resolver | None)
    )
    return inspect.Signature(params, return_annotation=HttpSpecResult)


def _check(spec: HttpSpec, path: Path) -> list[ToolProblem]:
    problems: list[ToolProblem] = []
    if not spec.url.startswith(("http://", "https://")):
        problems.append(ToolProblem(path, None, f"url {spec.url!r} is not http(s).", "start it with https://."))
    used: set[str] = set()
    templates = [spec.url, *spec.query.values(), *(v for v in spec.headers.values() if isinstance(v, str))]
    for template in templates:
        try:
            used |= _placeholders(template)
        except ValueError as exc:
            problems.append(ToolProblem(path, None, f"{exc}.", "use {name} placeholders and {{ }} for braces."))
    for name in sorted(used - set(spec.parameters)):
        problems.append(
            ToolProblem(path, None, f"{{{name}}} is used but not declared.", f"add a [parameters.{name}] table.")
        )
    for name in sorted(set(spec.parameters) - used):
        problems.append(
            ToolProblem(
                path, None, f"parameter {name!r} is never used.", "use it in url, query or headers, or remove it."
            )
        )
    for name, param in spec.parameters.items():
        if param.pattern is not None and param.type != "string":
            problems.append(
                ToolProblem(path, None, f"parameter {name!r} has a pattern but is not a string.", "drop the pattern.")
            )
        if (param.minimum is not None or param.maximum is not None) and param.type not in ("integer", "number"):
            problems.append(
                ToolProblem(path, None, f"parameter {name!r} has minimum/maximum but is not a number.", "drop them.")
            )
        if not name.isidentifier() or name.startswith("_"):
            problems.append(
                ToolProblem(path, None, f"parameter name {name!r} is not usable.", "use letters, digits and _ only.")
            )
    return problems


def _runner(spec: HttpSpec, environ: Mapping[str, str]) -> Callable[..., HttpSpecResult]:
    def run(*, _egress: Resolver | None = None, **arguments: Any) -> HttpSpecResult:
        headers: dict[str, str] = {}
        for header, value in spec.headers.items():
            if isinstance(value, EnvHeader):
                secret = environ.get(value.env)
                if not secret:
                    raise RuntimeError(
                        f"the {header} header needs the environment variable {value.env}, which is not set "
                        "where vigil runs; set it and restart vigil."
                    )
                headers[header] = value.prefix + secret
            else:
                headers[header] = _render(value, arguments, in_url=False)
        url = _render(spec.url, arguments, in_url=True)
        query = {k: _render(v, arguments, in_url=False) for k, v in spec.query.items()}
        answer = fetch(spec.method, url, params=query, headers=headers, timeout=spec.timeout_seconds, egress=_egress)
        text = answer.body.decode("utf-8", errors="replace")
        if answer.status >= 400:
            raise RuntimeError(f"{spec.method} {url} answered {answer.status} {answer.reason}: {text[:300]}")
        try:
            data: Any = json.loads(text) if text.strip() else None
        except ValueError:
            if spec.select:
                raise RuntimeError(
                    f"{url} did not answer JSON ({answer.content_type or 'no content type'}), so `select` cannot apply."
                ) from None
            return HttpSpecResult(url=url, status=answer.status, result=text[:MAX_TEXT])
        return HttpSpecResult(url=url, status=answer.status, result=select(data, spec.select) if spec.select else data)

    return run


def load_spec_file(path: Path, environ: Mapping[str, str], text: str) -> FileLoad:
    """Check a TOML HTTP tool (`text`, the file's contents); every problem is reported with the field to fix."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return FileLoad(path, problems=(ToolProblem(path, None, f"it is not valid TOML ({exc}).", "fix the syntax."),))
    try:
        spec = HttpSpec.model_validate(raw)
    except ValidationError as exc:
        problems = tuple(
            ToolProblem(
                path,
                None,
                f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}.",
                "see docs/tools.md for the fields a spec may have.",
            )
            for e in exc.errors()
        )
        return FileLoad(path, problems=problems)
    problems = _check(spec, path)
    if problems:
        return FileLoad(path, problems=tuple(problems))
    name = spec.name or path.stem
    read_only = spec.read_only if spec.read_only is not None else spec.method in ("GET", "HEAD")
    hints: dict[str, Any] = {"read_only": read_only, "destructive": spec.destructive, "title": spec.title}
    built = build_tool(
        _runner(spec, environ),
        name=name,
        description=spec.description,
        source=path,
        signature=_signature(spec),
        hints=hints,
    )
    if isinstance(built, list):
        return FileLoad(path, problems=tuple(built))
    return FileLoad(path, tools=(built,))
