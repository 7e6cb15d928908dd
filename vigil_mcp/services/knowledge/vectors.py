"""Passage embeddings in memory, searched by cosine similarity.

Vectors are unit length, so cosine is a dot product. Search is exact (one matrix-vector product):
at the sizes a support team's docs reach (tens of thousands of passages) it costs a few
milliseconds, needs no build step at start and gives the same answer every time.

The product runs on one BLAS thread. OpenBLAS splits a large matrix-vector product over every core,
and on a 2-core machine that also runs the embedding model and other requests the two halves wait
for each other: 100k x 384 took 16-22 ms on two threads and 11-13 ms on one at load 3-5, with
bit-identical scores (docs/retrieval.md, "Speed"). threadpoolctl is the maintained way to set
OpenBLAS's (or MKL's) thread count from inside the process.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from vigil_mcp.services.knowledge.scope import Allowed
from vigil_mcp.storage.base import VectorSnapshot

Matrix = npt.NDArray[np.float32]
SCAN_THREADS = 1


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
        self._matrix, self._keys, self._kinds = matrix, keys, kinds

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
            self._n = len(keep)
            self._row_of = {int(k): i for i, k in enumerate(self._keys[: self._n].tolist())}

    def add(self, keys: Sequence[int], vectors: Matrix, kinds: Sequence[str]) -> None:
        """Add (or replace) vectors."""
        with self._lock:
            self._grow(self._n + len(keys))
            for key, vector, kind in zip(keys, vectors, kinds, strict=True):
                row = self._row_of.get(key)
                if row is None:
                    row = self._n
                    self._n += 1
                    self._row_of[key] = row
                    self._keys[row] = key
                self._matrix[row] = vector
                self._kinds[row] = self._code(kind)

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
            with _blas().limit(limits=SCAN_THREADS, user_api="blas"):
                scores = self._matrix[: self._n] @ vector.astype(np.float32, copy=False)
            if kind is not None:
                code = self._kind_codes.get(kind)
                if code is None:
                    return []
                scores = np.where(self._kinds[: self._n] == code, scores, -np.inf)
            if allowed is not None:
                scores = np.where(allowed(self._keys[: self._n]), scores, -np.inf)
            k = min(limit, self._n)
            top = np.argpartition(-scores, k - 1)[:k] if self._n > k else np.arange(self._n)
            keys = self._keys[top]
            order = np.lexsort((keys, -scores[top]))
            return [(int(keys[i]), float(scores[top][i])) for i in order if np.isfinite(scores[top][i])]

    def similarity(self, key: int, vector: npt.NDArray[np.float32]) -> float | None:
        """Cosine between a stored passage and a vector, or None when the passage has no vector."""
        with self._lock:
            row = self._row_of.get(key)
            return None if row is None else float(self._matrix[row] @ vector)
