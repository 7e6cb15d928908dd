"""Look at a store file without changing it: no migration, no write lock (for `vigil doctor`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from vigil_mcp.storage.migrations import LATEST_VERSION

_PID = re.compile(r"PID (\d+)")


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What a read-only look at the store found; `locked_by` is set when another process holds it."""

    path: Path
    exists: bool
    schema_version: int | None = None
    latest_version: int = LATEST_VERSION
    knowledge_by_kind: dict[str, int] = field(default_factory=dict[str, int])
    tickets: int | None = None
    locked_by: str | None = None  # "PID 1234" or "another process"
    error: str | None = None


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, int]]:
    return [(str(r[0]), int(r[1])) for r in con.execute(sql).fetchall()]


def inspect_store(path: Path) -> StoreInfo:
    """Open `path` read-only and report its schema version and counts, or why it cannot be opened."""
    if not path.exists():
        return StoreInfo(path, exists=False)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _PID.search(text)
            return StoreInfo(path, exists=True, locked_by=f"PID {pid.group(1)}" if pid else "another process")
        return StoreInfo(path, exists=True, error=text.splitlines()[0])
    except Exception as exc:  # not a DuckDB file, unreadable, a newer format...
        return StoreInfo(path, exists=True, error=str(exc).splitlines()[0])
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        version = 0
        if "schema_migrations" in tables:
            row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
            version = int(row[0]) if row else 0
        kinds = dict(_count(con, "SELECT kind, count(*) FROM knowledge GROUP BY kind")) if "knowledge" in tables else {}
        tickets = _count(con, "SELECT 'tickets', count(*) FROM tickets")[0][1] if "tickets" in tables else None
        return StoreInfo(path, exists=True, schema_version=version, knowledge_by_kind=kinds, tickets=tickets)
    except duckdb.Error as exc:
        return StoreInfo(path, exists=True, error=str(exc).splitlines()[0])
    finally:
        con.close()
