"""Markdown files: front matter (`title`, `tags`) and heading sections."""

from __future__ import annotations

from pathlib import Path

from vigil_mcp.services.knowledge.chunking import Chunk, chunk_markdown, split_front_matter
from vigil_mcp.services.knowledge.ingest.document import Document

SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
# Recorded with each file's hash: a new version re-reads files ingested by an older one.
PARSER = "markdown-1"


def _tags_from(meta_tags: str) -> tuple[str, ...]:
    raw = meta_tags.strip().strip("[]")
    return tuple(t.strip().strip("\"'") for t in raw.split(",") if t.strip().strip("\"'"))


def markdown_document(path: Path, text: str) -> Document:
    """A Markdown file as a document; front matter may give `title` and `tags`."""
    meta, body = split_front_matter(text)
    title = meta.get("title") or None
    chunks = chunk_markdown(body, title)
    doc_title = chunks[0].title if chunks else (title or path.stem)
    if doc_title == "Untitled":
        doc_title = path.stem
        chunks = [Chunk(title=doc_title, section=c.section, body=c.body) for c in chunks]
    return Document(
        source=str(path.resolve()),
        title=doc_title,
        chunks=chunks,
        tags=_tags_from(meta.get("tags", "")),
    )
