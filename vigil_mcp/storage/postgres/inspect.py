"""Look at a PostgreSQL store without changing it (for `vigil doctor --store postgresql://...`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from vigil_mcp.storage.location import redact_url
from vigil_mcp.storage.postgres.connection import CONNECT_TIMEOUT
from vigil_mcp.storage.postgres.migrations import LATEST_VERSION

_PROBE_CHANNEL = "vigil_doctor_probe"


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What a read-only look found; `error` says why the database could not be reached or read."""

    url: str  # without its password
    reachable: bool
    server_version: str | None = None
    schema_version: int | None = None
    latest_version: int = LATEST_VERSION
    knowledge_by_kind: dict[str, int] = field(default_factory=dict[str, int])
    tickets: int | None = None
    feed_entries: int | None = None
    round_trip_ms: float | None = None
    notify_ok: bool | None = None  # LISTEN/NOTIFY works (replicas wake each other with it)
    error: str | None = None


def _one(con: psycopg.Connection[tuple[Any, ...]], query: LiteralString) -> Any:
    row = con.execute(query).fetchone()
    return row[0] if row else None


def inspect_database(url: str, timeout: float = CONNECT_TIMEOUT) -> DatabaseInfo:
    """Connect, read the schema version and counts, and check that NOTIFY reaches a listener."""
    shown = redact_url(url)
    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=max(1, round(timeout)))
    except psycopg.Error as exc:
        return DatabaseInfo(shown, reachable=False, error=str(exc).strip().splitlines()[0])
    try:
        started = time.perf_counter()
        con.execute("SELECT 1")
        round_trip = (time.perf_counter() - started) * 1000
        version = str(_one(con, "SHOW server_version"))
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = current_schema()").fetchall()}  # fmt: skip
        schema = int(_one(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")) if (
            "schema_migrations" in tables) else 0  # fmt: skip
        kinds: dict[str, int] = {}
        if "knowledge" in tables:
            kinds = {str(r[0]): int(r[1]) for r in con.execute("SELECT kind, count(*) FROM knowledge GROUP BY kind")}
        tickets = int(_one(con, "SELECT count(*) FROM tickets")) if "tickets" in tables else None
        feed = int(_one(con, "SELECT count(*) FROM knowledge_changes")) if (
            "knowledge_changes" in tables) else None  # fmt: skip
        con.execute(sql.SQL("LISTEN {}").format(sql.Identifier(_PROBE_CHANNEL)))
        con.execute("SELECT pg_notify(%s, 'probe')", [_PROBE_CHANNEL])
        heard = any(n.payload == "probe" for n in con.notifies(timeout=timeout, stop_after=1))
        return DatabaseInfo(shown, True, version, schema, LATEST_VERSION, kinds, tickets, feed, round(round_trip, 2),
                            heard)  # fmt: skip
    except psycopg.Error as exc:
        return DatabaseInfo(shown, reachable=True, error=str(exc).strip().splitlines()[0])
    finally:
        con.close()
