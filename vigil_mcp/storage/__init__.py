"""Storage: the narrow interface services use, and its DuckDB implementation."""

from vigil_mcp.storage.base import (
    KnowledgeChange,
    KnowledgeRow,
    KnowledgeStore,
    LearningStore,
    PassageRecord,
    TicketStore,
)
from vigil_mcp.storage.duckdb_store import DuckDBStore, open_store

__all__ = [
    "DuckDBStore",
    "KnowledgeChange",
    "KnowledgeRow",
    "KnowledgeStore",
    "LearningStore",
    "PassageRecord",
    "TicketStore",
    "open_store",
]
