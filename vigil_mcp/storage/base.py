"""The narrow storage interface. DuckDB implements it today; PostgreSQL is planned.

Services talk to storage only through `KnowledgeStore`, so a second backend needs nothing more
than these methods and the same transaction guarantees: every `apply_knowledge` is one atomic
write, and writes never interleave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vigil_mcp.models import KnowledgeItem
from vigil_mcp.services.bm25 import Snapshot


@dataclass(frozen=True, slots=True)
class KnowledgeRow:
    """A knowledge item as written, with its index bookkeeping."""

    id: str
    doc_no: int
    kind: str
    title: str
    section: str
    body: str
    source: str
    tags: tuple[str, ...]
    content_hash: str
    length: int


@dataclass(frozen=True, slots=True)
class DocRecord:
    """What search needs to show a hit without touching the store."""

    id: str
    kind: str
    title: str
    section: str
    source: str
    body: str


@dataclass(frozen=True, slots=True)
class KnowledgeChange:
    """One atomic knowledge write: upserts with their postings, removals, new terms."""

    upserts: Sequence[KnowledgeRow] = ()
    postings: Sequence[tuple[int, int, int]] = ()  # (doc_no, term_id, tf) for every upserted doc
    new_terms: Mapping[str, int] = field(default_factory=dict[str, int])
    remove_ids: Sequence[str] = ()


class KnowledgeStore(Protocol):
    """Everything the knowledge service asks of a store."""

    path: str

    def source_items(self, sources: Sequence[str]) -> dict[str, dict[str, tuple[int, str]]]:
        """Items already stored from each source: source -> id -> (doc_no, content_hash)."""
        ...

    def doc_nos(self, ids: Sequence[str]) -> dict[str, int]:
        """doc_no of each stored id among `ids`."""
        ...

    def terms_of(self, doc_nos: Sequence[int]) -> list[str]:
        """The vocabulary of the given documents (to drop their postings quickly)."""
        ...

    def apply_knowledge(self, change: KnowledgeChange) -> None:
        """Write a change in one transaction; on failure nothing of it is stored."""
        ...

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        ...

    def count_knowledge(self) -> dict[str, int]:
        """Item counts by kind."""
        ...

    def load_index(self) -> tuple[Snapshot, dict[int, DocRecord]]:
        """Everything the in-memory index and hit display need, read in one go."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
