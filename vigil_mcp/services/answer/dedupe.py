"""Do two texts say the same thing? The one test the answer path uses for repeats.

With an embedding model: cosine of the texts' embeddings at or above SAME_MEANING (measured on
labelled pairs: eval/labels/dedupe/, eval/measure_dedupe.py). Without one: token F1 of their
content terms at or above SAME_WORDS. Used to keep quiet when an earlier suggestion or an analyst
already said what vigil would say, and when a customer repeats a question an analyst answered.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from vigil_mcp.services.knowledge.embed import Embedder
from vigil_mcp.services.text import token_f1

SAME_MEANING = 0.7
SAME_WORDS = 0.5
CACHE = 4096
_CITATION = re.compile(r"\n+Source: .*\Z", re.DOTALL)


def without_citation(text: str) -> str:
    """A draft without its citation line (the citation does not change what it says)."""
    return _CITATION.sub("", text).strip()


class Sameness:
    """Compares texts by meaning (embeddings, cached) or, without a model, by words."""

    def __init__(self, embedder: Embedder | None, threshold: float = SAME_MEANING) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def vector(self, text: str) -> npt.NDArray[np.float32] | None:
        """The (cached) embedding of a text, or None without a model."""
        if self.embedder is None:
            return None
        key = hashlib.sha1(text.encode()).hexdigest()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vec = self.embedder.embed_one(text)
        with self._lock:
            self._cache[key] = vec
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return vec

    def score(self, a: str, b: str) -> float:
        """Cosine of the two texts (or token F1 without a model)."""
        va, vb = self.vector(a), self.vector(b)
        if va is None or vb is None:
            return token_f1(a, b)
        return float(va @ vb)

    def same(self, a: str, b: str) -> bool:
        """Whether `a` and `b` say the same thing."""
        threshold = self.threshold if self.embedder is not None else SAME_WORDS
        return self.score(a, b) >= threshold

    def repeats(self, text: str, earlier: Iterable[str]) -> bool:
        """Whether `text` says what one of `earlier` already said."""
        return any(self.same(text, e) for e in earlier if e.strip())
