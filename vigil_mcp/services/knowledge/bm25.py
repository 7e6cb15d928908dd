"""An in-memory BM25 index with Lucene's idf, updated in place.

Postings are numpy arrays per term; scoring a query touches only the postings of its terms.
The store is the source of truth: this index is rebuilt from it at start and then kept in step
with every write, so an added document is searchable by the next query without a rebuild.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vigil_mcp.services.knowledge.scope import Allowed
from vigil_mcp.storage.base import Snapshot

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
TfArray = npt.NDArray[np.uint16]

# Term frequencies are held as uint16 to halve memory; a chunk is at most a few thousand characters.
MAX_TF = 65_535

K1 = 1.2
B = 0.75

_EMPTY_DOCS: IntArray = np.zeros(0, dtype=np.int32)
_EMPTY_TFS: TfArray = np.zeros(0, dtype=np.uint16)


def lucene_idf(n_docs: int, df: int) -> float:
    """Lucene's BM25 idf: ln(1 + (N - df + 0.5) / (df + 0.5)), never negative."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class DocTerms:
    """One document's term frequencies, ready to index."""

    doc_no: int
    counts: Mapping[str, int]
    length: int
    kind: str


class Bm25Index:
    """BM25 (k1, b) over documents numbered by `doc_no`; thread-safe."""

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1 = k1
        self.b = b
        self._lock = threading.RLock()
        self._term_ids: dict[str, int] = {}
        self._docs: list[IntArray] = []
        self._tfs: list[TfArray] = []
        self._lengths: FloatArray = np.zeros(1024, dtype=np.float64)
        self._kinds: npt.NDArray[np.int16] = np.full(1024, -1, dtype=np.int16)
        self._kind_codes: dict[str, int] = {}
        self._n_docs = 0
        self._total_length = 0.0
        self._next_doc_no = 0

    # ---- size and vocabulary -------------------------------------------------------------
    @property
    def n_docs(self) -> int:
        """Number of live documents."""
        return self._n_docs

    @property
    def n_terms(self) -> int:
        """Size of the vocabulary (the id the next new term gets)."""
        return len(self._docs)

    @property
    def next_doc_no(self) -> int:
        """The smallest doc_no above every one seen so far."""
        return self._next_doc_no

    def term_id(self, term: str) -> int | None:
        """The id of a known term."""
        return self._term_ids.get(term)

    def plan_terms(self, terms: Iterable[str]) -> dict[str, int]:
        """Ids the given unknown terms would get, without adding them (commit with `add`)."""
        with self._lock:
            planned: dict[str, int] = {}
            next_id = len(self._docs)
            for term in terms:
                if term not in self._term_ids and term not in planned:
                    planned[term] = next_id
                    next_id += 1
            return planned

    def df(self, term: str) -> int:
        """How many live documents contain the term."""
        tid = self._term_ids.get(term)
        return 0 if tid is None else int(self._docs[tid].size)

    # ---- building --------------------------------------------------------------------------
    def load(self, snap: Snapshot) -> None:
        """Replace the whole index with a snapshot from the store."""
        with self._lock:
            self._term_ids = {t: i for i, t in enumerate(snap.terms)}
            n_terms = len(snap.terms)
            sorted_terms, docs, tfs = snap.term_ids, snap.doc_nos, snap.tfs
            if sorted_terms.size > 1 and bool(np.any(sorted_terms[1:] < sorted_terms[:-1])):
                order = np.argsort(sorted_terms, kind="stable")
                sorted_terms, docs, tfs = sorted_terms[order], docs[order], tfs[order]
            docs = docs.astype(np.int32, copy=False)
            tfs = np.minimum(tfs, MAX_TF).astype(np.uint16, copy=False)
            bounds = np.searchsorted(sorted_terms, np.arange(n_terms + 1, dtype=sorted_terms.dtype))
            self._docs = [docs[bounds[i] : bounds[i + 1]] for i in range(n_terms)]
            self._tfs = [tfs[bounds[i] : bounds[i + 1]] for i in range(n_terms)]
            cap = max(1024, int(snap.doc_no_of_doc.max()) + 1 if snap.doc_no_of_doc.size else 0)
            self._lengths = np.zeros(cap, dtype=np.float64)
            self._kinds = np.full(cap, -1, dtype=np.int16)
            self._kind_codes = {}
            codes = np.array([self._kind_code(k) for k in snap.kind_of_doc], dtype=np.int16)
            self._lengths[snap.doc_no_of_doc] = snap.length_of_doc
            self._kinds[snap.doc_no_of_doc] = codes
            self._n_docs = int(snap.doc_no_of_doc.size)
            self._next_doc_no = int(snap.doc_no_of_doc.max()) + 1 if snap.doc_no_of_doc.size else 0
            self._total_length = float(snap.length_of_doc.sum())

    def _kind_code(self, kind: str) -> int:
        code = self._kind_codes.get(kind)
        if code is None:
            code = len(self._kind_codes)
            self._kind_codes[kind] = code
        return code

    def _ensure_capacity(self, doc_no: int) -> None:
        if doc_no < self._lengths.size:
            return
        cap = max(doc_no + 1, self._lengths.size * 2)
        lengths = np.zeros(cap, dtype=np.float64)
        lengths[: self._lengths.size] = self._lengths
        kinds = np.full(cap, -1, dtype=np.int16)
        kinds[: self._kinds.size] = self._kinds
        self._lengths, self._kinds = lengths, kinds

    def add(self, docs: Sequence[DocTerms], planned_terms: Mapping[str, int] | None = None) -> None:
        """Index documents (a doc_no already present is replaced).

        `planned_terms` are the ids `plan_terms` gave and the store recorded; they are taken as is.
        """
        with self._lock:
            for term, tid in sorted((planned_terms or {}).items(), key=lambda kv: kv[1]):
                if term in self._term_ids:
                    continue
                if tid != len(self._docs):
                    raise ValueError(f"term id {tid} for {term!r} is out of step with the index")
                self._term_ids[term] = tid
                self._docs.append(_EMPTY_DOCS)
                self._tfs.append(_EMPTY_TFS)
            replaced = [d.doc_no for d in docs if d.doc_no < self._kinds.size and self._kinds[d.doc_no] >= 0]
            if replaced:
                self.remove(replaced)
            new_postings: dict[int, list[tuple[int, int]]] = {}
            for doc in docs:
                self._ensure_capacity(doc.doc_no)
                self._lengths[doc.doc_no] = doc.length
                self._kinds[doc.doc_no] = self._kind_code(doc.kind)
                self._n_docs += 1
                self._total_length += doc.length
                self._next_doc_no = max(self._next_doc_no, doc.doc_no + 1)
                for term, tf in doc.counts.items():
                    tid = self._term_ids.get(term)
                    if tid is None:
                        tid = len(self._docs)
                        self._term_ids[term] = tid
                        self._docs.append(_EMPTY_DOCS)
                        self._tfs.append(_EMPTY_TFS)
                    new_postings.setdefault(tid, []).append((doc.doc_no, tf))
            for tid, pairs in new_postings.items():
                add_docs = np.fromiter((p[0] for p in pairs), dtype=np.int32, count=len(pairs))
                add_tfs = np.fromiter((min(p[1], MAX_TF) for p in pairs), dtype=np.uint16, count=len(pairs))
                self._docs[tid] = np.concatenate((self._docs[tid], add_docs))
                self._tfs[tid] = np.concatenate((self._tfs[tid], add_tfs))

    def remove(self, doc_nos: Sequence[int], terms: Iterable[str] | None = None) -> None:
        """Drop documents; `terms` (their vocabulary) avoids a scan of every posting list."""
        with self._lock:
            present = [d for d in doc_nos if d < self._kinds.size and self._kinds[d] >= 0]
            if not present:
                return
            gone = np.array(present, dtype=np.int32)
            for d in present:
                self._n_docs -= 1
                self._total_length -= float(self._lengths[d])
                self._lengths[d] = 0.0
                self._kinds[d] = -1
            if terms is None:
                tids: Iterable[int] = range(len(self._docs))
            else:
                tids = [t for t in (self._term_ids.get(x) for x in terms) if t is not None]
            for tid in tids:
                docs = self._docs[tid]
                if docs.size == 0:
                    continue
                keep = ~np.isin(docs, gone)
                if not keep.all():
                    self._docs[tid] = docs[keep]
                    self._tfs[tid] = self._tfs[tid][keep]

    # ---- querying --------------------------------------------------------------------------
    def search(
        self, query_terms: Sequence[str], limit: int, kind: str | None = None, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        """Top `limit` (doc_no, score) pairs, best first; ties broken by lower doc_no.

        `allowed` keeps only the documents it marks True, before the cut, so the `limit` are all allowed ones.
        """
        with self._lock:
            if self._n_docs == 0 or limit <= 0:
                return []
            kind_code: int | None = None
            if kind is not None:
                kind_code = self._kind_codes.get(kind)
                if kind_code is None:
                    return []
            n = self._n_docs
            avgdl = self._total_length / n
            k1, b = self.k1, self.b
            all_docs: list[IntArray] = []
            all_weights: list[FloatArray] = []
            for term, qtf in Counter(query_terms).items():
                tid = self._term_ids.get(term)
                if tid is None:
                    continue
                docs = self._docs[tid]
                if docs.size == 0:
                    continue
                tf = self._tfs[tid].astype(np.float64)
                idf = lucene_idf(n, int(docs.size))
                norm = k1 * (1.0 - b + b * self._lengths[docs] / avgdl)
                all_docs.append(docs)
                all_weights.append((qtf * idf) * (tf * (k1 + 1.0)) / (tf + norm))
            if not all_docs:
                return []
            if len(all_docs) == 1:
                candidates, cand_scores = all_docs[0], all_weights[0]
            else:
                docs_cat = np.concatenate(all_docs)
                scores = np.bincount(docs_cat, weights=np.concatenate(all_weights), minlength=self._lengths.size)
                # A document appears once per matching term; it is deduplicated after the cut below.
                candidates, cand_scores = docs_cat, scores[docs_cat]
            if kind_code is not None:
                keep = self._kinds[candidates] == kind_code
                candidates, cand_scores = candidates[keep], cand_scores[keep]
            if allowed is not None and candidates.size:
                keep = allowed(candidates)
                candidates, cand_scores = candidates[keep], cand_scores[keep]
            if candidates.size == 0:
                return []
            wanted = limit * len(all_docs)
            if candidates.size > wanted:
                top = np.argpartition(-cand_scores, wanted - 1)[:wanted]
                # Keep every candidate tied with the cut-off so the tie-break below is exact.
                top = np.flatnonzero(cand_scores >= cand_scores[top].min())
                candidates, cand_scores = candidates[top], cand_scores[top]
            if len(all_docs) > 1:
                candidates, first = np.unique(candidates, return_index=True)
                cand_scores = cand_scores[first]
            order = np.lexsort((candidates, -cand_scores))[:limit]
            return [(int(candidates[i]), float(cand_scores[i])) for i in order]
