"""Knowledge: ingest documents into the store and answer BM25 searches from memory."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil_mcp.errors import InputError, NotFoundError, NotReadyError
from vigil_mcp.models import IngestReport, KnowledgeItem, SearchHit, SearchResult, SkippedInput
from vigil_mcp.services.knowledge.bm25 import Bm25Index, DocTerms, lucene_idf
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document, find_files, format_of, parse_file, read_file
from vigil_mcp.services.text import STOPWORDS, tokenize
from vigil_mcp.storage.base import DocRecord, IngestedFile, KnowledgeChange, KnowledgeRow, KnowledgeStore

log = logging.getLogger(__name__)

MAX_LIMIT = 50
MAX_QUERY_CHARS = 20_000
MAX_QUERY_TERMS = 256
SNIPPET_CHARS = 240
WRITE_BATCH_DOCS = 200
# Parsed chunks held before they are written, so a folder of large files stays within memory.
FLUSH_CHUNKS = 5000
KIND_CHARS = 32

Progress = Callable[[int, int], None]


def item_id(source: str, section: str, ordinal: int) -> str:
    """Stable id of a chunk: the same source and section always map to the same id."""
    digest = hashlib.sha1(f"{source}\x00{section}\x00{ordinal}".encode()).hexdigest()
    return f"kb-{digest[:16]}"


def index_text(title: str, section: str, body: str) -> str:
    """What gets tokenized for an item: its title and section path count as text too."""
    return f"{title}\n{title}\n{section}\n{body}"


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
class _Planned:
    row: KnowledgeRow
    counts: Counter[str]


class KnowledgeService:
    """Adds documents (one writer at a time) and searches them (from the in-memory index)."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.index = Bm25Index()
        self._records: dict[int, DocRecord] = {}
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._ready = threading.Event()
        self._load_error: BaseException | None = None
        self.load_seconds: float | None = None
        # Called with the seconds each answered search took (the server's metrics hook).
        self.on_search: Callable[[float], None] | None = None

    # ---- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Build the in-memory index from the store (once; later calls wait for it)."""
        with self._load_lock:
            if self._ready.is_set():
                return
            started = time.perf_counter()
            try:
                snap, records = self.store.load_index()
                self.index.load(snap)
                self._records = records
            except BaseException as exc:
                self._load_error = exc
                raise
            self.load_seconds = time.perf_counter() - started
            self._ready.set()
            log.info("knowledge index ready: %d items in %.3f s", len(records), self.load_seconds)

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
    def search(self, query: str, limit: int = 5, kind: str | None = None) -> SearchResult:
        """BM25 search over every item (or one kind)."""
        started = time.perf_counter()
        if not query.strip():
            raise InputError("query is empty: give words to search for, such as an alert name or an error message")
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")
        if kind is not None and not kind.strip():
            kind = None
        self._wait_ready()
        terms = tokenize(query[:MAX_QUERY_CHARS])
        if len(set(terms)) > MAX_QUERY_TERMS:
            keep = set(list(dict.fromkeys(terms))[:MAX_QUERY_TERMS])
            terms = [t for t in terms if t in keep]
        ranked = self.index.search(terms, limit, kind)
        focus = snippet_terms(terms, self.index.df)
        hits: list[SearchHit] = []
        for doc_no, score in ranked:
            rec = self._records.get(doc_no)
            if rec is None:
                continue
            hits.append(
                SearchHit(
                    id=rec.id,
                    kind=rec.kind,
                    title=rec.title,
                    section=rec.section,
                    snippet=make_snippet(rec.body, focus),
                    score=round(score, 6),
                    source=rec.source,
                    anchor=rec.anchor,
                )
            )
        if self.on_search is not None:
            self.on_search(time.perf_counter() - started)
        return SearchResult(query=query, hits=hits, total_items=self.index.n_docs)

    def retrieve(self, terms: Sequence[str], limit: int, kind: str | None = None) -> list[tuple[DocRecord, float]]:
        """Ranked records for already-tokenized terms: what the proactive engine reads as evidence."""
        self._wait_ready()
        out: list[tuple[DocRecord, float]] = []
        for doc_no, score in self.index.search(terms[: MAX_QUERY_TERMS * 4], limit, kind):
            rec = self._records.get(doc_no)
            if rec is not None:
                out.append((rec, score))
        return out

    def idf(self, term: str) -> float:
        """Lucene idf of a term in the current index (0 for an empty index)."""
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

    def counts(self) -> dict[str, int]:
        """Stored items by kind."""
        return self.store.count_knowledge()

    # ---- writing -------------------------------------------------------------------------
    def add_paths(
        self, paths: Sequence[Path], kind: str | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """Ingest files and folders; re-adding a source updates it in place, and a file whose content
        hash is the one recorded when it was last added is not read again.

        `kind` names the kind of every item; None gives each format's own (runbook for Markdown
        and JSONL, doc for HTML and OpenAPI).
        """
        if kind is not None:
            kind = _valid_kind(kind)
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
            if last is not None and (last.sha256, last.parser, last.kind) == (loaded.sha256, fmt.parser, file_kind):
                report.unchanged += last.items
                report.unchanged_files += 1
            else:
                parsed = parse_file(loaded)
                report.skipped.extend(parsed.skipped)
                report.notes.extend(parsed.notes)
                pending.extend((doc, file_kind) for doc in parsed.documents)
                items = sum(len(d.chunks) for d in parsed.documents)
                pending_chunks += items
                # A file with skipped parts is read again next time, so its problems are reported again.
                if parsed.documents and not parsed.skipped:
                    pending_files.append(IngestedFile(key, loaded.sha256, fmt.parser, file_kind, items))
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
        """Store and index documents, WRITE_BATCH_DOCS per transaction."""
        kind = _valid_kind(kind)
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
            existing = self.store.source_items([d.source for d in batch])
            planned: list[_Planned] = []
            remove_ids: list[str] = []
            remove_doc_nos: list[int] = []
            replaced_doc_nos: list[int] = []
            next_doc_no = self.index.next_doc_no
            for doc in batch:
                old = existing.get(doc.source, {})
                seen: set[str] = set()
                ordinals: Counter[str] = Counter()
                for chunk in doc.chunks:
                    ordinals[chunk.section] += 1
                    cid = item_id(doc.source, chunk.section, ordinals[chunk.section])
                    seen.add(cid)
                    row_hash = _content_hash(kind, chunk, doc.tags)
                    if cid in old and old[cid][1] == row_hash:
                        report.unchanged += 1
                        continue
                    if cid in old:
                        doc_no = old[cid][0]
                        remove_doc_nos.append(doc_no)
                        replaced_doc_nos.append(doc_no)
                        report.updated += 1
                    else:
                        doc_no = next_doc_no
                        next_doc_no += 1
                        report.added += 1
                    counts = Counter(tokenize(index_text(chunk.title, chunk.section, chunk.body)))
                    row = KnowledgeRow(
                        id=cid,
                        doc_no=doc_no,
                        kind=kind,
                        title=chunk.title,
                        section=chunk.section,
                        body=chunk.body,
                        source=doc.source,
                        tags=doc.tags,
                        content_hash=row_hash,
                        length=sum(counts.values()),
                        anchor=chunk.anchor,
                    )
                    planned.append(_Planned(row, counts))
                for gone_id, (gone_doc_no, _) in old.items():
                    if gone_id not in seen:
                        remove_ids.append(gone_id)
                        remove_doc_nos.append(gone_doc_no)
                        report.removed += 1
            if not planned and not remove_ids:
                if files:
                    self.store.apply_knowledge(KnowledgeChange(files=files))
                return
            new_terms = self.index.plan_terms(t for p in planned for t in p.counts)
            postings: list[tuple[int, int, int]] = []
            for p in planned:
                for term, tf in p.counts.items():
                    tid = self.index.term_id(term)
                    postings.append((p.row.doc_no, new_terms[term] if tid is None else tid, tf))
            old_terms = self.store.terms_of(remove_doc_nos) if remove_doc_nos else []
            self.store.apply_knowledge(
                KnowledgeChange(
                    upserts=[p.row for p in planned],
                    postings=postings,
                    new_terms=new_terms,
                    remove_ids=remove_ids,
                    replaced_doc_nos=replaced_doc_nos,
                    files=files,
                )
            )
            # The store has it; now bring the in-memory index and records in step.
            self.index.remove(remove_doc_nos, old_terms)
            for doc_no in remove_doc_nos:
                self._records.pop(doc_no, None)
            self.index.add(
                [DocTerms(p.row.doc_no, p.counts, p.row.length, kind) for p in planned],
                planned_terms=new_terms,
            )
            for p in planned:
                r = p.row
                self._records[r.doc_no] = DocRecord(r.id, r.kind, r.title, r.section, r.source, r.body, r.anchor)


def _valid_kind(kind: str) -> str:
    kind = kind.strip().lower()
    if not kind or len(kind) > KIND_CHARS or not kind.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"kind {kind!r} is not valid: use a short word such as runbook, doc, qa or skill")
    return kind


def _content_hash(kind: str, chunk: Chunk, tags: Sequence[str]) -> str:
    h = hashlib.sha1()
    # The anchor joined the hash later: items without one keep the hashes they were stored with.
    anchor = (chunk.anchor,) if chunk.anchor else ()
    for part in (kind, chunk.title, chunk.section, chunk.body, "\x1f".join(tags), *anchor):
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()
