"""The PostgreSQL connection pool every table group shares: transactions, numbered migrations, clear errors.

Any number of vigil replicas use one database. What one DuckDB process guarantees with its write
lock, this store guarantees with transactions, constraints and row locks, so every write is safe
whichever replica makes it. A lost database turns into `StoreUnavailable` (nothing written, retry
later) within `CONNECT_TIMEOUT`; at start a replica waits up to `OPEN_TIMEOUT` for its first
connection. The pool reconnects by itself when the database is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, cast

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from vigil_mcp.errors import StoreConflict, StoreError, StoreUnavailable
from vigil_mcp.storage.location import redact_url
from vigil_mcp.storage.postgres.migrations import LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0  # seconds a call waits for the database before it is refused
# Seconds a replica waits at start for its first connection: a database started beside it, or a busy
# host forking a backend for a freshly created database, can take longer than one call may wait.
OPEN_TIMEOUT = 15.0
POOL_SIZE = 8  # connections per replica: sync MCP tools run on worker threads
MIGRATION_LOCK = 0x7669_6731  # pg_advisory_xact_lock key: one replica migrates at a time


def where(filters: Mapping[LiteralString, Any]) -> tuple[LiteralString, list[Any]]:
    """`WHERE a = %s AND b = %s` for the filters whose value is not None, with those values."""
    used: list[tuple[LiteralString, Any]] = [(column, value) for column, value in filters.items() if value is not None]
    if not used:
        return "", []
    clause: LiteralString = "WHERE"
    for n, (column, _) in enumerate(used):
        joiner: LiteralString = " AND " if n else " "
        clause = clause + joiner + column + " = %s"
    return clause, [value for _, value in used]


def unavailable(url: str, exc: BaseException) -> StoreUnavailable:
    """The error a replica gives while its database is out of reach."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailable(
        f"the database {redact_url(url)} is unreachable ({detail}); this replica refuses writes until it is "
        "back and serves searches from memory meanwhile. Retry in a few seconds, or see GET /healthz"
    )


def _configure(con: psycopg.Connection[tuple[Any, ...]]) -> None:
    # Times come back in UTC, as DuckDB gives them, whatever the server's TimeZone.
    con.execute("SET TIME ZONE 'UTC'")


class PostgresConnection:
    """A pool of connections to one database, migrated on open; subclasses add table groups."""

    shared = True  # other replicas write the same tables

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = POOL_SIZE,
        connect_timeout: float = CONNECT_TIMEOUT,
        open_timeout: float = OPEN_TIMEOUT,
    ) -> None:
        self.url = url
        self.path = redact_url(url)
        self.connect_timeout = connect_timeout
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=connect_timeout,
            check=ConnectionPool.check_connection,  # a connection broken while idle is replaced, not handed out
            kwargs={"autocommit": True, "connect_timeout": max(1, round(connect_timeout))},
            reconnect_timeout=0,  # 0: never give up reconnecting while the database is away
            configure=_configure,
            name="vigil",
        )
        wait = max(connect_timeout, open_timeout)
        try:
            self._pool.open(wait=True, timeout=wait)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(
                f"cannot connect to {self.path} within {wait:g} s: check the URL, that PostgreSQL runs "
                "and accepts this user (`vigil doctor --store URL` says more)"
            ) from exc
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    # ---- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Generator[psycopg.Connection[tuple[Any, ...]]]:
        """A pooled connection; database trouble becomes StoreUnavailable, a constraint StoreConflict."""
        try:
            with self._pool.connection() as con:
                yield con
        except PoolTimeout as exc:
            raise unavailable(self.url, exc) from None
        except (psycopg.errors.UniqueViolation, psycopg.errors.SerializationFailure) as exc:
            what = exc.diag.constraint_name or exc.sqlstate
            raise StoreConflict(f"another replica wrote this first ({what})") from exc
        except psycopg.OperationalError as exc:
            raise unavailable(self.url, exc) from None

    @contextmanager
    def _write(self) -> Generator[psycopg.Connection[tuple[Any, ...]]]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._connection() as con, con.transaction():
            yield con

    def _query(self, query: LiteralString | sql.Composed, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._connection() as con:
            return con.execute(query, params).fetchall()

    def _migrate(self) -> None:
        with self._write() as con:
            # Replicas starting together: the first migrates, the others wait here and then find nothing to do.
            con.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
            current = int(row[0]) if row else 0
            if current > LATEST_VERSION:
                raise StoreError(
                    f"database {self.path} has schema version {current}, newer than this vigil understands "
                    f"({LATEST_VERSION}); upgrade vigil-mcp on every replica. The database was not changed."
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                con.execute(cast(LiteralString, migration.sql))  # our own constant SQL
                con.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", [migration.version, migration.name]
                )
                log.info("database %s migrated to version %d (%s)", self.path, migration.version, migration.name)

    def ping(self) -> float:
        """Seconds one round trip to the database takes; StoreUnavailable when it cannot be reached."""
        started = time.perf_counter()
        self._query("SELECT 1")
        return time.perf_counter() - started

    def schema_version(self) -> int:
        """The highest migration applied."""
        return int(self._query("SELECT max(version) FROM schema_migrations")[0][0])

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()
