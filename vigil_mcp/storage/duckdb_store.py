"""The DuckDB store: every table group over one connection; `open_store` picks the backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vigil_mcp.errors import StoreError
from vigil_mcp.storage.duckdb_knowledge import KnowledgeTables
from vigil_mcp.storage.duckdb_learning import LearningTables
from vigil_mcp.storage.duckdb_tickets import TicketTables

if TYPE_CHECKING:
    from vigil_mcp.storage.postgres import PostgresStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")  # as config.POSTGRES_SCHEMES (storage imports no config)


class DuckDBStore(KnowledgeTables, TicketTables, LearningTables):
    """The DuckDB implementation of `KnowledgeStore`, `TicketStore` and `LearningStore`."""


def open_store(location: Path | str) -> DuckDBStore | PostgresStore:
    """Open (and migrate) the store: a DuckDB file, ':memory:', or a postgresql:// URL."""
    if isinstance(location, str) and location.startswith(POSTGRES_SCHEMES):
        try:
            from vigil_mcp.storage.postgres import PostgresStore
        except ImportError as exc:  # psycopg is an optional extra
            raise StoreError(
                f"a PostgreSQL store needs psycopg ({exc.name} is not installed): "
                'pip install "mcp-server-vigil[postgresql]"'
            ) from None
        return PostgresStore(location)
    return DuckDBStore(location)
