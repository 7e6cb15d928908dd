"""What replicas tell each other through the database: the knowledge change feed and NOTIFY channels.

Two channels per schema: `<prefix>_knowledge` only wakes readers of the `knowledge_changes` table
(the table is the record; a missed wake-up costs at most one poll interval), `<prefix>_events`
carries small JSON events (a ticket changed, feedback given, a job queued, skills changed) to the
replicas listening at that moment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from vigil_mcp.errors import StoreUnavailable
from vigil_mcp.storage.base import FeedEntry
from vigil_mcp.storage.postgres.connection import PostgresConnection, unavailable

NOTIFY_MAX_BYTES = 7900  # PostgreSQL refuses payloads from 8000 bytes
FEED_BATCH = 5000
KNOWLEDGE_LOCK = 0x7669_6732  # pg_advisory_xact_lock key held by every write that appends to the feed


def replica_name() -> str:
    """A name for this process among the replicas: host, pid and a random tail (pids repeat across hosts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class FeedTables(PostgresConnection):
    """The change feed and the NOTIFY channels of this store's schema."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.origin = replica_name()
        schema = str(self._query("SELECT current_schema()")[0][0])
        # LISTEN/NOTIFY is per database: two vigils in two schemas of one database must not hear each other.
        prefix = "vigil" if schema == "public" else f"vigil_{schema}"
        self.knowledge_channel = f"{prefix}_knowledge"[:63]
        self.events_channel = f"{prefix}_events"[:63]

    @staticmethod
    def _lock_feed(con: psycopg.Connection[tuple[Any, ...]]) -> int:
        """Take the feed lock for this transaction and return the feed's position.

        Entries are appended only under this lock, so `seq` commits in order and a reader never skips one.
        """
        con.execute("SELECT pg_advisory_xact_lock(%s)", [KNOWLEDGE_LOCK])
        row = con.execute("SELECT coalesce(max(seq), 0) FROM knowledge_changes").fetchone()
        return int(row[0]) if row else 0

    def _record_changes(self, con: psycopg.Connection[tuple[Any, ...]], item_ids: Sequence[str]) -> int:
        """Inside a feed-locked write: append the ids, wake the replicas at commit; the new position."""
        ids = list(dict.fromkeys(item_ids))
        row = con.execute(
            "WITH added AS (INSERT INTO knowledge_changes (item_id, origin) SELECT unnest(%s::text[]), %s "
            "RETURNING seq) SELECT coalesce(max(seq), 0) FROM added",
            [ids, self.origin],
        ).fetchone()
        con.execute("SELECT pg_notify(%s, %s)", [self.knowledge_channel, self.origin])
        return int(row[0]) if row else 0

    def knowledge_changes(self, after: int, limit: int = FEED_BATCH) -> list[FeedEntry]:
        """Feed entries after position `after`, oldest first."""
        rows = self._query(
            "SELECT seq, item_id, origin FROM knowledge_changes WHERE seq > %s ORDER BY seq LIMIT %s", [after, limit]
        )
        return [FeedEntry(int(r[0]), r[1], r[2]) for r in rows]

    def feed_position(self) -> int:
        """The newest feed entry's position."""
        return int(self._query("SELECT coalesce(max(seq), 0) FROM knowledge_changes")[0][0])

    def notify(self, channel: str, payload: str) -> None:
        """Send `payload` to every replica listening on `channel`."""
        if len(payload.encode()) > NOTIFY_MAX_BYTES:
            raise ValueError(f"a NOTIFY payload is limited to {NOTIFY_MAX_BYTES} bytes")
        self._query("SELECT pg_notify(%s, %s)", [channel, payload])


class Listener:
    """One connection of its own LISTENing on some channels (pooled connections cannot: they are shared)."""

    def __init__(self, url: str, channels: Sequence[str], connect_timeout: float) -> None:
        self.url = url
        self.channels = tuple(channels)
        self.connect_timeout = connect_timeout
        self._con: psycopg.AsyncConnection[tuple[Any, ...]] | None = None

    async def connect(self) -> None:
        """Open the connection and LISTEN; StoreUnavailable when the database cannot be reached."""
        await self.close()
        try:
            con = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(self.connect_timeout))
            )
            for channel in self.channels:
                await con.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except psycopg.OperationalError as exc:
            raise unavailable(self.url, exc) from None
        self._con = con

    async def receive(self, timeout: float) -> list[tuple[str, str]]:
        """(channel, payload) of what arrived within `timeout` seconds (maybe nothing); StoreUnavailable if cut."""
        if self._con is None:
            raise StoreUnavailable("the listener is not connected")
        out: list[tuple[str, str]] = []
        try:
            async for note in self._con.notifies(timeout=timeout, stop_after=1):
                out.append((note.channel, note.payload))
            # Drain whatever else is already here without waiting again.
            async for note in self._con.notifies(timeout=0.0):
                out.append((note.channel, note.payload))
        except psycopg.OperationalError as exc:
            await self.close()
            raise unavailable(self.url, exc) from None
        return out

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        con, self._con = self._con, None
        if con is not None:
            with contextlib.suppress(psycopg.Error):
                await con.close()
