"""The middleware that counts every tools/call by outcome, and what GET /metrics reads at scrape time."""

from __future__ import annotations

from collections import Counter
from typing import Any, get_args

import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND
from pydantic import BaseModel, ValidationError

from vigil_mcp.app import App
from vigil_mcp.models import SuggestionStatus
from vigil_mcp.server.calls import UnknownNameError
from vigil_mcp.services.metrics import UNKNOWN_TOOL, Metrics, Outcome, Readings
from vigil_mcp.services.tickets import ROLES


def _is_error(result: HandlerResult) -> bool:
    if isinstance(result, dict):
        return bool(result.get("isError"))
    if isinstance(result, BaseModel):
        return bool(getattr(result, "is_error", False))
    return False


def tool_call_counter(metrics: Metrics) -> ServerMiddleware[Any]:
    """A middleware counting tools/call requests: ok, error (is_error result), invalid (protocol error), failed."""

    async def count_tool_calls(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        raw = ctx.params.get("name") if ctx.params is not None else None
        name = raw if isinstance(raw, str) else UNKNOWN_TOOL
        outcome: Outcome
        try:
            result = await call_next(ctx)
        except UnknownNameError:
            # Count under one label: any string a client sends must not become a label value.
            metrics.tool_call(UNKNOWN_TOOL, "invalid")
            raise
        except MCPError as exc:
            outcome = "invalid" if exc.code in (INVALID_PARAMS, METHOD_NOT_FOUND) else "failed"
            metrics.tool_call(name, outcome)
            raise
        except ValidationError:
            metrics.tool_call(name, "invalid")
            raise
        except Exception:
            metrics.tool_call(name, "failed")
            raise
        metrics.tool_call(name, "error" if _is_error(result) else "ok")
        return result

    return count_tool_calls


def _store_readings(app: App) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    roles, statuses = app.tickets.store.activity_counts()
    # Every known role and status gets a series from the start, so rates work from the first scrape.
    roles = {role: 0 for role in ROLES} | roles
    statuses = {status: 0 for status in get_args(SuggestionStatus)} | statuses
    return roles, statuses, app.knowledge.counts()


async def readings(app: App) -> Readings:
    """Everything /metrics reads at scrape time: store counts off the loop, registries on it."""
    roles, statuses, kinds = await anyio.to_thread.run_sync(_store_readings, app)
    # The tool registry is reloaded on the event loop, so it is read here, never from a thread.
    tools = app.tools
    skills = app.skills
    return Readings(
        messages_by_role=roles,
        suggestions_by_status=statuses,
        knowledge_by_kind=kinds,
        index_ready=app.knowledge.ready,
        skills_by_status=dict(Counter(skill.status for skill in skills.all())),
        skill_problems=sum(1 for p in skills.problems() if p.severity == "error"),
        tools_loaded=len(tools.list()),
        tools_served=len(tools.served()),
        tool_file_problems=len(tools.problems()),
    )


def register_metrics(mcp: MCPServer[Any], app: App) -> None:
    """Count tools/call outcomes (GET /metrics itself is an HTTP route: transport/routes.py).

    Call it before the modules that may refuse a call in their own middleware (diagnostics), so
    the counter sits outside them and sees those refusals too.
    """
    mcp.middleware.append(tool_call_counter(app.metrics))
