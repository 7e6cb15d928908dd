"""Passage embeddings in memory, searched by cosine similarity.

Vectors are unit length, so cosine is a dot product. Search is exact (one matrix-vector product):
at the sizes a support team's docs reach (tens of thousands of passages) it costs a few
milliseconds, needs no build step at start and gives the same answer every time.

The product runs on one BLAS thread. OpenBLAS splits a large matrix-vector product over every core,
and on a 2-core machine that also runs the embedding model and other requests the two halves wait
for each other: 100k x 384 took 16-22 ms on two threads and 11-13 ms on one at load 3-5, with
bit-identical scores (docs/retrieval.md, "Speed"). threadpoolctl is the maintained way to set
OpenBLAS's (or MKL's) thread count from inside the process.

From PREFILTER_ROWS rows on, a first pass over int8 codes of the vectors (a quarter of the bytes, one
MatMulInteger on onnxruntime: numpy has no fast int8 product) bounds every row's cosine from above and
below, and only the rows that could still reach the top `limit` are scored in float32. The bound is
rigorous (Cauchy-Schwarz on the rounding residuals, plus a margin far above float32's own error) and
those rows are scored as the full scan scores them, so the result is the full scan's: the same
passages, the same scores to the bit (docs/retrieval.md, "Speed").
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from vigil_mcp.errors import ModelError
from vigil_mcp.services.knowledge import runtime
from vigil_mcp.services.knowledge.scope import Allowed
from vigil_mcp.storage.base import VectorSnapshot

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]
Rows = npt.NDArray[np.intp]
SCAN_THREADS = 1
# Below this many rows the float32 scan takes a few ms and the first pass would not pay for itself.
PREFILTER_ROWS = 8192
# Added to the bound (times |v| |q|): float32's rounding in a 384-term product of unit vectors stays
# below 3e-5.
MARGIN = 1e-4
# Rows scored together by the float32 pass: a multiple of every row grouping of OpenBLAS's gemv kernels.
ROW_GROUP = 16
QUANTIZE_BLOCK = 4096
_OFFSET = 128  # codes are stored as uint8 (code + 128): the kernel takes uint8 rows and an int8 query


@functools.cache
def _int8_scan() -> Any:  # an onnxruntime session, or None (then every search scans in float32)
    if not runtime.exact_int8():
        return None
    try:
        return runtime.session(runtime.int8_matvec(), SCAN_THREADS)
    except ModelError as exc:
        log.warning("no int8 first pass, vector search scores every row in float32: %s", exc)
        return None


def quantize(vectors: Matrix) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-row int8 codes, their scales and the norms of the rounding residuals: v = scale * code + r."""
    v = vectors.astype(np.float64)
    peak = np.abs(v).max(axis=1) if v.size else np.zeros(len(v))
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    codes = np.clip(np.rint(v / scale[:, None]), -127, 127)
    residual = np.linalg.norm(v - codes * scale[:, None], axis=1)
    return codes.astype(np.int8), scale, residual


@functools.cache
def _blas() -> Any:  # threadpoolctl is untyped
    return ThreadpoolController()  # inspects the loaded libraries once (~ms)


class VectorIndex:
    """Unit vectors keyed by passage number, with the kind of each passage's item for filtering."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._lock = threading.Lock()
        self._matrix: Matrix = np.zeros((1024, dim), dtype=np.float32)
        self._keys: npt.NDArray[np.int64] = np.zeros(1024, dtype=np.int64)
        self._kinds: npt.NDArray[np.int16] = np.zeros(1024, dtype=np.int16)
        # The first pass (module docstring): per row its codes + 128, scale, |scale * codes|, |residual|.
        self._codes: npt.NDArray[np.uint8] = np.zeros((1024, dim), dtype=np.uint8)
        self._scale: npt.NDArray[np.float64] = np.zeros(1024, dtype=np.float64)
        self._code_norm: npt.NDArray[np.float64] = np.zeros(1024, dtype=np.float64)
        self._residual: npt.NDArray[np.float64] = np.zeros(1024, dtype=np.float64)
        self._row_of: dict[int, int] = {}
        self._kind_codes: dict[str, int] = {}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, key: int) -> bool:
        return key in self._row_of

    def _code(self, kind: str) -> int:
        code = self._kind_codes.get(kind)
        if code is None:
            code = self._kind_codes[kind] = len(self._kind_codes)
        return code

    def _grow(self, need: int) -> None:
        if need <= self._keys.size:
            return
        cap = max(need, self._keys.size * 2)
        matrix = np.zeros((cap, self.dim), dtype=np.float32)
        matrix[: self._n] = self._matrix[: self._n]
        keys = np.zeros(cap, dtype=np.int64)
        keys[: self._n] = self._keys[: self._n]
        kinds = np.zeros(cap, dtype=np.int16)
        kinds[: self._n] = self._kinds[: self._n]
        codes = np.zeros((cap, self.dim), dtype=np.uint8)
        codes[: self._n] = self._codes[: self._n]
        scale, code_norm, residual = (np.zeros(cap, dtype=np.float64) for _ in range(3))
        scale[: self._n] = self._scale[: self._n]
        code_norm[: self._n] = self._code_norm[: self._n]
        residual[: self._n] = self._residual[: self._n]
        self._matrix, self._keys, self._kinds = matrix, keys, kinds
        self._codes, self._scale, self._code_norm, self._residual = codes, scale, code_norm, residual

    def _set_codes(self, rows: Rows) -> None:
        """The first pass's codes and bounds of `rows`, from their float32 vectors (in blocks: the
        float64 arithmetic on 100k rows at once would need ~1 GB)."""
        for start in range(0, rows.size, QUANTIZE_BLOCK):
            block = rows[start : start + QUANTIZE_BLOCK]
            codes, scale, residual = quantize(self._matrix[block])
            self._codes[block] = (codes.astype(np.int16) + _OFFSET).astype(np.uint8)
            self._scale[block] = scale
            self._code_norm[block] = scale * np.linalg.norm(codes.astype(np.float64), axis=1)
            self._residual[block] = residual

    def load(self, snap: VectorSnapshot, kind_of: dict[int, str]) -> None:
        """Replace the contents with stored vectors (`kind_of`: passage number -> its item's kind)."""
        with self._lock:
            keep = [i for i, no in enumerate(snap.passage_nos.tolist()) if no in kind_of]
            self._n = 0
            self._row_of = {}
            self._grow(len(keep))
            if keep:
                rows = np.asarray(keep, dtype=np.int64)
                self._matrix[: len(keep)] = snap.vectors[rows].astype(np.float32)
                self._keys[: len(keep)] = snap.passage_nos[rows]
                self._kinds[: len(keep)] = [self._code(kind_of[int(no)]) for no in snap.passage_nos[rows]]
                self._set_codes(np.arange(len(keep)))
            self._n = len(keep)
            self._row_of = {int(k): i for i, k in enumerate(self._keys[: self._n].tolist())}

    def add(self, keys: Sequence[int], vectors: Matrix, kinds: Sequence[str]) -> None:
        """Add (or replace) vectors."""
        with self._lock:
            self._grow(self._n + len(keys))
            written: list[int] = []
            for key, vector, kind in zip(keys, vectors, kinds, strict=True):
                row = self._row_of.get(key)
                if row is None:
                    row = self._n
                    self._n += 1
                    self._row_of[key] = row
                    self._keys[row] = key
                self._matrix[row] = vector
                self._kinds[row] = self._code(kind)
                written.append(row)
            if written:
                self._set_codes(np.asarray(written, dtype=np.intp))

    def remove(self, keys: Sequence[int]) -> None:
        """Drop vectors (unknown keys are ignored); the last row moves into each hole."""
        with self._lock:
            for key in keys:
                row = self._row_of.pop(key, None)
                if row is None:
                    continue
                last = self._n - 1
                if row != last:
                    moved = int(self._keys[last])
                    self._matrix[row] = self._matrix[last]
                    self._keys[row] = moved
                    self._kinds[row] = self._kinds[last]
                    self._codes[row] = self._codes[last]
                    self._scale[row] = self._scale[last]
                    self._code_norm[row] = self._code_norm[last]
                    self._residual[row] = self._residual[last]
                    self._row_of[moved] = row
                self._n -= 1

    def search(
        self, vector: npt.NDArray[np.float32], limit: int, kind: str | None = None, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        """Top `limit` (passage number, cosine), best first; ties broken by lower passage number.

        `allowed` keeps only the passages it marks True, before the cut (see `Bm25Index.search`).
        """
        with self._lock:
            if self._n == 0 or limit <= 0:
                return []
            eligible = self._eligible(kind, allowed)
            if eligible is not None and not eligible.any():
                return []
            query = vector.astype(np.float32, copy=False)
            scan = _int8_scan() if self._n >= PREFILTER_ROWS else None
            if scan is None:
                rows = np.arange(self._n) if eligible is None else np.flatnonzero(eligible)
                return self._best(rows, self._scan_all(query)[rows], limit)
            rows = self._candidates(scan, query, limit, eligible)
            if rows.size * 4 > self._n:  # vectors bunched near the cut: copying the rows costs more
                return self._best(rows, self._scan_all(query)[rows], limit)
            return self._best(rows, self._scores_of(rows, query), limit)

    def exact_search(
        self, vector: npt.NDArray[np.float32], limit: int, kind: str | None = None, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        """`search` by scoring every row in float32, without the first pass: the reference it equals."""
        with self._lock:
            if self._n == 0 or limit <= 0:
                return []
            eligible = self._eligible(kind, allowed)
            rows = np.arange(self._n) if eligible is None else np.flatnonzero(eligible)
            return self._best(rows, self._scan_all(vector.astype(np.float32, copy=False))[rows], limit)

    def _eligible(self, kind: str | None, allowed: Allowed | None) -> npt.NDArray[np.bool_] | None:
        """Which rows a search may return (None: all of them)."""
        eligible: npt.NDArray[np.bool_] | None = None
        if kind is not None:
            code = self._kind_codes.get(kind)
            eligible = self._kinds[: self._n] == code if code is not None else np.zeros(self._n, dtype=np.bool_)
        if allowed is not None:
            mask = np.asarray(allowed(self._keys[: self._n]), dtype=np.bool_)
            eligible = mask if eligible is None else eligible & mask
        return eligible

    def _scan_all(self, query: Matrix) -> Matrix:
        with _blas().limit(limits=SCAN_THREADS, user_api="blas"):
            return self._matrix[: self._n] @ query

    def _candidates(self, scan: Any, query: Matrix, limit: int, eligible: npt.NDArray[np.bool_] | None) -> Rows:
        """The rows whose cosine could reach the top `limit` (every row of the exact top, ties included)."""
        n = self._n
        q = query.astype(np.float64)
        peak = float(np.abs(q).max())
        q_scale = peak / 127.0 if peak > 0 else 1.0
        q_codes = np.clip(np.rint(q / q_scale), -127, 127)
        feeds = {"codes": self._codes[:n], "query": np.ascontiguousarray(q_codes.astype(np.int8).reshape(-1, 1))}
        products = np.asarray(scan.run(None, feeds)[0], dtype=np.int32).reshape(-1)
        products -= np.int32(_OFFSET * int(q_codes.sum()))
        # cos = s*c . s_q*c_q + s*c . r_q + r . q, where |s*c . r_q| <= |s*c| |r_q| and |r . q| <= |r| |q|.
        # With the largest |s*c| and |r| of any row one bound serves every row, and the cut is made on
        # the estimate s * (c . c_q), in float64 (its rounding is far inside MARGIN).
        code_norm, residual = float(self._code_norm[:n].max()), float(self._residual[:n].max())
        q_norm = float(np.linalg.norm(q))
        bound = (
            code_norm * float(np.linalg.norm(q - q_codes * q_scale))
            + residual * q_norm
            + MARGIN * (code_norm + residual) * q_norm  # |v| <= |s*c| + |r|: the margin scales with |v| |q|
        )
        estimate = products * self._scale[:n]
        if eligible is not None:
            estimate[~eligible] = -np.inf
            if int(np.count_nonzero(eligible)) <= limit:
                return np.flatnonzero(eligible)
        elif n <= limit:
            return np.arange(n)
        # A row can reach the top `limit` when its upper bound reaches the limit-th best lower bound.
        kth = float(np.partition(estimate, n - limit)[n - limit])
        return np.flatnonzero(estimate >= kth - 2 * bound / q_scale)

    def _scores_of(self, rows: Rows, query: Matrix) -> Matrix:
        """The float32 cosines of `rows`, to the bit what `_scan_all` gives them. OpenBLAS's gemv scores
        rows in groups (of 4 on x86) and the last n % 4 rows with other kernels, which round differently:
        so rows are scored in a product whose length is a multiple of ROW_GROUP, and rows of the whole
        matrix's last, partial group in a product over the matrix's end, as the full scan scores them."""
        n = self._n
        tail = n - n % ROW_GROUP
        scores = np.empty(rows.size, dtype=np.float32)
        inner = rows < tail
        with _blas().limit(limits=SCAN_THREADS, user_api="blas"):
            if inner.any():
                picked = rows[inner]
                padded = np.concatenate([picked, np.repeat(picked[-1:], -picked.size % ROW_GROUP)])
                scores[inner] = (self._matrix[padded] @ query)[: picked.size]
            if not inner.all():
                start = max(0, tail - ROW_GROUP)
                scores[~inner] = (self._matrix[start:n] @ query)[rows[~inner] - start]
        return scores

    def _best(self, rows: Rows, scores: Matrix, limit: int) -> list[tuple[int, float]]:
        """The top `limit` of `rows` (with their `scores`), best first, ties by lower passage number, at
        the cut too."""
        if rows.size == 0:
            return []
        keys = self._keys[rows]
        k = min(limit, rows.size)
        top = np.arange(rows.size)
        if rows.size > k:
            kth = np.partition(scores, rows.size - k)[rows.size - k]
            above = np.flatnonzero(scores > kth)
            tied = np.flatnonzero(scores == kth)
            top = np.concatenate([above, tied[np.argsort(keys[tied], kind="stable")][: k - above.size]])
        order = top[np.lexsort((keys[top], -scores[top]))]
        return [(int(keys[i]), float(scores[i])) for i in order]

    def similarity(self, key: int, vector: npt.NDArray[np.float32]) -> float | None:
        """Cosine between a stored passage and a vector, or None when the passage has no vector."""
        with self._lock:
            row = self._row_of.get(key)
            return None if row is None else float(self._matrix[row] @ vector)
