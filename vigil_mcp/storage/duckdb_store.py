"""The DuckDB store: every table group over one connection."""

from __future__ import annotations

from pathlib import Path

from vigil_mcp.storage.duckdb_knowledge import KnowledgeTables
from vigil_mcp.storage.duckdb_learning import LearningTables
from vigil_mcp.storage.duckdb_tickets import TicketTables


class DuckDBStore(KnowledgeTables, TicketTables, LearningTables):
    """The DuckDB implementation of `KnowledgeStore`, `TicketStore` and `LearningStore`."""


def open_store(path: Path | str) -> DuckDBStore:
    """Open (and migrate) the store at `path`, or ':memory:'."""
    return DuckDBStore(path)
