"""onnxruntime sessions as vigil runs them (the embedding model, the vector index's int8 pass).

Threads sleep when idle: onnxruntime's default lets them spin, and on the 2-core machine shared with
other work that stole the cores the rest of a request needs (docs/retrieval.md, "Speed").
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from vigil_mcp.errors import ModelError

log = logging.getLogger(__name__)

# A product that overflows 16 bits in its first pairwise sum: 64 x (255 * 127), exact in int32.
_PROBE_WIDTH = 64


def session(model: Path | bytes, threads: int) -> Any:  # an onnxruntime InferenceSession (untyped)
    """A CPU session on `threads` threads that sleep when idle; ModelError when the model cannot be loaded.

    Spinning threads (onnxruntime's default) steal the cores the server's other work needs: on the 2-core
    machine at load 4-6 one customer turn took 27-47 ms on 2 spinning threads, 14-20 ms on 2 sleeping
    ones, the same vectors (docs/retrieval.md)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ModelError(f"onnxruntime is not installed: {exc}") from exc
    runtime: Any = ort
    options = runtime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    source = str(model) if isinstance(model, Path) else model
    try:
        return runtime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a model it cannot load
        name = model if isinstance(model, Path) else "built graph"
        raise ModelError(f"model {name} cannot be loaded: {exc}") from exc


def int8_matvec() -> Path:
    """The shipped one-node graph codes[n, dim] (uint8) x query[dim, 1] (int8) -> int32 (bench/scan_graph.py)."""
    return Path(str(resources.files("vigil_mcp") / "data" / "models" / "int8-matvec" / "model.onnx"))


@functools.cache
def exact_int8() -> bool:
    """Whether onnxruntime's uint8 x int8 products are exact on this CPU. With VNNI or AMX they are; the
    AVX2 kernel (VPMADDUBSW) adds pairs of products in 16 bits with saturation, which codes up to 255
    times weights up to 127 overflow: there the int8 paths (the vector index's first pass, the
    embedding model's fused graph) are not used."""
    try:
        probe = session(int8_matvec(), 1)
    except ModelError as exc:
        log.warning("no int8 products: %s", exc)
        return False
    feeds = {"codes": np.full((1, _PROBE_WIDTH), 255, np.uint8), "query": np.full((_PROBE_WIDTH, 1), 127, np.int8)}
    got = int(np.asarray(probe.run(None, feeds)[0]).reshape(-1)[0])
    if got != 255 * 127 * _PROBE_WIDTH:
        log.warning("onnxruntime's int8 products saturate on this CPU (%d): the int8 paths are off", got)
        return False
    return True
