"""search_knowledge, get_knowledge and the vigil://knowledge/{id} resource."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from vigil_mcp.models import KnowledgeItem, SearchResult
from vigil_mcp.server.annotations import READ_ONLY
from vigil_mcp.server.errors import call_service, call_service_in_thread, read_resource
from vigil_mcp.server.schema import flatten_output_schema
from vigil_mcp.services.knowledge.service import MAX_LIMIT, KnowledgeService


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
        if knowledge.ready:  # answered on the loop: ~1 ms, cheaper than a thread hop
            return call_service(lambda: knowledge.search(query, limit, kind))
        return await call_service_in_thread(lambda: knowledge.search(query, limit, kind))

    @mcp.tool(name="get_knowledge", title="Get a knowledge item", annotations=READ_ONLY)
    def get_knowledge(
        id: Annotated[str, Field(description="An id from a search hit, such as kb-0123456789abcdef.")],
    ) -> KnowledgeItem:
        """Return one knowledge item in full: title, section, body, kind, source, tags and timestamps."""
        return call_service(lambda: knowledge.get(id))

    for name in ("search_knowledge", "get_knowledge"):
        flatten_output_schema(mcp, name)

    @mcp.resource(
        "vigil://knowledge/{id}",
        name="knowledge-item",
        title="Knowledge item",
        description="A knowledge item (runbook section, Q&A, skill) as Markdown with its provenance.",
        mime_type="text/markdown",
    )
    def knowledge_resource(id: str) -> str:
        """A knowledge item as Markdown."""
        return read_resource(lambda: render_item(knowledge.get(id)))
