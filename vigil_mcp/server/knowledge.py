"""search_knowledge, get_knowledge, add_knowledge and the vigil://knowledge/{id} resource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from vigil_mcp.errors import InputError
from vigil_mcp.models import IngestReport, KnowledgeItem, SearchResult
from vigil_mcp.server.annotations import READ_ONLY
from vigil_mcp.server.connection import local_client
from vigil_mcp.server.errors import call_service, call_service_in_thread, read_resource
from vigil_mcp.server.schema import flatten_output_schema
from vigil_mcp.services.knowledge.chunking import chunk_markdown
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import MAX_LIMIT, KnowledgeService
from vigil_mcp.services.product import valid_product
from vigil_mcp.services.redact import redact

# Adding the same source again updates it in place: a write, never destructive, idempotent.
ADDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
MAX_BODY_CHARS = 400_000  # the HTTP body cap is 512 KiB; stdio gets the same limit
TITLE_CHARS = 300
PRODUCT_HELP = (
    "The product this knowledge documents (a short name such as stripe or ubuntu: letters, digits, - or _); "
    "only tickets of that product, and tickets without one, are answered from it. Omit for every ticket."
)
PATH_HELP = (
    "Instead of title and body: a file or folder on the server's machine (Markdown, HTML, OpenAPI, runbook "
    "JSONL). Only over stdio, where client and server are one user; refused over HTTP."
)


class KnowledgeAdded(IngestReport):
    """What add_knowledge stored."""

    source: str = Field(description="The source the document is stored under; add again with it to update.")
    redacted: int = Field(0, description="Credentials and personal data masked before storing.")


def _text_document(title: str, body: str, source: str | None, product: str | None) -> tuple[Document, int]:
    title = " ".join(title.split())
    if not title or len(title) > TITLE_CHARS:
        raise InputError(f"title must be 1 to {TITLE_CHARS} characters")
    if not body.strip():
        raise InputError("body is empty; give the document's text (Markdown)")
    if len(body) > MAX_BODY_CHARS:
        raise InputError(f"body is {len(body):,} characters, over {MAX_BODY_CHARS:,}; split the document")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "document"
    where = (source or "").strip() or f"mcp:{slug}"
    clean_title, clean_body = redact(title), redact(body)
    chunks = chunk_markdown(clean_body.text, clean_title.text)
    found = len(clean_title.findings) + len(clean_body.findings)
    return Document(where, clean_title.text, chunks, product=valid_product(product)), found


def render_item(item: KnowledgeItem) -> str:
    """A knowledge item as Markdown, with its provenance."""
    heading = f"# {item.title}"
    section = f"\n\n## {item.section}" if item.section else ""
    tags = f"\ntags: {', '.join(item.tags)}" if item.tags else ""
    product = f"\nproduct: {item.product}" if item.product else ""
    return (
        f"{heading}{section}\n\n{item.body}\n\n---\nid: {item.id}\nkind: {item.kind}\nsource: {item.source}{tags}"
        f"{product}\n"
        f"updated: {item.updated_at.isoformat()}\n"
    )


def register_knowledge(mcp: MCPServer[Any], knowledge: KnowledgeService, *, local_paths: bool = False) -> None:
    """search_knowledge, get_knowledge, add_knowledge and the vigil://knowledge/{id} resource.

    With `local_paths` (stdio and the home's socket, where client and server are one user),
    add_knowledge also reads a file or folder on this machine; over HTTP it takes text only.
    """

    @mcp.tool(name="search_knowledge", title="Search knowledge", annotations=READ_ONLY)
    async def search_knowledge(
        query: Annotated[str, Field(description="Words to look for: alert names, error codes, symptoms.")],
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many hits to return.")] = 5,
        kind: Annotated[
            str | None, Field(description="Only items of this kind: runbook, qa, skill. Omit for all.")
        ] = None,
        product: Annotated[
            str | None,
            Field(description="Only items of this product (such as stripe) and items with no product. Omit for all."),
        ] = None,
    ) -> SearchResult:
        """Search vigil's knowledge (runbooks, learned Q&A, skills) with BM25 and return the best hits.

        Each hit carries an id (read it in full with get_knowledge), its document title, the section,
        a snippet around the best match, the score and the source. Technical tokens such as
        ERR_CONN_RESET, etcdMembersDown, v1.27.3 or kube-apiserver match whole and by their parts.
        """
        if knowledge.ready:  # answered on the loop: ~1 ms, cheaper than a thread hop
            return call_service(lambda: knowledge.search(query, limit, kind, product=product))
        return await call_service_in_thread(lambda: knowledge.search(query, limit, kind, product=product))

    @mcp.tool(name="get_knowledge", title="Get a knowledge item", annotations=READ_ONLY)
    def get_knowledge(
        id: Annotated[str, Field(description="An id from a search hit, such as kb-0123456789abcdef.")],
    ) -> KnowledgeItem:
        """Return one knowledge item in full: title, section, body, kind, source, tags and timestamps."""
        return call_service(lambda: knowledge.get(id))

    @mcp.tool(name="add_knowledge", title="Add knowledge", annotations=ADDS)
    async def add_knowledge(
        title: Annotated[str | None, Field(description="The document's title.")] = None,
        body: Annotated[
            str | None, Field(description="The document's text, Markdown; long ones are split by heading.")
        ] = None,
        source: Annotated[
            str | None,
            Field(description="Where it comes from (a URL or name); adding the same source again updates it."),
        ] = None,
        kind: Annotated[
            str | None,
            Field(
                description="Kind of item: runbook, qa, doc, ...; omit for runbook (text) or each file format's own."
            ),
        ] = None,
        path: Annotated[str | None, Field(description=PATH_HELP)] = None,
        product: Annotated[str | None, Field(description=PRODUCT_HELP)] = None,
    ) -> KnowledgeAdded:
        """Add a document to vigil's knowledge (runbook, product doc, Q&A) so search_knowledge finds it at once.

        Give title and body (and a source to update it later). Credentials and personal data in the
        text are masked before storing.
        """
        if path is not None:
            local = local_paths or local_client.get()
            target = call_service(lambda: _local_target(path, local, title is not None or body is not None))
            scope = call_service(lambda: valid_product(product))
            report = await call_service_in_thread(lambda: knowledge.add_paths([target], kind=kind, product=scope))
            return KnowledgeAdded(**report.model_dump(), source=str(target.resolve()))
        document, masked = call_service(lambda: _text_document(title or "", body or "", source, product))
        report = await call_service_in_thread(lambda: knowledge.add_documents([document], kind=kind or "runbook"))
        return KnowledgeAdded(**report.model_dump(), source=document.source, redacted=masked)

    for name in ("search_knowledge", "get_knowledge", "add_knowledge"):
        flatten_output_schema(mcp, name)

    @mcp.resource(
        "vigil://stats",
        name="knowledge-stats",
        title="Knowledge statistics",
        description="How many knowledge items vigil holds, by kind, as JSON.",
        mime_type="application/json",
    )
    def stats_resource() -> str:
        """Knowledge counts by kind."""
        counts = dict(sorted(knowledge.counts().items()))
        return json.dumps({"items": counts, "total": sum(counts.values())})

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


def _local_target(path: str, allowed: bool, with_text: bool) -> Path:
    """The file or folder add_knowledge may read, or InputError saying why not."""
    if not allowed:
        raise InputError("path is only read over stdio (where client and server are one user); send title and body")
    if with_text:
        raise InputError("give either path, or title and body, not both")
    target = Path(path).expanduser()
    if not target.exists():
        raise InputError(f"{target}: no such file or folder on the server's machine")
    return target
