"""What every reader produces: documents already chunked, and what it could not use."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.chunking import Chunk


@dataclass(slots=True)
class Document:
    """One source document, already chunked."""

    source: str
    title: str
    chunks: list[Chunk]
    tags: tuple[str, ...] = ()
    product: str | None = None  # the product it documents (None: every ticket may be answered from it)


@dataclass(slots=True)
class Parsed:
    """What one file gave: its documents, what was skipped, and notes on what was read with a caveat."""

    documents: list[Document] = field(default_factory=list[Document])
    skipped: list[SkippedInput] = field(default_factory=list[SkippedInput])
    notes: list[SkippedInput] = field(default_factory=list[SkippedInput])


@dataclass(slots=True)
class Walk:
    """The documents found under some paths, and what was skipped."""

    documents: list[Document] = field(default_factory=list[Document])
    skipped: list[SkippedInput] = field(default_factory=list[SkippedInput])
    notes: list[SkippedInput] = field(default_factory=list[SkippedInput])
