"""Build the MCP server: map tools, resources and routes onto the services. No logic here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import ToolAnnotations
from mcp_types import INVALID_PARAMS
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vigil_mcp import __version__
from vigil_mcp.app import App
from vigil_mcp.errors import InputError, NotFoundError, VigilError
from vigil_mcp.models import KnowledgeItem, SearchResult
from vigil_mcp.notify import advertise_list_changed
from vigil_mcp.services.knowledge import MAX_LIMIT, KnowledgeService

T = TypeVar("T")

INSTRUCTIONS = """\
vigil is an on-call support companion. It holds the team's operational knowledge (runbooks split
by section, Q&A learned from resolved tickets, skills) and answers questions about alerts,
error messages and symptoms from it.

Start with `search_knowledge` using the words an on-call engineer would type: an alert name
(etcdMembersDown), an error code (ERR_CONN_RESET), a component (kube-apiserver) or a symptom
("disk full on gitaly node"). Each hit has an id; fetch the full text with `get_knowledge`
or read the resource vigil://knowledge/{id}. Cite the ids you used when you answer.
"""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def call_service(fn: Callable[[], T]) -> T:
    """Run a service call, mapping vigil errors onto MCP's two error channels."""
    try:
        return fn()
    except InputError as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
    except VigilError as exc:
        raise ToolError(str(exc)) from None


async def call_service_async(knowledge: KnowledgeService, fn: Callable[[], T]) -> T:
    """As `call_service`, but off the event loop while the index is still warming up."""
    if knowledge.ready:
        return call_service(fn)
    return await anyio.to_thread.run_sync(call_service, fn)


def render_item(item: KnowledgeItem) -> str:
    """A knowledge item as Markdown, with its provenance."""
    heading = f"# {item.title}"
    section = f"\n\n## {item.section}" if item.section else ""
    tags = f"\ntags: {', '.join(item.tags)}" if item.tags else ""
    return (
        f"{heading}{section}\n\n{item.body}\n\n---\nid: {item.id}\nkind: {item.kind}\nsource: {item.source}{tags}\n"
        f"updated: {item.updated_at.isoformat()}\n"
    )


def register_knowledge(mcp: MCPServer[Any], knowledge: KnowledgeService) -> None:
    """search_knowledge, get_knowledge and the vigil://knowledge/{id} resource."""

    @mcp.tool(name="search_knowledge", title="Search knowledge", annotations=READ_ONLY)
    async def search_knowledge(
        query: Annotated[str, Field(description="Words to look for: alert names, error codes, symptoms.")],
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many hits to return.")] = 5,
        kind: Annotated[
            str | None, Field(description="Only items of this kind: runbook, qa, skill. Omit for all.")
        ] = None,
    ) -> SearchResult:
        """Search vigil's knowledge (runbooks, learned Q&A, skills) with BM25 and return the best hits.

        Each hit carries an id (read it in full with get_knowledge), its document title, the section,
        a snippet around the best match, the score and the source. Technical tokens such as
        ERR_CONN_RESET, etcdMembersDown, v1.27.3 or kube-apiserver match whole and by their parts.
        """
        return await call_service_async(knowledge, lambda: knowledge.search(query, limit, kind))

    @mcp.tool(name="get_knowledge", title="Get a knowledge item", annotations=READ_ONLY)
    def get_knowledge(
        id: Annotated[str, Field(description="An id from a search hit, such as kb-0123456789abcdef.")],
    ) -> KnowledgeItem:
        """Return one knowledge item in full: title, section, body, kind, source, tags and timestamps."""
        return call_service(lambda: knowledge.get(id))

    @mcp.resource(
        "vigil://knowledge/{id}",
        name="knowledge-item",
        title="Knowledge item",
        description="A knowledge item (runbook section, Q&A, skill) as Markdown with its provenance.",
        mime_type="text/markdown",
    )
    def knowledge_resource(id: str) -> str:
        """A knowledge item as Markdown."""
        try:
            return render_item(knowledge.get(id))
        except NotFoundError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        except VigilError as exc:
            raise ResourceError(str(exc)) from None


def register_routes(mcp: MCPServer[Any], app: App) -> None:
    """Plain HTTP routes served beside /mcp."""

    @mcp.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        ready = app.knowledge.ready
        body = {
            "status": "ok" if ready else "starting",
            "version": __version__,
            "index_ready": ready,
            "knowledge_items": app.knowledge.index.n_docs if ready else None,
        }
        return JSONResponse(body, status_code=200 if ready else 503)


def build_server(app: App) -> MCPServer[Any]:
    """The vigil MCP server over the given services."""
    mcp: MCPServer[Any] = MCPServer(
        name="vigil",
        title="vigil: on-call support companion",
        description="Knowledge lookup, diagnostics and proactive answers for live support conversations.",
        instructions=INSTRUCTIONS,
        version=__version__,
        subscriptions=app.notifier.bus,
    )
    mcp.middleware.append(app.notifier.middleware)
    advertise_list_changed(mcp)
    register_knowledge(mcp, app.knowledge)
    register_routes(mcp, app)
    return mcp
