"""Rules every tools/call and prompts/get answer follows, whichever module registered the tool or prompt.

- An unknown tool or prompt name is a protocol error (-32602), as the spec asks; the SDK alone
  would answer an unknown tool with an is_error result and an unknown prompt with an internal error.
- Arguments are checked before the handler runs, for every tool and prompt: an unknown argument, a
  missing one or a bad value is a protocol error (-32602) with one sentence naming the argument,
  what is wrong and what the call takes (the SDK alone would ignore unknown arguments, answer a bad
  value with pydantic's multi-line text and a URL, and a missing prompt argument with an internal
  error).
- No tool result is longer than `tool_output_chars`: oversized text is cut with a note; oversized
  structured content cannot be cut without breaking the tool's output schema, so the caller gets
  an is_error result telling it how to ask for less.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import ValidationError

from vigil_mcp.app import App
from vigil_mcp.services.arguments import explain, explain_error

log = logging.getLogger(__name__)

NOTE_PREFIX = "[vigil]"


class UnknownNameError(MCPError):
    """A tools/call or prompts/get for a name this server does not have."""


def _text_size(content: list[Any]) -> int:
    size = 0
    for item in content:
        if not isinstance(item, dict):
            continue
        entry = cast(dict[str, Any], item)
        if isinstance(entry.get("text"), str):
            size += len(entry["text"])
        resource = entry.get("resource")
        if isinstance(resource, dict) and isinstance(cast(dict[str, Any], resource).get("text"), str):
            size += len(cast(dict[str, Any], resource)["text"])
    return size


def _cut_text(content: list[Any], budget: int) -> list[Any]:
    """The content with its text (and embedded resource text) cut to `budget` characters in all."""
    out: list[Any] = []
    for item in content:
        if not isinstance(item, dict):
            out.append(item)
            continue
        entry = dict(cast(dict[str, Any], item))
        if isinstance(entry.get("text"), str):
            entry["text"] = entry["text"][: max(budget, 0)]
            budget -= len(entry["text"])
        resource = entry.get("resource")
        if isinstance(resource, dict) and isinstance(cast(dict[str, Any], resource).get("text"), str):
            inner = dict(cast(dict[str, Any], resource))
            inner["text"] = inner["text"][: max(budget, 0)]
            budget -= len(inner["text"])
            entry["resource"] = inner
        out.append(entry)
    return out


def _ask_for_less(arguments: Any, size: int, cap: int) -> str:
    limit = cast(dict[str, Any], arguments).get("limit") if isinstance(arguments, dict) else None
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 1:
        smaller = max(1, limit * cap // size)
        return f"call it again with limit={smaller} or lower (it was {limit}), or with a narrower query or filter"
    return "lower `limit` if the tool has one, narrow the query or filter, or fetch items one at a time"


def cap_result(result: dict[str, Any], cap: int, tool: str, arguments: Any = None) -> dict[str, Any]:
    """A tools/call wire result within `cap` characters of text (and of structured content as JSON)."""
    content = result.get("content")
    if result.get("resultType", "complete") != "complete" or not isinstance(content, list):
        return result  # an input_required round (2026) or a task: nothing to show yet
    items = cast(list[Any], content)
    text_size = _text_size(items)
    structured = result.get("structuredContent")
    structured_size = 0 if structured is None else len(json.dumps(structured, ensure_ascii=False, default=str))
    size = max(text_size, structured_size)
    if size <= cap:
        return result
    log.info("tool %s answered %d characters, over the %d cap", tool, size, cap)
    rest = {k: v for k, v in result.items() if k not in {"content", "structuredContent", "isError"}}
    if structured is not None and not result.get("isError"):
        message = (
            f"{tool} answered with {size:,} characters, over this server's {cap:,}-character cap for one tool "
            f"result, so the answer was withheld. Ask for less: {_ask_for_less(arguments, size, cap)}."
        )
        return {**rest, "content": [{"type": "text", "text": message}], "isError": True}
    note = (
        f"{NOTE_PREFIX} This answer was {text_size:,} characters, over the {cap:,}-character cap, and was cut "
        f"short. Ask for less to see the rest: {_ask_for_less(arguments, size, cap)}."
    )
    capped = _cut_text(items, cap - len(note))
    out: dict[str, Any] = {**rest, "content": [*capped, {"type": "text", "text": note}]}
    if result.get("isError"):
        out["isError"] = True
    return out


def _invalid(message: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message)


def check_tool_arguments(mcp: MCPServer[Any], name: str, arguments: Any) -> None:
    """Raise invalid params, in one sentence, unless `arguments` are exactly what tool `name` takes."""
    tool = mcp._tool_manager.get_tool(name)  # pyright: ignore[reportPrivateUsage]
    if tool is None:
        return
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise _invalid(f"{name}: arguments must be a JSON object of argument names and values")
    given = cast(dict[str, Any], arguments)
    meta = tool.fn_metadata
    fields = meta.arg_model.model_fields
    takes = [info.alias or field for field, info in fields.items()]
    unknown = [f"unknown argument {key[:40]!r}" for key in given if key not in takes]
    if unknown:
        raise _invalid(explain(name, unknown, takes))
    try:
        meta.arg_model.model_validate(meta.pre_parse_json(given))
    except ValidationError as exc:
        raise _invalid(explain_error(name, exc, takes)) from None


def check_prompt_arguments(mcp: MCPServer[Any], name: str, arguments: Any) -> None:
    """Raise invalid params unless `arguments` give every required argument of prompt `name` and no other."""
    prompt = mcp._prompt_manager.get_prompt(name)  # pyright: ignore[reportPrivateUsage]
    if prompt is None:
        return
    declared = prompt.arguments or []
    takes = [arg.name for arg in declared]
    given = cast(dict[str, Any], arguments) if isinstance(arguments, dict) else {}
    found = [f"unknown argument {key[:40]!r}" for key in given if key not in takes]
    found += [f"missing argument {arg.name!r}" for arg in declared if arg.required and arg.name not in given]
    if found:
        raise _invalid(explain(name, found, takes, "prompt"))


def register_call_rules(mcp: MCPServer[Any], app: App) -> None:
    """Refuse unknown tool and prompt names as protocol errors, and cap every tool result.

    Call this after every module has registered its tools and middleware: it must sit innermost,
    where the tool lists are complete and results come straight from the handlers.
    """
    cap = app.settings.tool_output_chars

    async def call_rules(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params: dict[str, Any] = dict(ctx.params) if ctx.params is not None else {}
        name = params.get("name")
        if not isinstance(name, str) or ctx.method not in {"tools/call", "prompts/get"}:
            return await call_next(ctx)
        if ctx.method == "prompts/get":
            if name not in {prompt.name for prompt in await mcp.list_prompts()}:
                raise UnknownNameError(
                    INVALID_PARAMS, f"Unknown prompt: {name}; prompts/list names the prompts on offer", {"name": name}
                )
            check_prompt_arguments(mcp, name, params.get("arguments"))
            return await call_next(ctx)
        if name not in {tool.name for tool in await mcp.list_tools()}:
            raise UnknownNameError(
                INVALID_PARAMS, f"Unknown tool: {name}; tools/list names the tools on offer", {"name": name}
            )
        check_tool_arguments(mcp, name, params.get("arguments"))
        result = await call_next(ctx)
        return cap_result(result, cap, name, params.get("arguments")) if isinstance(result, dict) else result

    mcp.middleware.append(call_rules)
