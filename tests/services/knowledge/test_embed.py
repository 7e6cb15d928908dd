"""The embedding model: the pinned file, the same vectors as stored references, refused when changed."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vigil_mcp.errors import ModelError
from vigil_mcp.services.doctor import check_embedding_model
from vigil_mcp.services.knowledge import bert_graph
from vigil_mcp.services.knowledge.embed import (
    DIM,
    Embedder,
    _vectors,  # pyright: ignore[reportPrivateUsage]
    file_sha256,
    folder_source,
    load_embedder,
    packaged_source,
    resolve_source,
)
from vigil_mcp.services.knowledge.runtime import exact_int8, int8_matvec, session

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "embeddings" / "reference.json"


def test_the_packaged_model_gives_the_stored_reference_vectors() -> None:
    embedder, line = load_embedder("auto")
    assert embedder is not None, line
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    got = embedder.embed(ref["texts"])
    want = np.asarray(ref["vectors"], dtype=np.float32)
    assert got.shape == (len(ref["texts"]), DIM)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (np.sum(got * want, axis=1) >= 0.9999).all()
    # Meaning, not words: the question is nearer the passage that answers it than to an alert.
    assert got[0] @ got[1] > 0.6 > got[0] @ got[2]


def test_one_text_alone_gets_the_vector_it_gets_in_a_batch() -> None:
    # Batches pad shorter texts; the mask keeps the padding out of the vector.
    embedder = Embedder(packaged_source() or pytest.fail("the model package is a dependency"), threads=2)
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    batch = embedder.embed(ref["texts"])
    alone = np.stack([embedder.embed_one(t) for t in ref["texts"]])
    assert np.allclose(alone, batch, atol=1e-5)


def test_a_model_file_that_is_not_the_pinned_one_is_refused_and_vigil_runs_on_bm25(tmp_path: Path) -> None:
    source = packaged_source()
    assert source is not None
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copyfile(source.tokenizer, folder / "tokenizer.json")
    shutil.copyfile(source.model, folder / "model.onnx")
    with (folder / "model.onnx").open("r+b") as fh:  # one byte changed
        fh.seek(4096)
        byte = fh.read(1)
        fh.seek(4096)
        fh.write(bytes([byte[0] ^ 0xFF]))
    pinned = file_sha256(source.model)
    with pytest.raises(ModelError, match="not the pinned file"):
        Embedder(folder_source(folder, pinned))
    embedder, line = load_embedder(str(folder), pinned)
    assert embedder is None and "BM25 only" in line
    check = check_embedding_model(str(folder), pinned)
    assert check.verdict == "warn" and "BM25-only" in check.message


def test_a_configured_folder_with_the_right_digest_loads(tmp_path: Path) -> None:
    source = packaged_source()
    assert source is not None
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copyfile(source.tokenizer, folder / "tokenizer.json")
    shutil.copyfile(source.model, folder / "model.onnx")
    embedder = Embedder(folder_source(folder, file_sha256(source.model)))
    assert embedder.embed_one("apt pinning").shape == (DIM,)


def test_none_means_bm25_only_and_a_missing_folder_says_what_to_set(tmp_path: Path) -> None:
    assert resolve_source("none") is None
    assert load_embedder("none")[0] is None
    assert check_embedding_model("none").verdict == "ok"
    with pytest.raises(ModelError, match="does not exist"):
        resolve_source(str(tmp_path / "absent"))


def test_a_text_embedded_twice_is_computed_once_and_gives_the_same_vector() -> None:
    embedder = Embedder(packaged_source() or pytest.fail("the model package is a dependency"), threads=1)
    first = embedder.embed_one("how do I change grub so windows boots by default")
    misses = embedder.misses
    again = embedder.embed_one("how do I change grub so windows boots by default")
    assert again is first and embedder.misses == misses and embedder.hits >= 1
    assert np.array_equal(first, embedder.embed(["how do I change grub so windows boots by default"])[0])
    assert not first.flags.writeable  # shared with the cache: nobody may change it
    other = embedder.embed_one("how do I change grub so linux boots by default")
    assert embedder.misses == misses + 1 and not np.array_equal(other, first)


def test_the_packaged_model_runs_as_the_fused_int8_graph_and_gives_the_files_vectors() -> None:
    source = packaged_source()
    assert source is not None
    embedder = Embedder(source)
    assert embedder.fused == exact_int8()  # on a CPU whose int8 products saturate, the file runs as it is
    plain = session(source.model, 1)
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    texts = [*ref["texts"], "a much longer customer message " * 30]  # past MAX_TOKENS: truncated
    ids = [e.ids for e in embedder._tokenizer.encode_batch(texts)]  # pyright: ignore[reportPrivateUsage]
    want = np.stack([_vectors(plain, [row], True)[0] for row in ids])
    assert np.abs(embedder.embed(texts) - want).max() < 2e-6  # float32 rounding, not another model


def test_a_file_that_is_not_a_bert_export_is_not_rebuilt() -> None:
    assert bert_graph.build(int8_matvec()) is None
