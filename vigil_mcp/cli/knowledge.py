"""`vigil knowledge add|search|get|stats`: on the store, or through the `vigil serve` that owns it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from vigil_mcp.cli.options import global_options, json_option, settings_of
from vigil_mcp.config import Settings
from vigil_mcp.errors import NotFoundError
from vigil_mcp.models import IngestReport
from vigil_mcp.storage.location import shown as shown_store


def running_owner(settings: Settings) -> Path | None:
    """The socket of the `vigil serve` that owns this home, when one is running (then the CLI asks it)."""
    from vigil_mcp.transport.shared import owner_answers, socket_path

    path = socket_path(settings.home)
    return path if owner_answers(path) else None


def ask_owner(path: Path, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call one tool of the running server over the home's socket; its errors become VigilErrors."""
    import anyio
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from vigil_mcp.errors import InputError, VigilError
    from vigil_mcp.transport.shared import socket_client

    async def call() -> dict[str, Any]:
        async with Client(socket_client(path)) as client:
            if tool.startswith("vigil://"):
                contents = (await client.read_resource(tool)).contents
                return json.loads(getattr(contents[0], "text", "{}"))
            result = await client.call_tool(tool, arguments)
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            raise (NotFoundError if "no knowledge item" in text else VigilError)(text)
        return dict(result.structured_content or {})

    try:
        return anyio.run(call)
    except MCPError as exc:
        raise InputError(exc.error.message) from None


def existing_store(settings: Settings) -> Settings:
    """The settings, once their store is known to exist: reading never creates one."""
    if settings.store_url is None and not settings.store.exists():
        raise NotFoundError(f"no store at {settings.store} yet; add knowledge first: vigil knowledge add PATH")
    return settings


@click.group()
def knowledge() -> None:
    """Add to and search the knowledge base.

    Runbooks, product docs and the Q&A vigil learns from resolved tickets.
    """


@knowledge.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PATH...")
@click.option(
    "--kind", default=None, help="kind of the added items [default: runbook for Markdown and JSONL, doc for the rest]"
)
@click.option(
    "--product",
    metavar="NAME",
    help="the product these documents are about (such as stripe): only its tickets, and tickets without a "
    "product, are answered from them [default: every ticket]",
)
@global_options
@click.pass_context
def add(ctx: click.Context, paths: tuple[Path, ...], kind: str | None, product: str | None) -> int:
    """Add documents: files, folders and runbook JSONL.

    Markdown, runbook JSONL, HTML pages and OpenAPI 3 specs (JSON or YAML); folders are walked.
    A file whose content is unchanged since it was last added is not read again (adding it again
    with another --product only relabels its items).
    """
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import err, out
    from vigil_mcp.errors import InputError
    from vigil_mcp.models import SkippedInput
    from vigil_mcp.progress import ProgressBar
    from vigil_mcp.services.product import valid_product

    settings = settings_of(ctx)
    product = valid_product(product)
    if not any(path.exists() for path in paths):  # nothing to add: never create an empty store for it
        shown = ", ".join(str(p) for p in paths)
        raise InputError(f"{shown}: no such file or folder; nothing added (give Markdown, HTML or JSONL paths)")
    owner = running_owner(settings)
    if owner is not None:  # a running vigil serve holds the store: it ingests, and its clients see it at once
        report = IngestReport()
        for path in paths:
            if not path.exists():
                report.skipped.append(SkippedInput(path=str(path), reason="no such file or folder"))
                continue
            arguments = {"path": str(path.resolve())} | ({"kind": kind} if kind else {})
            arguments |= {"product": product} if product else {}
            part = ask_owner(owner, "add_knowledge", arguments)
            report = report.plus(IngestReport.model_validate(part))
        where = f"{shown_store(settings.store_location())} (through the running vigil serve)"
    else:
        app = build_app(settings)
        try:
            report = app.knowledge.add_paths(list(paths), kind=kind, progress=ProgressBar("ingesting"), product=product)
        finally:
            app.close()
        where = shown_store(settings.store_location())
    for skipped in report.skipped:
        shown = f"{skipped.path}:{skipped.line}" if skipped.line else skipped.path
        err(f"skipped {shown}: {skipped.reason}")
    for note in report.notes:
        err(f"note {note.path}: {note.reason}")
    out(report.summary() + f" -> {where}")
    return 0 if report.documents or report.unchanged_files or not report.skipped else 1


@knowledge.command()
@click.argument("query")
@click.option("--limit", type=int, default=5, show_default=True, help="how many hits")
@click.option("--kind", help="only items of this kind (runbook, qa, skill, ...)")
@click.option("--product", metavar="NAME", help="only items of this product and items with no product")
@json_option("the result")
@global_options
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, kind: str | None, product: str | None, as_json: bool) -> int:
    """BM25 search, best hits first."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import out
    from vigil_mcp.models import SearchResult

    settings = settings_of(ctx)
    owner = running_owner(settings)
    if owner is not None:
        arguments: dict[str, Any] = {"query": query, "limit": limit, "kind": kind, "product": product}
        result = SearchResult.model_validate(ask_owner(owner, "search_knowledge", arguments))
    else:
        app = build_app(existing_store(settings))
        try:
            result = app.knowledge.search(query, limit, kind, product=product)
        finally:
            app.close()
    if as_json:
        out(result.model_dump_json(indent=2))
        return 0
    if not result.hits:
        out(f"no hits for {query!r} among {result.total_items} items")
    for rank, hit in enumerate(result.hits, 1):
        section = f" > {hit.section}" if hit.section else ""
        out(f"{rank:2}. {hit.score:8.3f}  {hit.title}{section}  [{hit.id}, {hit.kind}]")
        out(f"    {hit.snippet}")
        out(f"    source: {hit.source}{'#' + hit.anchor if hit.anchor else ''}")
    return 0


@knowledge.command()
@click.argument("id")
@json_option("the item")
@global_options
@click.pass_context
def get(ctx: click.Context, id: str, as_json: bool) -> int:
    """Print one item by id, as Markdown with its provenance."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import out
    from vigil_mcp.models import KnowledgeItem
    from vigil_mcp.server.knowledge import render_item

    settings = settings_of(ctx)
    owner = running_owner(settings)
    if owner is not None:
        item = KnowledgeItem.model_validate(ask_owner(owner, "get_knowledge", {"id": id}))
    else:
        app = build_app(existing_store(settings))
        try:
            item = app.knowledge.get(id)
        finally:
            app.close()
    out(item.model_dump_json(indent=2) if as_json else render_item(item))
    return 0


@knowledge.command()
@global_options
@click.pass_context
def stats(ctx: click.Context) -> int:
    """Count the stored items by kind (JSON)."""
    from vigil_mcp.app import build_app
    from vigil_mcp.cli import out

    settings = settings_of(ctx)
    owner = running_owner(settings)
    if owner is not None:
        counts: dict[str, Any] = ask_owner(owner, "vigil://stats", {})["items"]
    else:
        app = build_app(existing_store(settings))
        try:
            counts = dict(sorted(app.knowledge.counts().items()))
        finally:
            app.close()
    out(json.dumps({"store": shown_store(settings.store_location()), "items": counts, "total": sum(counts.values())}))
    return 0
