"""DuckDB store: one connection, one writer at a time, numbered migrations.

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
import numpy as np

from vigil_mcp.errors import StoreError
from vigil_mcp.models import KnowledgeItem
from vigil_mcp.services.bm25 import Snapshot
from vigil_mcp.storage.base import DocRecord, KnowledgeChange
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


def open_store(path: Path | str) -> DuckDBStore:
    """Open (and migrate) the store at `path`, or ':memory:'."""
    return DuckDBStore(path)


class DuckDBStore:
    """The DuckDB implementation of `KnowledgeStore`."""

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
                    f"({LATEST_VERSION}); upgrade vigil-mcp. The store was not changed."
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

    # ---- knowledge ---------------------------------------------------------------------------
    def source_items(self, sources: Sequence[str]) -> dict[str, dict[str, tuple[int, str]]]:
        """Items already stored from each source: source -> id -> (doc_no, content_hash)."""
        out: dict[str, dict[str, tuple[int, str]]] = {s: {} for s in sources}
        if not sources:
            return out
        rows = self._query(
            "SELECT source, id, doc_no, content_hash FROM knowledge WHERE source = ANY(?::VARCHAR[])",
            [list(sources)],
        )
        for source, item_id, doc_no, content_hash in rows:
            out[source][item_id] = (int(doc_no), content_hash)
        return out

    def doc_nos(self, ids: Sequence[str]) -> dict[str, int]:
        """doc_no of each stored id among `ids`."""
        if not ids:
            return {}
        rows = self._query("SELECT id, doc_no FROM knowledge WHERE id = ANY(?::VARCHAR[])", [list(ids)])
        return {r[0]: int(r[1]) for r in rows}

    def terms_of(self, doc_nos: Sequence[int]) -> list[str]:
        """The vocabulary of the given documents."""
        if not doc_nos:
            return []
        rows = self._query(
            "SELECT DISTINCT t.term FROM postings p JOIN terms t USING (term_id) WHERE p.doc_no = ANY(?::INTEGER[])",
            [list(doc_nos)],
        )
        return [r[0] for r in rows]

    def apply_knowledge(self, change: KnowledgeChange) -> None:
        """Write a change in one transaction."""
        now = datetime.now(UTC)
        with self._write() as con:
            if change.new_terms:
                items = sorted(change.new_terms.items(), key=lambda kv: kv[1])
                con.execute(
                    "INSERT INTO terms SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
                    [[i for _, i in items], [t for t, _ in items]],
                )
            if change.remove_ids:
                con.execute(
                    "DELETE FROM postings WHERE doc_no IN (SELECT doc_no FROM knowledge WHERE id = ANY(?::VARCHAR[]))",
                    [list(change.remove_ids)],
                )
                con.execute("DELETE FROM knowledge WHERE id = ANY(?::VARCHAR[])", [list(change.remove_ids)])
            if change.upserts:
                ups = change.upserts
                con.execute("DELETE FROM postings WHERE doc_no = ANY(?::INTEGER[])", [[u.doc_no for u in ups]])
                con.execute(
                    """
                    INSERT INTO knowledge
                    SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS id, unnest(?::INTEGER[]), unnest(?::VARCHAR[]),
                        unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
                        unnest(?::VARCHAR[][]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]),
                        ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)
                    ON CONFLICT (id) DO UPDATE SET
                        kind = excluded.kind, title = excluded.title, section = excluded.section,
                        body = excluded.body, source = excluded.source, tags = excluded.tags,
                        content_hash = excluded.content_hash, length = excluded.length,
                        updated_at = excluded.updated_at
                    """,
                    [
                        [u.id for u in ups],
                        [u.doc_no for u in ups],
                        [u.kind for u in ups],
                        [u.title for u in ups],
                        [u.section for u in ups],
                        [u.body for u in ups],
                        [u.source for u in ups],
                        [list(u.tags) for u in ups],
                        [u.content_hash for u in ups],
                        [u.length for u in ups],
                        now,
                        now,
                    ],
                )
            if change.postings:
                arr = np.asarray(change.postings, dtype=np.int64).reshape(-1, 3)
                con.execute(
                    "INSERT INTO postings SELECT unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::INTEGER[])",
                    [arr[:, 0].tolist(), arr[:, 1].tolist(), arr[:, 2].tolist()],
                )

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        rows = self._query(
            "SELECT id, kind, title, section, body, source, tags, created_at, updated_at FROM knowledge WHERE id = ?",
            [item_id],
        )
        if not rows:
            return None
        r = rows[0]
        return KnowledgeItem(
            id=r[0],
            kind=r[1],
            title=r[2],
            section=r[3],
            body=r[4],
            source=r[5],
            tags=list(r[6]),
            created_at=r[7],
            updated_at=r[8],
        )

    def count_knowledge(self) -> dict[str, int]:
        """Item counts by kind."""
        return {r[0]: int(r[1]) for r in self._query("SELECT kind, count(*) FROM knowledge GROUP BY kind")}

    def load_index(self) -> tuple[Snapshot, dict[int, DocRecord]]:
        """Postings, terms and display records, read in one go."""
        with self._lock:
            terms = [r[0] for r in self._con.execute("SELECT term FROM terms ORDER BY term_id").fetchall()]
            n_terms = self._con.execute("SELECT coalesce(max(term_id) + 1, 0) FROM terms").fetchone()
            if n_terms is not None and int(n_terms[0]) != len(terms):
                raise StoreError(
                    f"store {self.path}: term ids are not dense (the search tables are damaged); "
                    "move the file away and re-add your sources"
                )
            cursor = self._con.execute(
                "SELECT term_id, doc_no, least(tf, 65535)::USMALLINT AS tf FROM postings ORDER BY term_id"
            )
            post: dict[str, Any] = cursor.fetchnumpy()  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            docs = self._con.execute(
                "SELECT doc_no, length, kind, id, title, section, source, body FROM knowledge"
            ).fetchall()
            self._release_memory()
        snap = Snapshot(
            terms=terms,
            term_ids=np.asarray(post["term_id"], dtype=np.int32),
            doc_nos=np.asarray(post["doc_no"], dtype=np.int32),
            tfs=np.asarray(post["tf"], dtype=np.uint16),
            doc_no_of_doc=np.fromiter((d[0] for d in docs), dtype=np.int32, count=len(docs)),
            length_of_doc=np.fromiter((d[1] for d in docs), dtype=np.float64, count=len(docs)),
            kind_of_doc=[d[2] for d in docs],
        )
        records = {
            int(d[0]): DocRecord(id=d[3], kind=d[2], title=d[4], section=d[5], source=d[6], body=d[7]) for d in docs
        }
        return snap, records
