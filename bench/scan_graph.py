"""Writes vigil_mcp/data/models/int8-matvec/model.onnx, the vector index's first pass (run by hand when it
changes; needs the `onnx` package, a dependency of vigil).

The graph is one MatMulInteger: codes (n x dim, uint8) times a query (dim x 1, int8) in exact int32
arithmetic, which onnxruntime runs on its int8 kernels (VNNI where the CPU has it). numpy has no fast
int8 product (it loops in C without SIMD: slower than the float32 scan it should replace), hence a graph.
`tests/services/knowledge/test_vectors.py` checks the shipped file against numpy's integer product.

    .venv/bin/python bench/scan_graph.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from onnx import TensorProto, checker, helper

TARGET = Path(__file__).resolve().parent.parent / "vigil_mcp" / "data" / "models" / "int8-matvec" / "model.onnx"


def build() -> bytes:
    """The serialized model: Y[n, 1] = MatMulInteger(codes[n, dim], query[dim, 1])."""
    node = helper.make_node("MatMulInteger", ["codes", "query"], ["scores"])
    graph = helper.make_graph(
        [node],
        "int8_matvec",
        [
            helper.make_tensor_value_info("codes", TensorProto.UINT8, ["n", "dim"]),
            helper.make_tensor_value_info("query", TensorProto.INT8, ["dim", 1]),
        ],
        [helper.make_tensor_value_info("scores", TensorProto.INT32, ["n", 1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vigil-mcp")
    model.ir_version = 8  # onnxruntime >= 1.17 (the oldest vigil allows) reads IR 8 and opset 13
    checker.check_model(model)
    return model.SerializeToString()


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=TARGET.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(build())
    os.replace(tmp, TARGET)
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
