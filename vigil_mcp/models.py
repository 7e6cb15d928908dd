"""Shared vocabulary: the shapes that cross service, storage and MCP boundaries."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class KnowledgeItem(BaseModel):
    """One stored piece of knowledge: a runbook section, a learned Q&A, a skill."""

    id: str = Field(description="Stable id; also readable as vigil://knowledge/{id}.")
    kind: str = Field(description="runbook, qa, skill, ...")
    title: str = Field(description="Title of the document this item comes from.")
    section: str = Field(description="Heading path inside the document, ' > ' separated; empty for the whole.")
    body: str = Field(description="The text of the item (Markdown).")
    source: str = Field(description="Where it came from: a file path, a runbook id, a ticket.")
    tags: list[str] = Field(default_factory=list[str])
    created_at: datetime
    updated_at: datetime


class SearchHit(BaseModel):
    """One ranked match of a knowledge search."""

    id: str
    kind: str
    title: str
    section: str
    snippet: str = Field(description="The part of the body that best matches the query.")
    score: float = Field(description="BM25 score; higher is better, comparable within one query only.")
    source: str


class SearchResult(BaseModel):
    """The answer to a knowledge search."""

    query: str
    hits: list[SearchHit]
    total_items: int = Field(description="How many items the index holds (of any kind).")


class SkippedInput(BaseModel):
    """Something ingestion could not use, with where and why."""

    path: str
    line: int | None = None
    reason: str


class IngestReport(BaseModel):
    """What one `knowledge add` did."""

    documents: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[SkippedInput] = Field(default_factory=list[SkippedInput])

    def summary(self) -> str:
        """One line for humans."""
        return (
            f"{self.documents} documents: {self.added} chunks added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed, {len(self.skipped)} skipped"
        )
