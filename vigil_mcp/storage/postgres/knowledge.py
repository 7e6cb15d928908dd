"""Knowledge items, their passages (with embeddings), their postings and the change feed in PostgreSQL.

Every replica numbers passages and terms from its in-memory index, which the change feed keeps in
step with the database. A write carries the feed position its numbers were planned at; under the
feed lock the store refuses it (`StoreConflict`) when another replica wrote since, so a passage
number or term id is never given twice: the writer catches up with the feed and plans again. Each
write appends the ids of the items it touched to `knowledge_changes` and wakes the replicas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from vigil_mcp.errors import StoreConflict, StoreError
from vigil_mcp.models import KnowledgeItem
from vigil_mcp.storage.base import (
    IngestedFile,
    KnowledgeChange,
    KnowledgeRow,
    PassageRecord,
    Snapshot,
    StoredPassage,
    VectorSnapshot,
)
from vigil_mcp.storage.postgres.feed import FeedTables

EMBEDDING_BYTES = 384 * 2  # float16 vectors of the embedding model's dimension (as DuckDB's store)
_ITEM_COLUMNS = "id, kind, title, section, body, source, anchor, tags, created_at, updated_at, product"
_PASSAGE_RECORD = (
    "SELECT p.passage_no, p.length, k.kind, p.item_id, k.title, k.section, k.source, k.anchor, p.form, p.text, "
    "p.ordinal, k.product FROM passages p JOIN knowledge k ON k.id = p.item_id"
)
# Postings travel as one bytea of big-endian int4 triples (term_id, doc_no, tf) the server builds: a few
# seconds for millions of postings, where one protocol message per row takes several times longer.
_POSTINGS = (
    "SELECT coalesce(string_agg(int4send(term_id) || int4send(doc_no) || int4send(least(tf, 65535)), ''::bytea), "
    "''::bytea) FROM postings"
)

Con = psycopg.Connection[tuple[Any, ...]]


def _record(r: tuple[Any, ...]) -> PassageRecord:
    return PassageRecord(int(r[0]), r[3], r[2], int(r[10]), r[4], r[5], r[6], r[7], r[8], r[9], r[11])


class KnowledgeTables(FeedTables):
    """The `SharedKnowledgeStore` methods."""

    def source_items(self, sources: Sequence[str]) -> dict[str, dict[str, tuple[str, str | None]]]:
        """Items already stored from each source: source -> id -> (content_hash, product)."""
        out: dict[str, dict[str, tuple[str, str | None]]] = {s: {} for s in sources}
        if not sources:
            return out
        for source, item_id, content_hash, product in self._query(
            "SELECT source, id, content_hash, product FROM knowledge WHERE source = ANY(%s)", [list(sources)]
        ):
            out[source][item_id] = (content_hash, product)
        return out

    def passages_of(self, item_ids: Sequence[str]) -> dict[str, list[int]]:
        """The passage numbers of each stored item among `item_ids`."""
        if not item_ids:
            return {}
        out: dict[str, list[int]] = {}
        for item_id, passage_no in self._query(
            "SELECT item_id, passage_no FROM passages WHERE item_id = ANY(%s) ORDER BY item_id, ordinal",
            [list(item_ids)],
        ):
            out.setdefault(item_id, []).append(int(passage_no))
        return out

    def terms_of(self, passage_nos: Sequence[int]) -> list[str]:
        """The vocabulary of the given passages."""
        if not passage_nos:
            return []
        rows = self._query(
            "SELECT DISTINCT t.term FROM postings p JOIN terms t USING (term_id) WHERE p.doc_no = ANY(%s)",
            [list(passage_nos)],
        )
        return [r[0] for r in rows]

    def ingested_files(self, paths: Sequence[str]) -> dict[str, IngestedFile]:
        """How each of `paths` was last ingested."""
        if not paths:
            return {}
        rows = self._query(
            "SELECT path, sha256, parser, kind, items, product FROM knowledge_files WHERE path = ANY(%s)", [list(paths)]
        )
        return {r[0]: IngestedFile(r[0], r[1], r[2], r[3], int(r[4]), r[5]) for r in rows}

    def next_passage_no(self) -> int:
        """One above the highest passage number stored."""
        return int(self._query("SELECT coalesce(max(passage_no) + 1, 0) FROM passages")[0][0])

    def apply_knowledge(self, change: KnowledgeChange) -> int:
        """Write a change in one transaction, if the feed is still where its writer planned it; the new position."""
        now = datetime.now(UTC)
        dropped = sorted(set(change.remove_ids) | set(change.replaced_ids))
        touched = [*change.remove_ids, *(u.id for u in change.upserts), *(i for i, _ in change.relabels)]
        with self._write() as con:
            position = self._lock_feed(con)
            if change.feed_position is not None and change.feed_position != position:
                raise StoreConflict(
                    f"another replica changed knowledge first (feed at {position}, not {change.feed_position})"
                )
            if change.new_terms:
                items = sorted(change.new_terms.items(), key=lambda kv: kv[1])
                con.execute(
                    "INSERT INTO terms SELECT * FROM unnest(%s::integer[], %s::text[])",
                    [[i for _, i in items], [t for t, _ in items]],
                )
            if dropped:
                con.execute(
                    "DELETE FROM postings WHERE doc_no IN (SELECT passage_no FROM passages WHERE item_id = ANY(%s))",
                    [dropped],
                )
                con.execute("DELETE FROM passages WHERE item_id = ANY(%s)", [dropped])
            if change.remove_ids:
                con.execute("DELETE FROM knowledge WHERE id = ANY(%s)", [list(change.remove_ids)])
            _upsert_items(con, change.upserts, now)
            if change.relabels:
                con.execute(
                    "UPDATE knowledge k SET product = r.product, updated_at = %s "
                    "FROM unnest(%s::text[], %s::text[]) AS r(id, product) WHERE k.id = r.id",
                    [now, [i for i, _ in change.relabels], [p for _, p in change.relabels]],
                )
            if change.passages:
                ps = change.passages
                con.execute(
                    "INSERT INTO passages SELECT * FROM unnest(%s::integer[], %s::text[], %s::integer[], %s::text[], "
                    "%s::text[], %s::integer[], %s::bytea[])",
                    [[p.passage_no for p in ps], [p.item_id for p in ps], [p.ordinal for p in ps],
                     [p.form for p in ps], [p.text for p in ps], [p.length for p in ps], [p.embedding for p in ps]],
                )  # fmt: skip
            if change.postings:
                arr = np.asarray(change.postings, dtype=np.int64).reshape(-1, 3)
                con.execute(
                    "INSERT INTO postings SELECT * FROM unnest(%s::integer[], %s::integer[], %s::integer[])",
                    [arr[:, 0].tolist(), arr[:, 1].tolist(), arr[:, 2].tolist()],
                )
            if change.files:
                _record_files(con, change.files, now)
            return self._record_changes(con, touched) if touched else position

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        rows = self._query(f"SELECT {_ITEM_COLUMNS} FROM knowledge WHERE id = %s", [item_id])
        if not rows:
            return None
        r = rows[0]
        return KnowledgeItem(
            id=r[0], kind=r[1], title=r[2], section=r[3], body=r[4], source=r[5], anchor=r[6], tags=list(r[7]),
            created_at=r[8], updated_at=r[9], product=r[10],
        )  # fmt: skip

    def count_knowledge(self) -> dict[str, int]:
        """Item counts by kind."""
        return {r[0]: int(r[1]) for r in self._query("SELECT kind, count(*) FROM knowledge GROUP BY kind")}

    def load_index(self) -> tuple[Snapshot, dict[int, PassageRecord]]:
        """Postings, terms and passage records as of one moment, with the feed position of that moment."""
        with self._connection() as con, con.transaction():
            con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            top = con.execute("SELECT coalesce(max(seq), 0) FROM knowledge_changes").fetchone()
            position = int(top[0]) if top is not None else 0
            terms = [r[0] for r in con.execute("SELECT term FROM terms ORDER BY term_id").fetchall()]
            n_terms = con.execute("SELECT coalesce(max(term_id) + 1, 0) FROM terms").fetchone()
            if n_terms is not None and int(n_terms[0]) != len(terms):
                raise StoreError(f"database {self.path}: term ids are not dense (the search tables are damaged)")
            row = con.execute(_POSTINGS, binary=True).fetchone()
            post = np.frombuffer(bytes(row[0]) if row is not None else b"", dtype=">i4").reshape(-1, 3)
            rows = con.execute(_PASSAGE_RECORD).fetchall()
        snap = Snapshot(
            terms=terms,
            term_ids=post[:, 0].astype(np.int32),
            doc_nos=post[:, 1].astype(np.int32),
            tfs=post[:, 2].astype(np.uint16),
            doc_no_of_doc=np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows)),
            length_of_doc=np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
            kind_of_doc=[r[2] for r in rows],
            position=position,
        )
        return snap, {int(r[0]): _record(r) for r in rows}

    def load_vectors(self) -> VectorSnapshot:
        """Every stored passage embedding."""
        rows = self._query(
            "SELECT passage_no, embedding FROM passages WHERE octet_length(embedding) = %s ORDER BY passage_no",
            [EMBEDDING_BYTES],
        )
        nos = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").reshape(len(rows), EMBEDDING_BYTES // 2)
        return VectorSnapshot(nos, vectors.astype(np.float16, copy=False))

    def stored_passages(self, item_ids: Sequence[str]) -> list[StoredPassage]:
        """Every stored passage of these items, with its term counts and embedding (one snapshot)."""
        if not item_ids:
            return []
        with self._connection() as con, con.transaction():
            con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = con.execute(
                f"{_PASSAGE_RECORD} WHERE p.item_id = ANY(%s) ORDER BY p.passage_no", [list(item_ids)]
            ).fetchall()
            nos = [int(r[0]) for r in rows]
            counts: dict[int, dict[str, int]] = {no: {} for no in nos}
            embeddings = dict(
                con.execute("SELECT passage_no, embedding FROM passages WHERE passage_no = ANY(%s)", [nos]).fetchall()
            )
            for no, term, tf in con.execute(
                "SELECT p.doc_no, t.term, p.tf FROM postings p JOIN terms t USING (term_id) WHERE p.doc_no = ANY(%s)",
                [nos],
            ).fetchall():
                counts[int(no)][term] = int(tf)
        return [StoredPassage(_record(r), int(r[1]), counts[int(r[0])], _bytes(embeddings.get(r[0]))) for r in rows]

    def terms_from(self, first_id: int) -> list[str]:
        """The terms whose ids are `first_id` and above, in id order."""
        rows = self._query("SELECT term_id, term FROM terms WHERE term_id >= %s ORDER BY term_id", [first_id])
        if rows and int(rows[-1][0]) != first_id + len(rows) - 1:
            raise StoreError(f"database {self.path}: term ids are not dense (the search tables are damaged)")
        return [r[1] for r in rows]

    def passages_without_embedding(self, limit: int) -> list[tuple[int, str, str, str]]:
        """(passage_no, item title, item section, passage text) of passages with no embedding yet."""
        rows = self._query(
            "SELECT p.passage_no, k.title, k.section, p.text FROM passages p JOIN knowledge k ON k.id = p.item_id "
            "WHERE p.embedding IS NULL ORDER BY p.passage_no LIMIT %s",
            [limit],
        )
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def set_embeddings(self, embeddings: Sequence[tuple[int, bytes]]) -> None:
        """Store embeddings for existing passages; the other replicas read them through the feed."""
        if not embeddings:
            return
        with self._write() as con:
            self._lock_feed(con)
            items = con.execute(
                "UPDATE passages p SET embedding = v.embedding FROM unnest(%s::integer[], %s::bytea[]) "
                "AS v(passage_no, embedding) WHERE p.passage_no = v.passage_no RETURNING p.item_id",
                [[n for n, _ in embeddings], [e for _, e in embeddings]],
            ).fetchall()
            if items:
                self._record_changes(con, [r[0] for r in items])

    def clear_embeddings(self) -> None:
        """Forget every stored embedding (every replica must run the same embedding model)."""
        with self._write() as con:
            con.execute("UPDATE passages SET embedding = NULL WHERE embedding IS NOT NULL")

    def items_without_passages(self, limit: int) -> list[KnowledgeRow]:
        """Items that have no passages (stored before passages existed)."""
        rows = self._query(
            "SELECT id, kind, title, section, body, source, anchor, tags, content_hash, product FROM knowledge k "
            "WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.item_id = k.id) ORDER BY id LIMIT %s",
            [limit],
        )
        return [KnowledgeRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7]), r[8], r[9]) for r in rows]

    def get_meta(self, key: str) -> str | None:
        """A store-wide setting."""
        rows = self._query("SELECT value FROM store_meta WHERE key = %s", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Record a store-wide setting."""
        with self._write() as con:
            con.execute(
                "INSERT INTO store_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _upsert_items(con: Con, upserts: Sequence[KnowledgeRow], now: datetime) -> None:
    if not upserts:
        return
    # One statement for new and replaced items: the feed lock makes the writer's view of which is which exact.
    con.execute(
        "INSERT INTO knowledge (id, kind, title, section, body, source, anchor, tags, content_hash, created_at, "
        "updated_at, product) SELECT u.id, u.kind, u.title, u.section, u.body, u.source, u.anchor, "
        "ARRAY(SELECT jsonb_array_elements_text(u.tags)), u.content_hash, %s, %s, u.product "
        "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::jsonb[], "
        "%s::text[], %s::text[]) AS u(id, kind, title, section, body, source, anchor, tags, content_hash, product) "
        "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, section = excluded.section, "
        "body = excluded.body, source = excluded.source, anchor = excluded.anchor, tags = excluded.tags, "
        "content_hash = excluded.content_hash, updated_at = excluded.updated_at, product = excluded.product",
        [now, now, [u.id for u in upserts], [u.kind for u in upserts], [u.title for u in upserts],
         [u.section for u in upserts], [u.body for u in upserts], [u.source for u in upserts],
         [u.anchor for u in upserts], [Jsonb(list(u.tags)) for u in upserts],
         [u.content_hash for u in upserts], [u.product for u in upserts]],
    )  # fmt: skip


def _record_files(con: Con, files: Sequence[IngestedFile], now: datetime) -> None:
    by_path = {f.path: f for f in files}.values()
    con.execute(
        "INSERT INTO knowledge_files SELECT p, s, r, k, i, %s, pr FROM unnest(%s::text[], %s::text[], %s::text[], "
        "%s::text[], %s::integer[], %s::text[]) AS f(p, s, r, k, i, pr) ON CONFLICT (path) DO UPDATE SET "
        "sha256 = excluded.sha256, parser = excluded.parser, kind = excluded.kind, items = excluded.items, "
        "ingested_at = excluded.ingested_at, product = excluded.product",
        [now, [f.path for f in by_path], [f.sha256 for f in by_path], [f.parser for f in by_path],
         [f.kind for f in by_path], [f.items for f in by_path], [f.product for f in by_path]],
    )  # fmt: skip
