"""The embedding model's network rebuilt from its own file as onnxruntime's fused BERT operators, with
every weight product computed exactly in int8.

The pinned file is a BERT encoder exported from PyTorch: each weight matrix is stored as int8 codes and
a float32 scale per output column (W = codes * scale), which onnxruntime expands to float32 when it
loads the file and then multiplies in float32, op by op (the export's attention alone is ~20 small
nodes per layer). This module builds the same network from the same tensors:

- embeddings, attention, layer norms and GELU as onnxruntime's fused operators (EmbedLayerNormalization,
  MultiHeadAttention, SkipLayerNormalization, BiasGelu);
- each product X @ W as DIGITS int8 products: X is written in base-255 digits, x = s1 (q1 - z1) +
  s2 (q2 - z2) + s3 (q3 - z3) + e (DynamicQuantizeLinear of x, then of what is left, twice), and each
  digit times the file's int8 codes is exact in int32, then scaled by s_i and the column scale. |e| is
  at most range(x) / 255^3 / 2, below float32's own rounding in the products, so the vectors are the
  float32 ones (max |difference| 7.5e-7 on 400 customer turns; `Embedder` checks it on probe texts
  when it loads and keeps the file's own graph otherwise).

Why: on this CPU int8 products are ~10x cheaper than float32 ones (AMX / VNNI), and the weights read
per text are 10.6 MB instead of 42 MB; one customer turn costs 8.5 -> 6.7 ms CPU (docs/retrieval.md,
"Fourth round"). None of this changes a weight: the codes and scales are the file's, byte for byte.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

DIGITS = 3  # base-255 digits of each activation: 3 reach float32's precision, 2 leave errors of ~2e-4
HEADS = 12  # all-MiniLM-L6-v2: 12 heads of 32 (a wrong count fails the load-time probe, not silently)
_MS = "com.microsoft"
Weight = tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]  # int8 codes (K, N), a scale per column (N,)
_LINEARS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "intermediate.dense", "output.dense")  # fmt: skip


class _NotBert(Exception):
    """The file is not the int8-weight BERT export this module rebuilds."""


@dataclass
class _Source:
    """The exported file's tensors and which node makes each value."""

    tensors: dict[str, npt.NDArray[Any]]
    producer: dict[str, Any]  # value name -> NodeProto
    nodes: list[Any]

    def tensor(self, name: str) -> npt.NDArray[Any]:
        if name not in self.tensors:
            raise _NotBert(f"no tensor {name}")
        return self.tensors[name]

    def made_by(self, value: str, op: str) -> Any:
        node = self.producer.get(value)
        if node is None or node.op_type != op:
            raise _NotBert(f"{value} is not made by {op}")
        return node

    def codes_of(self, weight: str) -> Weight:
        """A weight written as Mul(Cast(codes), scale): its int8 codes and per-column scales."""
        mul = self.made_by(weight, "Mul")
        codes = self.tensor(self.made_by(mul.input[0], "Cast").input[0])
        scale = self.tensor(mul.input[1])
        if codes.dtype != np.int8 or codes.ndim != 2 or scale.shape != (1, codes.shape[1]):
            raise _NotBert(f"{weight} is not int8 codes with a scale per column")
        return codes, scale.reshape(-1).astype(np.float32)

    def linear(self, bias: str) -> Weight:
        """The codes and scales of the product whose result `bias` is added to."""
        for node in self.nodes:
            if node.op_type == "Add" and node.input[1] == bias:
                return self.codes_of(self.made_by(node.input[0], "MatMul").input[1])
        raise _NotBert(f"no product before {bias}")

    def epsilon(self, gamma: str) -> float:
        for node in self.nodes:
            if node.op_type == "LayerNormalization" and node.input[1] == gamma:
                return next((float(a.f) for a in node.attribute if a.name == "epsilon"), 1e-5)
        raise _NotBert(f"no layer norm with {gamma}")


@dataclass
class _Graph:
    """The graph being built: nodes in order and constant tensors."""

    nodes: list[Any] = field(default_factory=list[Any])
    constants: list[Any] = field(default_factory=list[Any])

    def node(self, op: str, inputs: list[str], outputs: list[str], domain: str = "", **attrs: Any) -> None:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, domain=domain or None, **attrs))

    def constant(self, name: str, value: npt.NDArray[Any]) -> str:
        from onnx import numpy_helper

        self.constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def product(self, x: str, codes: str, scale: str, out: str, bias: str = "") -> None:
        """out = x @ (codes * scale) (+ bias), as DIGITS exact int8 products of x's digits (module docstring)."""
        rest, parts = x, list[str]()
        for d in range(DIGITS):
            q, s, z = f"{out}.q{d}", f"{out}.s{d}", f"{out}.z{d}"
            self.node("DynamicQuantizeLinear", [rest], [q, s, z])
            inputs = [q, codes, s, scale, z] + (["", bias] if bias and d == 0 else [])
            self.node("MatMulIntegerToFloat", inputs, [f"{out}.p{d}"], _MS)
            parts.append(f"{out}.p{d}")
            if d + 1 < DIGITS:
                self.node("DequantizeLinear", [q, s, z], [f"{out}.dq{d}"])
                self.node("Sub", [rest, f"{out}.dq{d}"], [f"{out}.r{d}"])
                rest = f"{out}.r{d}"
        self.node("Sum", parts, [out])


def _table(src: _Source, g: _Graph, name: str) -> str:
    """An embedding table as the file computes it (Cast, then Mul by the row scales, folded by onnxruntime
    when the session is built, so the float32 rows are the file's to the bit)."""
    if name in src.tensors:
        return g.constant(name, src.tensors[name])
    mul = src.made_by(name, "Mul")
    cast = src.made_by(mul.input[0], "Cast")
    g.constant(cast.input[0], src.tensor(cast.input[0]))
    g.constant(mul.input[1], src.tensor(mul.input[1]))
    g.node("Cast", [cast.input[0]], [mul.input[0]], to=1)  # to float32
    g.node("Mul", [mul.input[0], mul.input[1]], [name])
    return name


def _embeddings(src: _Source, g: _Graph, prefix: str) -> float:
    """Token + position + type embeddings and their layer norm into `h0`; the mask as int32. Returns epsilon."""
    e = f"{prefix}embeddings."
    eps = src.epsilon(f"{e}LayerNorm.weight")
    for name in ("input_ids", "token_type_ids", "attention_mask"):
        g.node("Cast", [name], [f"{name}.i32"], to=6)  # to int32
    inputs = ["input_ids.i32", "token_type_ids.i32"] + [
        _table(src, g, f"{e}{t}_embeddings.weight") for t in ("word", "position", "token_type")
    ]
    inputs += [g.constant(f"{e}LayerNorm.{p}", src.tensor(f"{e}LayerNorm.{p}")) for p in ("weight", "bias")]
    g.node("EmbedLayerNormalization", [*inputs, "attention_mask.i32"], ["h0", "mask_index"], _MS, epsilon=eps)
    return eps


def _dense(src: _Source, g: _Graph, p: str, part: str, x: str, skip: str, out: str, w: Weight, eps: float) -> None:
    """out = LayerNorm(x @ W + bias + skip), with the norm's parameters of `part` (e.g. attention.output)."""
    product = f"{p}{part}.dense"
    g.product(x, g.constant(f"{product}.codes", w[0]), g.constant(f"{product}.scale", w[1]), product)
    inputs = [product, skip] + [g.constant(f"{p}{part}.LayerNorm.{t}", src.tensor(f"{p}{part}.LayerNorm.{t}"))
                                for t in ("weight", "bias")]  # fmt: skip
    inputs.append(g.constant(f"{product}.bias", src.tensor(f"{product}.bias")))
    g.node("SkipLayerNormalization", inputs, [out], _MS, epsilon=eps)


def _layer(src: _Source, g: _Graph, p: str, h: str, out: str, eps: float) -> None:
    """One encoder layer: attention, add & norm, feed-forward (GELU), add & norm."""
    w = {name: src.linear(f"{p}{name}.bias") for name in _LINEARS}
    qkv = _LINEARS[:3]
    codes = g.constant(f"{p}qkv.codes", np.concatenate([w[n][0] for n in qkv], axis=1))
    scale = g.constant(f"{p}qkv.scale", np.concatenate([w[n][1] for n in qkv]))
    bias = g.constant(f"{p}qkv.bias", np.concatenate([src.tensor(f"{p}{n}.bias") for n in qkv]))
    g.product(h, codes, scale, f"{p}qkv", bias)
    width = np.array([w[n][0].shape[1] for n in qkv], np.int64)
    g.node("Split", [f"{p}qkv", g.constant(f"{p}qkv.split", width)], [f"{p}q", f"{p}k", f"{p}v"], axis=-1)
    mha = [f"{p}q", f"{p}k", f"{p}v", "", "attention_mask.i32"]
    g.node("MultiHeadAttention", mha, [f"{p}ctx"], _MS, num_heads=HEADS)
    _dense(src, g, p, "attention.output", f"{p}ctx", h, f"{p}a", w["attention.output.dense"], eps)
    ff, ff_w = f"{p}intermediate.dense", w["intermediate.dense"]
    g.product(f"{p}a", g.constant(f"{ff}.codes", ff_w[0]), g.constant(f"{ff}.scale", ff_w[1]), ff)
    g.node("BiasGelu", [ff, g.constant(f"{ff}.bias", src.tensor(f"{ff}.bias"))], [f"{p}gelu"], _MS)
    _dense(src, g, p, "output", f"{p}gelu", f"{p}a", out, w["output.dense"], eps)


def _read(model: Path) -> tuple[_Source, str]:
    from onnx import ModelProto, numpy_helper

    proto = ModelProto.FromString(model.read_bytes())
    tensors = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    nodes = list(proto.graph.node)
    src = _Source(tensors, {out: n for n in nodes for out in n.output}, nodes)
    norm = "embeddings.LayerNorm.weight"
    prefix = next((k[: -len(norm)] for k in tensors if k.endswith(norm)), None)
    if prefix is None:
        raise _NotBert("no embeddings layer norm")
    return src, prefix


def build(model: Path) -> bytes | None:
    """The serialized fused graph of the BERT export at `model`, or None (logged) when it is not one."""
    try:
        from onnx import TensorProto, helper
    except ImportError:  # pragma: no cover - a dependency
        return None
    try:
        src, prefix = _read(model)
        g = _Graph()
        eps = _embeddings(src, g, prefix)
        layers = 0
        while f"{prefix}encoder.layer.{layers}.output.dense.bias" in src.tensors:
            layers += 1
        if layers == 0:
            raise _NotBert("no encoder layers")
        for i in range(layers):
            out = "last_hidden_state" if i == layers - 1 else f"h{i + 1}"
            _layer(src, g, f"{prefix}encoder.layer.{i}.", f"h{i}", out, eps)
    except _NotBert as exc:
        log.info("embedding model %s is run as its file gives it: %s", model, exc)
        return None
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]  # fmt: skip
    width = int(src.tensor(f"{prefix}embeddings.LayerNorm.weight").shape[0])
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", width])
    graph = helper.make_graph(g.nodes, "bert_int8_digits", inputs, [output], g.constants)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(_MS, 1)])
    proto.ir_version = 8  # onnxruntime >= 1.17 (the oldest vigil allows) reads IR 8
    return proto.SerializeToString()
