"""The DuckDB connection every table group shares: one writer at a time, numbered migrations.

Every write goes through `_write()`, which holds a process-wide lock for the whole transaction,
so concurrent MCP calls (sync tools run on worker threads) never interleave a write or lose one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from vigil_mcp.errors import StoreError
from vigil_mcp.storage.migrations import LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

_DUCKDB_MAGIC = b"DUCK"


def _check_file(path: Path) -> None:
    """Refuse, before DuckDB touches it, a file that exists but is not a DuckDB database."""
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"store path {path} is a directory; give a file path such as {path / 'knowledge.duckdb'}")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head and head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} exists but is not a DuckDB database; vigil will not overwrite it. "
            "Move it away or point VIGIL_HOME / --store at another file."
        )


class DuckDBConnection:
    """One DuckDB connection, migrated on open; subclasses add table groups."""

    shared = False  # DuckDB lets one process write a file: what this process cached stays true
    # False once a claim found the learning queue empty; every write that queues a job sets it again
    # (under the same lock), so the worker's "anything left?" after each job costs no query.
    _jobs_may_wait = True

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        if self.path != ":memory:":
            file = Path(self.path)
            _check_file(file)
            file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise StoreError(
                    f"store {self.path} is in use by another process ({text.splitlines()[-1].strip()}). "
                    "Stop the other vigil process, or use its MCP tools instead of the CLI."
                ) from exc
            raise StoreError(f"cannot open store {self.path}: {text}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        try:
            self._migrate()
        except BaseException:
            self._con.close()
            raise

    # ---- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Generator[duckdb.DuckDBPyConnection]:
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def _write_one(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """One write statement: DuckDB runs it as its own transaction, without a BEGIN and a COMMIT to send."""
        with self._lock:
            self._con.execute(sql, params)

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._lock:
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            row = self._con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
            current = int(row[0]) if row else 0
            if current > LATEST_VERSION:
                raise StoreError(
                    f"store {self.path} has schema version {current}, newer than this vigil understands "
                    f"({LATEST_VERSION}); upgrade vigil (pip install -U mcp-server-vigil). The store was not changed."
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                with self._write() as con:
                    con.execute(migration.sql)
                    con.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [migration.version, migration.name, datetime.now(UTC)],
                    )
                log.info("store %s migrated to version %d (%s)", self.path, migration.version, migration.name)

    def _release_memory(self) -> None:
        """Hand DuckDB's buffers back after a bulk read.

        Reading every posting (sorted) leaves ~200 MB in DuckDB's buffer pool at 100k documents,
        which a long-running server never needs again; only closing the database frees it.
        """
        if self.path == ":memory:":
            return
        with self._lock:
            self._con.close()
            self._con = duckdb.connect(self.path)

    def schema_version(self) -> int:
        """The highest migration applied."""
        return int(self._query("SELECT max(version) FROM schema_migrations")[0][0])

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._con.close()
