"""Knowledge items and their search postings in DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vigil_mcp.errors import StoreError
from vigil_mcp.models import KnowledgeItem
from vigil_mcp.storage.base import DocRecord, IngestedFile, KnowledgeChange, Snapshot
from vigil_mcp.storage.duckdb_base import DuckDBConnection


class KnowledgeTables(DuckDBConnection):
    """The `KnowledgeStore` methods."""

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

    def ingested_files(self, paths: Sequence[str]) -> dict[str, IngestedFile]:
        """How each of `paths` was last ingested."""
        if not paths:
            return {}
        rows = self._query(
            "SELECT path, sha256, parser, kind, items FROM knowledge_files WHERE path = ANY(?::VARCHAR[])",
            [list(paths)],
        )
        return {r[0]: IngestedFile(r[0], r[1], r[2], r[3], int(r[4])) for r in rows}

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
            replaced = set(change.replaced_doc_nos)
            if replaced:
                con.execute("DELETE FROM postings WHERE doc_no = ANY(?::INTEGER[])", [sorted(replaced)])
            fresh = [u for u in change.upserts if u.doc_no not in replaced]
            if fresh:
                # A plain insert: DuckDB's ON CONFLICT path costs ~10x more per row.
                con.execute(
                    "INSERT INTO knowledge (id, doc_no, kind, title, section, body, source, tags, content_hash, "
                    "length, created_at, updated_at, anchor) "
                    "SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[][]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]), "
                    "?::TIMESTAMPTZ, ?::TIMESTAMPTZ, unnest(?::VARCHAR[])",
                    [
                        [u.id for u in fresh],
                        [u.doc_no for u in fresh],
                        [u.kind for u in fresh],
                        [u.title for u in fresh],
                        [u.section for u in fresh],
                        [u.body for u in fresh],
                        [u.source for u in fresh],
                        [list(u.tags) for u in fresh],
                        [u.content_hash for u in fresh],
                        [u.length for u in fresh],
                        now,
                        now,
                        [u.anchor for u in fresh],
                    ],
                )
            for u in change.upserts:
                if u.doc_no in replaced:
                    con.execute(
                        "UPDATE knowledge SET kind = ?, title = ?, section = ?, body = ?, source = ?, tags = ?, "
                        "content_hash = ?, length = ?, updated_at = ?, anchor = ? WHERE id = ?",
                        [u.kind, u.title, u.section, u.body, u.source, list(u.tags), u.content_hash, u.length, now,
                         u.anchor, u.id],
                    )  # fmt: skip
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
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::INTEGER[]), ?::TIMESTAMPTZ",
                    [
                        [f.path for f in files.values()],
                        [f.sha256 for f in files.values()],
                        [f.parser for f in files.values()],
                        [f.kind for f in files.values()],
                        [f.items for f in files.values()],
                        now,
                    ],
                )

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        rows = self._query(
            "SELECT id, kind, title, section, body, source, tags, created_at, updated_at, anchor FROM knowledge "
            "WHERE id = ?",
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
            anchor=r[9],
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
                "SELECT doc_no, length, kind, id, title, section, source, body, anchor FROM knowledge"
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
            int(d[0]): DocRecord(id=d[3], kind=d[2], title=d[4], section=d[5], source=d[6], body=d[7], anchor=d[8])
            for d in docs
        }
        return snap, records
