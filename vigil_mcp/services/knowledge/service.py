"""Knowledge: store documents as items and passages, and retrieve passages by words and by meaning.

An item is a section of a document (a runbook section, a page section, an OpenAPI object, a learned
Q&A, a skill section); its passages (a few sentences, a list item, a code block, a field) are what
retrieval matches. Two in-memory indexes over passages are kept in step with the store: BM25 over
words, and embedding vectors (when a local model is installed) over meaning.

On a shared store (replicas on PostgreSQL) the other replicas write too: their changes arrive through
the store's change feed (`apply_feed`), and a write planned from an index the feed has moved past is
refused by the store, so this service catches up and plans it again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt

from vigil_mcp.errors import InputError, NotFoundError, NotReadyError, StoreConflict
from vigil_mcp.models import IngestReport, KnowledgeItem, SearchHit, SearchResult, SkippedInput
from vigil_mcp.services.knowledge.bm25 import Bm25Index, DocTerms, lucene_idf
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.embed import DIM, Embedder
from vigil_mcp.services.knowledge.ingest import Document, find_files, format_of, parse_file, read_file
from vigil_mcp.services.knowledge.passages import SPLITTER, split_passages
from vigil_mcp.services.knowledge.scope import ProductScopes
from vigil_mcp.services.knowledge.terms import PassageTerms, passage_terms
from vigil_mcp.services.knowledge.vectors import VectorIndex
from vigil_mcp.services.product import valid_product
from vigil_mcp.services.text import STOPWORDS, tokenize
from vigil_mcp.storage.base import (
    IngestedFile,
    KnowledgeChange,
    KnowledgeRow,
    KnowledgeStore,
    PassageRecord,
    PassageRow,
    SharedKnowledgeStore,
)

log = logging.getLogger(__name__)

MAX_LIMIT = 50
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TERMS = 256
SNIPPET_CHARS = 240
WRITE_BATCH_DOCS = 200
# Parsed chunks held before they are written, so a folder of large files stays within memory.
FLUSH_CHUNKS = 5000
KIND_CHARS = 32
EMBED_BATCH = 64  # passages embedded per write-lock hold while backfilling
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al. 2009); ranks beyond ~60 barely count
POOL = 50  # candidates each index contributes to fusion
MODEL_KEY = "embedding_model"
CONFLICT_RETRIES = 10  # a knowledge write another replica overtook is planned again this many times at most
BODY_CACHE = 4096  # item bodies the answer path keeps (a store read costs ~10-20 ms on DuckDB)

T = TypeVar("T")
Progress = Callable[[int, int], None]
EmbedderFactory = Callable[[], Embedder | None]


def item_id(source: str, section: str, ordinal: int) -> str:
    """Stable id of a chunk: the same source and section always map to the same id."""
    digest = hashlib.sha1(f"{source}\x00{section}\x00{ordinal}".encode()).hexdigest()
    return f"kb-{digest[:16]}"


def index_text(title: str, section: str, body: str) -> str:
    """What gets tokenized for a passage: its item's title and section path count as text too."""
    return f"{title}\n{title}\n{section}\n{body}"


def embedding_text(title: str, section: str, text: str, form: str) -> str:
    """What a passage's embedding is computed from: where it sits, then what it says."""
    if form == "given":  # a learned Q&A's question stands on its own
        return text
    where = f"{title} › {section}" if section else title
    return f"{where}: {text}"


def to_blob(vector: npt.NDArray[np.float32]) -> bytes:
    """An embedding as stored: little-endian float16."""
    return vector.astype("<f2").tobytes()


def snippet_terms(query_terms: Sequence[str], df: Callable[[str], int]) -> list[str]:
    """The query terms worth centring a snippet on, rarest first."""
    useful = [t for t in dict.fromkeys(query_terms) if len(t) >= 3 and t not in STOPWORDS]
    return sorted(useful, key=df)


def make_snippet(body: str, terms: Sequence[str]) -> str:
    """About SNIPPET_CHARS of `body` around the rarest of `terms` it contains (see `snippet_terms`)."""
    if len(body) <= SNIPPET_CHARS:
        return " ".join(body.split())
    lower = body.lower()
    pos = -1
    for term in terms:
        pos = lower.find(term)
        if pos >= 0:
            break
    start = 0 if pos < 0 else max(0, pos - SNIPPET_CHARS // 3)
    # Cut on whitespace, then normalise it; the window is widened first so the result stays full.
    window = body[start : start + SNIPPET_CHARS * 2]
    if start > 0:
        space = window.find(" ")
        window = window[space + 1 :] if 0 <= space < SNIPPET_CHARS // 3 else window
    flat = " ".join(window.split())
    cut = len(flat) > SNIPPET_CHARS or start + SNIPPET_CHARS * 2 < len(body)
    if len(flat) > SNIPPET_CHARS:
        space = flat.rfind(" ", 0, SNIPPET_CHARS)
        flat = flat[: space if space > 0 else SNIPPET_CHARS]
    return ("…" if start > 0 else "") + flat + ("…" if cut else "")


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One passage found for a query, with how each index ranked it."""

    record: PassageRecord
    fused: float  # reciprocal rank fusion of the two ranks
    bm25: float = 0.0  # BM25 score (0 when BM25 did not find it)
    bm25_rank: int | None = None  # 1 = best
    cosine: float | None = None  # cosine to the query (None without embeddings)
    dense_rank: int | None = None


@dataclass(slots=True)
class _Planned:
    row: KnowledgeRow
    passages: list[_Piece]
    counts: list[Counter[str]] = field(default_factory=list[Counter[str]])


@dataclass(frozen=True, slots=True)
class _Piece:
    """A passage to store: its text, its form (a passage kind, or "given" for explicit passages)."""

    text: str
    form: str


def _pieces(chunk: Chunk) -> list[_Piece]:
    if chunk.passages is not None:
        given = [_Piece(p, "given") for p in chunk.passages if p.strip()]
        if given:
            return given
    return _split(chunk.body)


def _split(body: str) -> list[_Piece]:
    """A body's passages; a list item keeps the sentence that introduces its list, a table row its caption.

    A body that is only a heading has none: there is nothing in it to answer with.
    """
    out: list[_Piece] = []
    for p in split_passages(body):
        lead = p.context if p.kind == "list" else p.heading if p.kind == "table" else ""
        out.append(_Piece(f"{lead}\n{p.text}" if lead and lead not in p.text else p.text, p.kind))
    return out


class KnowledgeService:
    """Adds documents (one writer at a time) and retrieves passages (from the in-memory indexes)."""

    def __init__(self, store: KnowledgeStore, embedder: Embedder | EmbedderFactory | None = None) -> None:
        self.store = store
        self.index = Bm25Index()
        self.vectors = VectorIndex(DIM)
        self.scopes = ProductScopes()  # the product of each passage, for scoped retrieval
        self._records: dict[int, PassageRecord] = {}
        self._terms: dict[int, PassageTerms] = {}  # the judge's view of each passage, filled on first use
        self._bodies: OrderedDict[str, str] = OrderedDict()  # item id -> body, dropped when the item is written
        self._bodies_lock = threading.Lock()
        self._bodies_generation = 0
        self._items: set[str] = set()
        self._embedder_factory: EmbedderFactory | None = None
        self._embedder: Embedder | None = None
        if isinstance(embedder, Embedder):
            self._embedder = embedder
        else:
            self._embedder_factory = embedder
        self._next_passage_no = 0
        self.feed_position = 0  # a shared store: the last change feed entry the indexes include
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._ready = threading.Event()
        self._vectors_ready = threading.Event()
        self._closing = threading.Event()
        self._backfiller: threading.Thread | None = None
        self._load_error: BaseException | None = None
        self.load_seconds: float | None = None
        # Called with the seconds each answered search took (the server's metrics hook).
        self.on_search: Callable[[float], None] | None = None

    # ---- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Build the in-memory indexes from the store (once; later calls wait for it)."""
        with self._load_lock:
            if self._ready.is_set():
                return
            started = time.perf_counter()
            try:
                if self._embedder_factory is not None:
                    self._embedder = self._embedder_factory()
                snap, records = self.store.load_index()
                self.feed_position = snap.position
                self.index.load(snap)
                self._records = records
                self.scopes.set((no, r.product) for no, r in records.items())
                self._items = {r.item_id for r in records.values()}
                self._next_passage_no = self.store.next_passage_no()
                self._load_vectors()
            except BaseException as exc:
                self._load_error = exc
                raise
            self.load_seconds = time.perf_counter() - started
            self._ready.set()
            log.info("knowledge index ready: %d passages in %.3f s", len(records), self.load_seconds)
        self._backfiller = threading.Thread(target=self._run_backfill, name="vigil-backfill", daemon=True)
        self._backfiller.start()

    def close(self) -> None:
        """Stop background work (the backfill finishes its batch); the store is the caller's to close."""
        self._closing.set()
        if self._backfiller is not None and self._backfiller is not threading.current_thread():
            self._backfiller.join(timeout=30)

    def _run_backfill(self) -> None:
        try:
            self._backfill()
        except Exception:  # the index serves without what could not be backfilled
            log.exception("backfilling passages or embeddings failed")
            self._vectors_ready.set()

    def wait_backfilled(self, timeout: float = 600.0) -> bool:
        """Wait until every stored passage that can have a vector has one (tests, the eval command)."""
        self._wait_ready()
        return self._vectors_ready.wait(timeout)

    def _load_vectors(self) -> None:
        embedder = self._embedder
        if embedder is None:
            return
        stored_model = self.store.get_meta(MODEL_KEY)
        if stored_model is not None and stored_model != embedder.model_id:
            log.warning("stored embeddings come from %s, not %s: recomputing them", stored_model, embedder.model_id)
            self.store.clear_embeddings()
        if stored_model != embedder.model_id:
            self.store.set_meta(MODEL_KEY, embedder.model_id)
        self.vectors.load(self.store.load_vectors(), {no: r.kind for no, r in self._records.items()})

    def _backfill(self) -> None:
        """Split items stored before passages existed, then embed passages that have no vector."""
        tried: set[str] = set()  # items that give no passages (a bare heading) are tried once per load
        while not self._closing.is_set():
            with self._write_lock:
                rows = [
                    r for r in self.store.items_without_passages(len(tried) + WRITE_BATCH_DOCS) if r.id not in tried
                ]
                if not rows:
                    break
                tried.update(r.id for r in rows)
                planned = [_Planned(r, _split(r.body)) for r in rows]
                ids = [r.id for r in rows]
                self._retrying(lambda planned=planned, ids=ids: self._apply(planned, replaced_ids=ids, remove_ids=[]))
        embedder = self._embedder
        if embedder is None:
            self._vectors_ready.set()
            return
        done = 0
        while not self._closing.is_set():
            with self._write_lock:
                todo = self.store.passages_without_embedding(EMBED_BATCH)
                if not todo:
                    break
                texts = [embedding_text(title, section, text, self._form(no)) for no, title, section, text in todo]
                vectors = embedder.embed(texts)
                self.store.set_embeddings([(no, to_blob(v)) for (no, *_), v in zip(todo, vectors, strict=True)])
                kinds = [self._records[no].kind if no in self._records else "" for no, *_ in todo]
                self.vectors.add([no for no, *_ in todo], vectors, kinds)
                done += len(todo)
        if done:
            log.info("embedded %d passages that had no vector", done)
        self._vectors_ready.set()

    def _form(self, passage_no: int) -> str:
        rec = self._records.get(passage_no)
        return rec.form if rec is not None else "prose"

    def start_loading(self) -> threading.Thread:
        """Load in a background thread so a server can answer before the index is warm."""

        def run() -> None:
            try:
                self.load()
            except BaseException:
                log.exception("loading the knowledge index failed")

        thread = threading.Thread(target=run, name="vigil-index-load", daemon=True)
        thread.start()
        return thread

    @property
    def ready(self) -> bool:
        """Whether searches can be answered now."""
        return self._ready.is_set()

    @property
    def embedder(self) -> Embedder | None:
        """The embedding model, once loaded (None: BM25 only)."""
        return self._embedder

    @property
    def n_items(self) -> int:
        """How many items the index holds."""
        return len(self._items)

    @property
    def n_passages(self) -> int:
        """How many passages the index holds."""
        return len(self._records)

    def _wait_ready(self, timeout: float = 60.0) -> None:
        if self._ready.is_set():
            return
        if self._load_error is None and not self._load_lock.locked():
            self.load()
            return
        if not self._ready.wait(timeout):
            raise NotReadyError("the knowledge index is still loading; try again in a few seconds")
        if self._load_error is not None:
            raise NotReadyError(f"the knowledge index failed to load: {self._load_error}")

    # ---- reading -------------------------------------------------------------------------
    def _query_terms(self, query: str) -> list[str]:
        terms = tokenize(query[:MAX_QUERY_CHARS])
        if len(set(terms)) > MAX_QUERY_TERMS:
            keep = set(list(dict.fromkeys(terms))[:MAX_QUERY_TERMS])
            terms = [t for t in terms if t in keep]
        return terms

    def embed(self, text: str) -> npt.NDArray[np.float32] | None:
        """The query vector of a text, or None without an embedding model."""
        self._wait_ready()
        return None if self._embedder is None else self._embedder.embed_one(text)

    def retrieve(
        self,
        query: str,
        limit: int,
        kind: str | None = None,
        vector: npt.NDArray[np.float32] | None = None,
        dense: bool = True,
        product: str | None = None,
    ) -> list[Retrieved]:
        """Passages for a query from both indexes, fused by reciprocal rank; best first.

        `vector` is the query's embedding when the caller already has it; with `dense` False (or no
        model) only BM25 ranks. With a `product`, only passages of that product's items and of items
        with no product are ranked (inside each index, so the pool is full of them).
        """
        self._wait_ready()
        terms = self._query_terms(query)
        pool = max(POOL, limit)
        allowed = self.scopes.allowed(product)
        lexical = self.index.search(terms, pool, kind, allowed)
        if dense and vector is None and self._embedder is not None:
            vector = self._embedder.embed_one(query[:MAX_QUERY_CHARS])
        semantic = self.vectors.search(vector, pool, kind, allowed) if dense and vector is not None else []
        scores: dict[int, float] = {}
        bm25: dict[int, tuple[float, int]] = {}
        cosine: dict[int, tuple[float, int]] = {}
        for rank, (no, score) in enumerate(lexical, start=1):
            bm25[no] = (score, rank)
            scores[no] = scores.get(no, 0.0) + 1.0 / (RRF_K + rank)
        for rank, (no, cos) in enumerate(semantic, start=1):
            cosine[no] = (cos, rank)
            scores[no] = scores.get(no, 0.0) + 1.0 / (RRF_K + rank)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        out: list[Retrieved] = []
        for no, fused in ranked:
            rec = self._records.get(no)
            if rec is None:
                continue
            b = bm25.get(no)
            c = cosine.get(no)
            cos = c[0] if c else (self.vectors.similarity(no, vector) if vector is not None else None)
            out.append(Retrieved(rec, fused, b[0] if b else 0.0, b[1] if b else None, cos, c[1] if c else None))
        return out

    def search(
        self, query: str, limit: int = 5, kind: str | None = None, semantic: bool = False, product: str | None = None
    ) -> SearchResult:
        """Search items: BM25 over their passages (plus meaning with `semantic`), one hit per item; with
        a `product`, only that product's items and items with no product."""
        started = time.perf_counter()
        if not query.strip():
            raise InputError("query is empty: give words to search for, such as an alert name or an error message")
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")
        if kind is not None and not kind.strip():
            kind = None
        product = valid_product(product)
        self._wait_ready()
        focus = snippet_terms(self._query_terms(query), self.index.df)
        hits: list[SearchHit] = []
        seen: set[str] = set()
        for found in self.retrieve(query, limit * 4, kind, dense=semantic, product=product):
            rec = found.record
            if rec.item_id in seen:
                continue
            seen.add(rec.item_id)
            score = found.fused if semantic else found.bm25
            hits.append(
                SearchHit(
                    id=rec.item_id, kind=rec.kind, title=rec.title, section=rec.section,
                    snippet=make_snippet(rec.text, focus), score=round(score, 6), source=rec.source, anchor=rec.anchor,
                    product=rec.product,
                )
            )  # fmt: skip
            if len(hits) == limit:
                break
        if self.on_search is not None:
            self.on_search(time.perf_counter() - started)
        return SearchResult(query=query, hits=hits, total_items=self.n_items)

    def passage_terms(self, rec: PassageRecord) -> PassageTerms:
        """What a passage contains, for the judge (computed once per stored passage)."""
        cached = self._terms.get(rec.passage_no)
        if cached is None:
            cached = passage_terms(rec.title, rec.section, rec.text, rec.form)
            self._terms[rec.passage_no] = cached
        return cached

    def idf(self, term: str) -> float:
        """Lucene idf of a term over passages (0 for an empty index)."""
        n = self.index.n_docs
        return lucene_idf(n, self.index.df(term)) if n else 0.0

    def get(self, item: str) -> KnowledgeItem:
        """One item by id."""
        item = item.strip()
        if not item:
            raise InputError("id is empty: pass an id from a search hit, such as kb-0123456789abcdef")
        found = self.store.get_knowledge(item)
        if found is None:
            raise NotFoundError(f"no knowledge item {item!r}; search_knowledge returns valid ids")
        return found

    def body(self, item: str) -> str:
        """An item's body, as `get` gives it, remembered until the item is written again (the answer path
        reads the same few items' bodies for question after question)."""
        with self._bodies_lock:
            cached = self._bodies.get(item)
            if cached is not None:
                self._bodies.move_to_end(item)
                return cached
            generation = self._bodies_generation
        body = self.get(item).body
        with self._bodies_lock:
            if generation != self._bodies_generation:  # written while it was read: maybe the old body
                return body
            self._bodies[item] = body
            while len(self._bodies) > BODY_CACHE:
                self._bodies.popitem(last=False)
        return body

    def siblings(self, item: str) -> list[KnowledgeItem]:
        """The other items from the same source as `item` (the other sections of its document), in
        document order; [] when it has none. A few store reads: for the rare caller that needs them."""
        source = self.get(item).source
        ids = [i for i in self.store.source_items([source]).get(source, {}) if i != item]
        if not ids:
            return []
        first = {i: min(nos) for i, nos in self.store.passages_of(ids).items() if nos}
        out: list[KnowledgeItem] = []
        for i in sorted(ids, key=lambda i: first.get(i, 1 << 62)):
            try:
                out.append(self.get(i))
            except NotFoundError:  # removed since the listing
                continue
        return out

    def _forget_bodies(self, item_ids: Iterable[str]) -> None:
        with self._bodies_lock:
            self._bodies_generation += 1
            for item in item_ids:
                self._bodies.pop(item, None)

    def counts(self) -> dict[str, int]:
        """Stored items by kind."""
        return self.store.count_knowledge()

    # ---- writing -------------------------------------------------------------------------
    def add_paths(
        self,
        paths: Sequence[Path],
        kind: str | None = None,
        progress: Progress | None = None,
        product: str | None = None,
    ) -> IngestReport:
        """Ingest files and folders; re-adding a source updates it in place, and a file whose content
        hash is the one recorded when it was last added is not read again.

        `kind` names the kind of every item; None gives each format's own (runbook for Markdown
        and JSONL, doc for HTML and OpenAPI). `product` scopes every item to that product's tickets
        (None: every ticket); re-adding unchanged files with another product relabels their items
        without recomputing passages or embeddings.
        """
        if kind is not None:
            kind = _valid_kind(kind)
        product = valid_product(product)
        files, skipped = find_files(paths)
        report = IngestReport(skipped=skipped)
        self._wait_ready()
        known = self.store.ingested_files([str(p.resolve()) for p in files])
        pending: list[tuple[Document, str]] = []
        pending_files: list[IngestedFile] = []
        pending_chunks = 0
        for done, path in enumerate(files, start=1):
            fmt = format_of(path)
            loaded = read_file(path)
            if isinstance(loaded, SkippedInput) or fmt is None:
                report.skipped.extend([loaded] if isinstance(loaded, SkippedInput) else [])
                continue
            key = str(path.resolve())
            file_kind = kind or fmt.kind
            last = known.get(key)
            reader = f"{fmt.parser}+{SPLITTER}"  # a new parser or passage splitter re-reads old files
            current = (loaded.sha256, reader, file_kind, product)
            if last is not None and (last.sha256, last.parser, last.kind, last.product) == current:
                report.unchanged += last.items
                report.unchanged_files += 1
            else:
                parsed = parse_file(loaded)
                report.skipped.extend(parsed.skipped)
                report.notes.extend(parsed.notes)
                for doc in parsed.documents:
                    doc.product = product
                pending.extend((doc, file_kind) for doc in parsed.documents)
                items = sum(len(d.chunks) for d in parsed.documents)
                pending_chunks += items
                # A file with skipped parts is read again next time, so its problems are reported again.
                if parsed.documents and not parsed.skipped:
                    pending_files.append(IngestedFile(key, loaded.sha256, reader, file_kind, items, product))
                if len(pending) >= WRITE_BATCH_DOCS or pending_chunks >= FLUSH_CHUNKS:
                    self._flush(pending, pending_files, report)
                    pending_chunks = 0
            if progress is not None:
                progress(done, len(files))
        self._flush(pending, pending_files, report)
        return report

    def _flush(self, pending: list[tuple[Document, str]], files: list[IngestedFile], report: IngestReport) -> None:
        """Write the parsed documents, then record their files' hashes with the last batch."""
        by_kind: dict[str, list[Document]] = {}
        for doc, kind in pending:
            by_kind.setdefault(kind, []).append(doc)
        kinds = list(by_kind)
        for i, kind in enumerate(kinds):
            self._add(by_kind[kind], kind, report, files if i == len(kinds) - 1 else ())
        pending.clear()
        files.clear()

    def add_documents(
        self, documents: Sequence[Document], kind: str = "runbook", progress: Progress | None = None
    ) -> IngestReport:
        """Store and index documents, WRITE_BATCH_DOCS per transaction (each with its own product)."""
        kind = _valid_kind(kind)
        for doc in documents:
            doc.product = valid_product(doc.product)
        self._wait_ready()
        report = IngestReport()
        self._add(documents, kind, report, (), progress)
        return report

    def _add(
        self,
        documents: Sequence[Document],
        kind: str,
        report: IngestReport,
        files: Sequence[IngestedFile],
        progress: Progress | None = None,
    ) -> None:
        report.documents += len(documents)
        # The last document of a source wins, as if it had been added twice in a row.
        by_source = {d.source: d for d in documents}
        todo = list(by_source.values())
        starts = list(range(0, len(todo), WRITE_BATCH_DOCS)) or [0]
        for start in starts:
            batch = todo[start : start + WRITE_BATCH_DOCS]
            self._write_batch(batch, kind, report, files if start == starts[-1] else ())
            if progress is not None:
                progress(start + len(batch), len(todo))

    def _write_batch(
        self, batch: Sequence[Document], kind: str, report: IngestReport, files: Sequence[IngestedFile] = ()
    ) -> None:
        with self._write_lock:
            counts = self._retrying(lambda: self._plan_batch(batch, kind, files))
        report.added += counts.added
        report.updated += counts.updated
        report.unchanged += counts.unchanged
        report.removed += counts.removed

    def _plan_batch(self, batch: Sequence[Document], kind: str, files: Sequence[IngestedFile]) -> IngestReport:
        """Plan a batch from what is stored now and write it; what it did (write lock held)."""
        counts = IngestReport()
        existing = self.store.source_items([d.source for d in batch])
        planned: list[_Planned] = []
        remove_ids: list[str] = []
        replaced_ids: list[str] = []
        relabels: list[tuple[str, str | None]] = []
        for doc in batch:
            old = existing.get(doc.source, {})
            seen: set[str] = set()
            ordinals: Counter[str] = Counter()
            for chunk in doc.chunks:
                ordinals[chunk.section] += 1
                cid = item_id(doc.source, chunk.section, ordinals[chunk.section])
                seen.add(cid)
                row_hash = _content_hash(kind, chunk, doc.tags)
                if cid in old and old[cid][0] == row_hash:
                    if old[cid][1] == doc.product:
                        counts.unchanged += 1
                    else:  # the same words for another product: only the label moves
                        relabels.append((cid, doc.product))
                        counts.updated += 1
                    continue
                if cid in old:
                    replaced_ids.append(cid)
                    counts.updated += 1
                else:
                    counts.added += 1
                row = KnowledgeRow(
                    id=cid, kind=kind, title=chunk.title, section=chunk.section, body=chunk.body,
                    source=doc.source, anchor=chunk.anchor, tags=doc.tags, content_hash=row_hash, product=doc.product,
                )  # fmt: skip
                planned.append(_Planned(row, _pieces(chunk)))
            for gone_id in old:
                if gone_id not in seen:
                    remove_ids.append(gone_id)
                    counts.removed += 1
        if planned or remove_ids or relabels:
            self._apply(planned, replaced_ids, remove_ids, files, relabels)
        elif files:
            self.store.apply_knowledge(KnowledgeChange(files=files))
        return counts

    def _apply(
        self,
        planned: list[_Planned],
        replaced_ids: list[str],
        remove_ids: list[str],
        files: Sequence[IngestedFile] = (),
        relabels: Sequence[tuple[str, str | None]] = (),
    ) -> None:
        """Write items with their passages, postings and embeddings, then update memory (write lock held)."""
        old_nos = [no for nos in self.store.passages_of(replaced_ids + remove_ids).values() for no in nos]
        relabelled = self.store.passages_of([i for i, _ in relabels]) if relabels else {}
        first_no = self._next_passage_no
        rows: list[PassageRow] = []
        docs: list[DocTerms] = []
        texts: list[str] = []
        for p in planned:
            for ordinal, passage in enumerate(p.passages, start=1):
                no = self._next_passage_no
                self._next_passage_no += 1
                counts = Counter(tokenize(index_text(p.row.title, p.row.section, passage.text)))
                length = sum(counts.values())
                rows.append(PassageRow(no, p.row.id, ordinal, passage.form, passage.text, length))
                docs.append(DocTerms(no, counts, length, p.row.kind))
                texts.append(embedding_text(p.row.title, p.row.section, passage.text, passage.form))
        embedder = self._embedder
        vectors = embedder.embed(texts) if embedder is not None and texts else None
        if embedder is not None and vectors is not None:
            # A learned Q&A's question is embedded as it stands, and the skill decision that follows
            # queries the Q&A items with that very text: it gets this vector instead of a second run.
            given = [i for i, r in enumerate(rows) if r.form == "given"]
            embedder.remember([texts[i] for i in given], vectors[given])
        if vectors is not None:
            rows = [PassageRow(r.passage_no, r.item_id, r.ordinal, r.form, r.text, r.length, to_blob(v))
                    for r, v in zip(rows, vectors, strict=True)]  # fmt: skip
        new_terms = self.index.plan_terms(t for d in docs for t in d.counts)
        postings: list[tuple[int, int, int]] = []
        for d in docs:
            for term, tf in d.counts.items():
                tid = self.index.term_id(term)
                postings.append((d.doc_no, new_terms[term] if tid is None else tid, tf))
        old_terms = self.store.terms_of(old_nos) if old_nos else []
        try:
            position = self.store.apply_knowledge(
                KnowledgeChange(
                    upserts=[p.row for p in planned], passages=rows, postings=postings, new_terms=new_terms,
                    remove_ids=remove_ids, replaced_ids=replaced_ids, files=files, relabels=relabels,
                    feed_position=self.feed_position if self.store.shared else None,
                )
            )  # fmt: skip
        except BaseException:
            self._next_passage_no = first_no  # nothing was stored: the numbers are free again
            raise
        if self.store.shared:
            self.feed_position = position
        self._forget_bodies([*replaced_ids, *remove_ids, *(p.row.id for p in planned)])
        # The store has it; now bring the in-memory indexes and records in step.
        self.index.remove(old_nos, old_terms)
        self.vectors.remove(old_nos)
        for no in old_nos:
            self._records.pop(no, None)
            self._terms.pop(no, None)
        self.scopes.clear(old_nos)
        self._items.difference_update(remove_ids)
        for item, product in relabels:
            for no in relabelled.get(item, []):
                rec = self._records.get(no)
                if rec is not None:
                    self._records[no] = replace(rec, product=product)
            self.scopes.set((no, product) for no in relabelled.get(item, []))
        self.index.add(docs, planned_terms=new_terms)
        by_id = {p.row.id: p.row for p in planned}
        for r in rows:
            item = by_id[r.item_id]
            self._records[r.passage_no] = PassageRecord(
                r.passage_no, r.item_id, item.kind, r.ordinal, item.title, item.section, item.source, item.anchor,
                r.form, r.text, item.product,
            )  # fmt: skip
        self.scopes.set((r.passage_no, by_id[r.item_id].product) for r in rows)
        self._items.update(by_id)
        if vectors is not None:
            self.vectors.add([r.passage_no for r in rows], vectors, [by_id[r.item_id].kind for r in rows])

    # ---- following other replicas (a shared store) ------------------------------------------
    def _retrying(self, write: Callable[[], T]) -> T:
        """Run a planned write (write lock held); when another replica wrote first, catch up and run it again."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return write()
            except StoreConflict:
                if not self.store.shared or attempt == CONFLICT_RETRIES - 1:
                    raise
                log.debug("knowledge changed on another replica; catching up and planning again")
                self._catch_up()
        raise AssertionError("unreachable")

    def apply_feed(self) -> int:
        """Bring the indexes up to the shared store's change feed; how many items other replicas changed."""
        if not self.store.shared or not self._ready.is_set():
            return 0
        with self._write_lock:
            return self._catch_up()

    def _catch_up(self) -> int:
        store = cast(SharedKnowledgeStore, self.store)
        applied = 0
        while True:
            entries = store.knowledge_changes(self.feed_position)
            if not entries:
                return applied
            # This replica's own entries are in its indexes already (it wrote them from there).
            others = list(dict.fromkeys(e.item_id for e in entries if e.origin != store.origin))
            if others:
                self._reload(store, others)
            self.feed_position = entries[-1].seq
            applied += len(others)

    def _reload(self, store: SharedKnowledgeStore, item_ids: Sequence[str]) -> None:
        """Replace what the indexes hold of these items with what the store holds now (write lock held)."""
        wanted = set(item_ids)
        self._forget_bodies(wanted)
        gone = [rec for rec in self._records.values() if rec.item_id in wanted]
        stored = store.stored_passages(item_ids)
        # Read after the passages, so every term they use has its id here.
        new_terms = store.terms_from(self.index.n_terms)
        planned = {term: self.index.n_terms + i for i, term in enumerate(new_terms)}
        old_terms = {t for rec in gone for t in tokenize(index_text(rec.title, rec.section, rec.text))}
        gone_nos = [rec.passage_no for rec in gone]
        self.index.remove(gone_nos, old_terms)
        self.vectors.remove(gone_nos)
        for no in gone_nos:
            self._records.pop(no, None)
            self._terms.pop(no, None)
        self.scopes.clear(gone_nos)
        self._items.difference_update(wanted)
        self.index.add(
            [DocTerms(p.record.passage_no, p.counts, p.length, p.record.kind) for p in stored], planned_terms=planned
        )
        with_vectors = [p for p in stored if p.embedding is not None and len(p.embedding) == DIM * 2]
        self.scopes.set((p.record.passage_no, p.record.product) for p in stored)
        for p in stored:
            self._records[p.record.passage_no] = p.record
            self._items.add(p.record.item_id)
            self._next_passage_no = max(self._next_passage_no, p.record.passage_no + 1)
        if with_vectors:
            matrix = np.frombuffer(b"".join(p.embedding or b"" for p in with_vectors), dtype="<f2")
            self.vectors.add(
                [p.record.passage_no for p in with_vectors],
                matrix.reshape(len(with_vectors), DIM).astype(np.float32),
                [p.record.kind for p in with_vectors],
            )


def _valid_kind(kind: str) -> str:
    kind = kind.strip().lower()
    if not kind or len(kind) > KIND_CHARS or not kind.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"kind {kind!r} is not valid: use a short word such as runbook, doc, qa or skill")
    return kind


def _content_hash(kind: str, chunk: Chunk, tags: Sequence[str]) -> str:
    h = hashlib.sha1()
    passages = "\x1e".join(chunk.passages) if chunk.passages is not None else "\x1d"
    for part in (kind, chunk.title, chunk.section, chunk.body, "\x1f".join(tags), chunk.anchor, passages):
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()
