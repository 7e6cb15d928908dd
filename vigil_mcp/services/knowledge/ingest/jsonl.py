"""Runbook JSONL: one Markdown document per line, as `{"id"|"path", "title", "text", "tags"}`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.chunking import chunk_markdown
from vigil_mcp.services.knowledge.ingest.document import Document, Parsed

SUFFIXES = frozenset({".jsonl", ".ndjson"})
PARSER = "jsonl-1"


def jsonl_documents(path: Path, text: str) -> Parsed:
    """Every good line of a runbook JSONL file; bad lines are skipped with their number and reason."""
    parsed = Parsed()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.skipped.append(SkippedInput(path=str(path), line=lineno, reason=f"not JSON: {exc.msg}"))
            continue
        except RecursionError:
            parsed.skipped.append(SkippedInput(path=str(path), line=lineno, reason="JSON nested too deeply"))
            continue
        if not isinstance(record, dict):
            parsed.skipped.append(SkippedInput(path=str(path), line=lineno, reason="not a JSON object"))
            continue
        rec: dict[str, Any] = record  # pyright: ignore[reportUnknownVariableType]
        body = rec.get("text")
        source = rec.get("id") or rec.get("path")
        if not isinstance(body, str) or not body.strip():
            parsed.skipped.append(SkippedInput(path=str(path), line=lineno, reason='no "text" string field'))
            continue
        if not isinstance(source, str) or not source.strip():
            parsed.skipped.append(SkippedInput(path=str(path), line=lineno, reason='no "id" or "path" string field'))
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
        parsed.documents.append(
            Document(
                source=source,
                title=chunks[0].title if chunks else source,
                chunks=chunks,
                tags=tags,
            )
        )
    return parsed
