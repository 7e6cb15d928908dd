"""Storage: the narrow interface services use, and its DuckDB implementation."""

from vigil_mcp.storage.base import (
    DocRecord,
    KnowledgeChange,
    KnowledgeRow,
    KnowledgeStore,
    LearningStore,
    TicketStore,
)
from vigil_mcp.storage.duckdb_store import DuckDBStore, open_store

__all__ = [
    "DocRecord",
    "DuckDBStore",
    "KnowledgeChange",
    "KnowledgeRow",
    "KnowledgeStore",
    "LearningStore",
    "TicketStore",
    "open_store",
]
