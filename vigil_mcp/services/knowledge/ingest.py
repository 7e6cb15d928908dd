"""Read Markdown files, folders of Markdown, and runbook JSONL into documents to index.

Nothing here writes: it yields documents and reports what it skipped (file, line, reason),
so one bad file or line never stops the rest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.chunking import Chunk, chunk_markdown, split_front_matter

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class Document:
    """One source document, already chunked."""

    source: str
    title: str
    chunks: list[Chunk]
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class Walk:
    """The documents found under some paths, and what was skipped."""

    documents: list[Document] = field(default_factory=list[Document])
    skipped: list[SkippedInput] = field(default_factory=list[SkippedInput])


def _read_text(path: Path, skipped: list[SkippedInput]) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            skipped.append(SkippedInput(path=str(path), reason=f"file is {size} bytes; the limit is {MAX_FILE_BYTES}"))
            return None
        data = path.read_bytes()
    except OSError as exc:
        skipped.append(SkippedInput(path=str(path), reason=f"cannot read: {exc.strerror or exc}"))
        return None
    if b"\x00" in data[:8192]:
        skipped.append(SkippedInput(path=str(path), reason="binary file (contains NUL bytes); give Markdown or JSONL"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        skipped.append(SkippedInput(path=str(path), reason=f"not UTF-8 (byte {exc.start}); re-save the file as UTF-8"))
        return None


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
    return Document(source=str(path.resolve()), title=doc_title, chunks=chunks, tags=_tags_from(meta.get("tags", "")))


def _jsonl_documents(path: Path, text: str, walk: Walk) -> None:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            walk.skipped.append(SkippedInput(path=str(path), line=lineno, reason=f"not JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            walk.skipped.append(SkippedInput(path=str(path), line=lineno, reason="not a JSON object"))
            continue
        rec: dict[str, Any] = record  # pyright: ignore[reportUnknownVariableType]
        body = rec.get("text")
        source = rec.get("id") or rec.get("path")
        if not isinstance(body, str) or not body.strip():
            walk.skipped.append(SkippedInput(path=str(path), line=lineno, reason='no "text" string field'))
            continue
        if not isinstance(source, str) or not source.strip():
            walk.skipped.append(SkippedInput(path=str(path), line=lineno, reason='no "id" or "path" string field'))
            continue
        title = rec.get("title")
        title = title.strip() if isinstance(title, str) and title.strip() else None
        chunks = chunk_markdown(body, title)
        tags: tuple[str, ...] = ()
        raw_tags = rec.get("tags")
        if isinstance(raw_tags, list):
            tags = tuple(str(t) for t in raw_tags if isinstance(t, str | int))  # pyright: ignore[reportUnknownVariableType]
        elif "/" in source:
            tags = (source.split("/", 1)[0],)
        walk.documents.append(
            Document(source=source, title=chunks[0].title if chunks else source, chunks=chunks, tags=tags)
        )


def _add_file(path: Path, walk: Walk) -> None:
    suffix = path.suffix.lower()
    if suffix not in MARKDOWN_SUFFIXES and suffix not in JSONL_SUFFIXES:
        walk.skipped.append(SkippedInput(path=str(path), reason="not Markdown (.md) or JSONL (.jsonl)"))
        return
    text = _read_text(path, walk.skipped)
    if text is None:
        return
    if suffix in JSONL_SUFFIXES:
        _jsonl_documents(path, text, walk)
    else:
        doc = markdown_document(path, text)
        if doc.chunks:
            walk.documents.append(doc)
        else:
            walk.skipped.append(SkippedInput(path=str(path), reason="empty document"))


def walk_paths(paths: Sequence[Path]) -> Walk:
    """Every document under `paths` (folders are searched for Markdown and JSONL)."""
    walk = Walk()
    for path in paths:
        if not path.exists():
            walk.skipped.append(SkippedInput(path=str(path), reason="no such file or folder"))
        elif path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in MARKDOWN_SUFFIXES | JSONL_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                walk.skipped.append(SkippedInput(path=str(path), reason="folder holds no .md or .jsonl files"))
            for file in found:
                _add_file(file, walk)
        else:
            _add_file(path, walk)
    return walk
