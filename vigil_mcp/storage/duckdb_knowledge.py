"""Knowledge items, their passages (with embeddings) and the passages' search postings in DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vigil_mcp.errors import StoreError
from vigil_mcp.models import KnowledgeItem
from vigil_mcp.storage.base import IngestedFile, KnowledgeChange, KnowledgeRow, PassageRecord, Snapshot, VectorSnapshot
from vigil_mcp.storage.duckdb_base import DuckDBConnection

EMBEDDING_BYTES = 384 * 2  # float16 vectors of the embedding model's dimension

_ITEM_COLUMNS = "id, kind, title, section, body, source, anchor, tags, created_at, updated_at, product"


def _item(r: tuple[Any, ...]) -> KnowledgeItem:
    return KnowledgeItem(
        id=r[0], kind=r[1], title=r[2], section=r[3], body=r[4], source=r[5], anchor=r[6], tags=list(r[7]),
        created_at=r[8], updated_at=r[9], product=r[10],
    )  # fmt: skip


class KnowledgeTables(DuckDBConnection):
    """The `KnowledgeStore` methods."""

    # Sources that may have items (this process is the file's one writer): a learned Q&A's new source
    # is answered "nothing stored" without a query. A source whose items were removed stays in it.
    _sources: set[str] | None = None

    def _stored_sources(self) -> set[str]:
        with self._lock:
            if self._sources is None:
                self._sources = {r[0] for r in self._con.execute("SELECT DISTINCT source FROM knowledge").fetchall()}
            return self._sources

    def source_items(self, sources: Sequence[str]) -> dict[str, dict[str, tuple[str, str | None]]]:
        """Items already stored from each source: source -> id -> (content_hash, product)."""
        out: dict[str, dict[str, tuple[str, str | None]]] = {s: {} for s in sources}
        known = self._stored_sources()
        sources = [s for s in sources if s in known]
        if not sources:
            return out
        rows = self._query(
            "SELECT source, id, content_hash, product FROM knowledge WHERE source = ANY(?::VARCHAR[])", [list(sources)]
        )
        for source, item_id, content_hash, product in rows:
            out[source][item_id] = (content_hash, product)
        return out

    def passages_of(self, item_ids: Sequence[str]) -> dict[str, list[int]]:
        """The passage numbers of each stored item among `item_ids`."""
        if not item_ids:
            return {}
        rows = self._query(
            "SELECT item_id, passage_no FROM passages WHERE item_id = ANY(?::VARCHAR[]) ORDER BY item_id, ordinal",
            [list(item_ids)],
        )
        out: dict[str, list[int]] = {}
        for item_id, passage_no in rows:
            out.setdefault(item_id, []).append(int(passage_no))
        return out

    def terms_of(self, passage_nos: Sequence[int]) -> list[str]:
        """The vocabulary of the given passages."""
        if not passage_nos:
            return []
        rows = self._query(
            "SELECT DISTINCT t.term FROM postings p JOIN terms t USING (term_id) WHERE p.doc_no = ANY(?::INTEGER[])",
            [list(passage_nos)],
        )
        return [r[0] for r in rows]

    def ingested_files(self, paths: Sequence[str]) -> dict[str, IngestedFile]:
        """How each of `paths` was last ingested."""
        if not paths:
            return {}
        rows = self._query(
            "SELECT path, sha256, parser, kind, items, product FROM knowledge_files WHERE path = ANY(?::VARCHAR[])",
            [list(paths)],
        )
        return {r[0]: IngestedFile(r[0], r[1], r[2], r[3], int(r[4]), r[5]) for r in rows}

    def next_passage_no(self) -> int:
        """One above the highest passage number stored."""
        return int(self._query("SELECT coalesce(max(passage_no) + 1, 0) FROM passages")[0][0])

    def apply_knowledge(self, change: KnowledgeChange) -> int:
        """Write a change in one transaction (one writer: there is no change feed, so the position is 0)."""
        now = datetime.now(UTC)
        dropped = sorted(set(change.remove_ids) | set(change.replaced_ids))
        with self._write() as con:
            if change.new_terms:
                items = sorted(change.new_terms.items(), key=lambda kv: kv[1])
                con.execute(
                    "INSERT INTO terms SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
                    [[i for _, i in items], [t for t, _ in items]],
                )
            if dropped:
                con.execute(
                    "DELETE FROM postings WHERE doc_no IN "
                    "(SELECT passage_no FROM passages WHERE item_id = ANY(?::VARCHAR[]))",
                    [dropped],
                )
                con.execute("DELETE FROM passages WHERE item_id = ANY(?::VARCHAR[])", [dropped])
            if change.remove_ids:
                con.execute("DELETE FROM knowledge WHERE id = ANY(?::VARCHAR[])", [list(change.remove_ids)])
            replaced = set(change.replaced_ids)
            fresh = [u for u in change.upserts if u.id not in replaced]
            self._stored_sources().update(u.source for u in change.upserts)
            if fresh:
                # A plain insert: DuckDB's ON CONFLICT path costs ~10x more per row.
                con.execute(
                    "INSERT INTO knowledge SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[][]), unnest(?::VARCHAR[]), ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, "
                    "unnest(?::VARCHAR[])",
                    [
                        [u.id for u in fresh],
                        [u.kind for u in fresh],
                        [u.title for u in fresh],
                        [u.section for u in fresh],
                        [u.body for u in fresh],
                        [u.source for u in fresh],
                        [u.anchor for u in fresh],
                        [list(u.tags) for u in fresh],
                        [u.content_hash for u in fresh],
                        now,
                        now,
                        [u.product for u in fresh],
                    ],
                )
            for u in change.upserts:
                if u.id in replaced:
                    con.execute(
                        "UPDATE knowledge SET kind = ?, title = ?, section = ?, body = ?, source = ?, anchor = ?, "
                        "tags = ?, content_hash = ?, updated_at = ?, product = ? WHERE id = ?",
                        [u.kind, u.title, u.section, u.body, u.source, u.anchor, list(u.tags), u.content_hash, now,
                         u.product, u.id],
                    )  # fmt: skip
            if change.relabels:
                con.execute(
                    "UPDATE knowledge SET product = r.product, updated_at = ?::TIMESTAMPTZ FROM "
                    "(SELECT unnest(?::VARCHAR[]) AS id, unnest(?::VARCHAR[]) AS product) r WHERE knowledge.id = r.id",
                    [now, [i for i, _ in change.relabels], [p for _, p in change.relabels]],
                )
            if change.passages:
                ps = change.passages
                con.execute(
                    "INSERT INTO passages SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::BLOB[])",
                    [
                        [p.passage_no for p in ps],
                        [p.item_id for p in ps],
                        [p.ordinal for p in ps],
                        [p.form for p in ps],
                        [p.text for p in ps],
                        [p.length for p in ps],
                        [p.embedding for p in ps],
                    ],
                )
            if change.postings:
                arr = np.asarray(change.postings, dtype=np.int64).reshape(-1, 3)
                con.execute(
                    "INSERT INTO postings SELECT unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::INTEGER[])",
                    [arr[:, 0].tolist(), arr[:, 1].tolist(), arr[:, 2].tolist()],
                )
            if change.files:
                files = {f.path: f for f in change.files}
                con.execute("DELETE FROM knowledge_files WHERE path = ANY(?::VARCHAR[])", [list(files)])
                con.execute(
                    "INSERT INTO knowledge_files SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]), ?::TIMESTAMPTZ, "
                    "unnest(?::VARCHAR[])",
                    [
                        [f.path for f in files.values()],
                        [f.sha256 for f in files.values()],
                        [f.parser for f in files.values()],
                        [f.kind for f in files.values()],
                        [f.items for f in files.values()],
                        now,
                        [f.product for f in files.values()],
                    ],
                )
        return 0

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        rows = self._query(f"SELECT {_ITEM_COLUMNS} FROM knowledge WHERE id = ?", [item_id])
        return _item(rows[0]) if rows else None

    def count_knowledge(self) -> dict[str, int]:
        """Item counts by kind."""
        return {r[0]: int(r[1]) for r in self._query("SELECT kind, count(*) FROM knowledge GROUP BY kind")}

    def load_index(self) -> tuple[Snapshot, dict[int, PassageRecord]]:
        """Postings, terms and passage records, read in one go."""
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
            rows = self._con.execute(
                "SELECT p.passage_no, p.length, k.kind, p.item_id, k.title, k.section, k.source, k.anchor, p.form, "
                "p.text, p.ordinal, k.product FROM passages p JOIN knowledge k ON k.id = p.item_id"
            ).fetchall()
            self._release_memory()
        snap = Snapshot(
            terms=terms,
            term_ids=np.asarray(post["term_id"], dtype=np.int32),
            doc_nos=np.asarray(post["doc_no"], dtype=np.int32),
            tfs=np.asarray(post["tf"], dtype=np.uint16),
            doc_no_of_doc=np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows)),
            length_of_doc=np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
            kind_of_doc=[r[2] for r in rows],
        )
        records = {
            int(r[0]): PassageRecord(int(r[0]), r[3], r[2], int(r[10]), r[4], r[5], r[6], r[7], r[8], r[9], r[11])
            for r in rows
        }
        return snap, records

    def load_vectors(self) -> VectorSnapshot:
        """Every stored passage embedding."""
        rows = self._query(
            f"SELECT passage_no, embedding FROM passages WHERE octet_length(embedding) = {EMBEDDING_BYTES} "
            "ORDER BY passage_no"
        )
        nos = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").reshape(len(rows), EMBEDDING_BYTES // 2)
        return VectorSnapshot(nos, vectors.astype(np.float16, copy=False))

    def passages_without_embedding(self, limit: int) -> list[tuple[int, str, str, str]]:
        """(passage_no, item title, item section, passage text) of passages with no embedding yet."""
        rows = self._query(
            "SELECT p.passage_no, k.title, k.section, p.text FROM passages p JOIN knowledge k ON k.id = p.item_id "
            "WHERE p.embedding IS NULL ORDER BY p.passage_no LIMIT ?",
            [limit],
        )
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def set_embeddings(self, embeddings: Sequence[tuple[int, bytes]]) -> None:
        """Store embeddings for existing passages."""
        if not embeddings:
            return
        with self._write() as con:
            con.execute("CREATE TEMP TABLE IF NOT EXISTS new_embeddings (passage_no INTEGER, embedding BLOB)")
            con.execute("DELETE FROM new_embeddings")
            con.execute(
                "INSERT INTO new_embeddings SELECT unnest(?::INTEGER[]), unnest(?::BLOB[])",
                [[n for n, _ in embeddings], [e for _, e in embeddings]],
            )
            con.execute(
                "UPDATE passages SET embedding = n.embedding FROM new_embeddings n "
                "WHERE passages.passage_no = n.passage_no"
            )

    def clear_embeddings(self) -> None:
        """Forget every stored embedding."""
        with self._write() as con:
            con.execute("UPDATE passages SET embedding = NULL WHERE embedding IS NOT NULL")

    def items_without_passages(self, limit: int) -> list[KnowledgeRow]:
        """Items that have no passages (stored before passages existed)."""
        rows = self._query(
            "SELECT id, kind, title, section, body, source, anchor, tags, content_hash, product FROM knowledge k "
            "WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.item_id = k.id) ORDER BY id LIMIT ?",
            [limit],
        )
        return [KnowledgeRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7]), r[8], r[9]) for r in rows]

    def get_meta(self, key: str) -> str | None:
        """A store-wide setting."""
        rows = self._query("SELECT value FROM store_meta WHERE key = ?", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Record a store-wide setting."""
        with self._write() as con:
            con.execute("DELETE FROM store_meta WHERE key = ?", [key])
            con.execute("INSERT INTO store_meta VALUES (?, ?)", [key, value])
