"""Retrieval scoped by product, on both backends: the filter fills the pool, relabelling keeps passages."""

from pathlib import Path

import numpy as np
import pytest

from vigil_mcp.app import App
from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.scope import ProductScopes
from vigil_mcp.services.knowledge.vectors import VectorIndex

pytestmark = pytest.mark.both_backends


def _doc(source: str, text: str, product: str | None) -> Document:
    return Document(source=source, title=source, chunks=[Chunk(source, "", text)], product=product)


def test_a_scoped_query_fills_its_pool_with_in_scope_items_even_below_many_better_matches(app: App) -> None:
    strong = [_doc(f"rb:{i}", f"etcd defrag database fragmented member {i} defrag", "openshift") for i in range(80)]
    weak = [_doc(f"doc:{i}", f"the defrag tool of page {i}", "ubuntu") for i in range(3)]
    app.knowledge.add_documents([*strong, *weak, _doc("any:1", "defrag notes for everyone", None)], kind="doc")
    everything = app.knowledge.retrieve("etcd defrag database fragmented", 30, dense=False)
    assert {r.record.product for r in everything} == {"openshift"}  # the 80 runbooks fill the unscoped pool
    scoped = app.knowledge.retrieve("etcd defrag database fragmented", 30, dense=False, product="ubuntu")
    assert sorted(r.record.source for r in scoped) == ["any:1", "doc:0", "doc:1", "doc:2"]
    unknown = app.knowledge.retrieve("defrag", 30, dense=False, product="stripe")
    assert [r.record.source for r in unknown] == ["any:1"]  # a product nothing documents: unscoped items only


def test_re_adding_files_with_another_product_relabels_them_and_keeps_their_passages(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "apt.md").write_text("# apt\n\n## Install\n\nRun `apt install foo` to install foo.\n")
    first = app.knowledge.add_paths([tmp_path / "docs"])
    before = {r.record.passage_no for r in app.knowledge.retrieve("apt install foo", 10, dense=False)}
    again = app.knowledge.add_paths([tmp_path / "docs"], product="ubuntu")
    assert (again.added, again.updated, again.removed) == (0, first.added, 0)
    found = app.knowledge.retrieve("apt install foo", 10, dense=False, product="ubuntu")
    assert {r.record.passage_no for r in found} == before and {r.record.product for r in found} == {"ubuntu"}
    assert app.knowledge.retrieve("apt install foo", 10, dense=False, product="stripe") == []
    unchanged = app.knowledge.add_paths([tmp_path / "docs"], product="ubuntu")
    assert (unchanged.unchanged_files, unchanged.updated) == (1, 0)
    item = app.knowledge.get(found[0].record.item_id)
    assert item.product == "ubuntu"


def test_a_bad_product_name_is_refused_before_anything_is_stored(app: App, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# a\n\ntext about apt\n")
    with pytest.raises(InputError, match=r"product 'ubuntu desktop' is not valid: use 1-32 letters, digits"):
        app.knowledge.add_paths([tmp_path / "a.md"], product="ubuntu desktop")
    with pytest.raises(InputError, match="is not valid"):
        app.knowledge.search("apt", product="x" * 33)
    assert app.knowledge.counts() == {}


def test_the_vector_index_ranks_only_allowed_passages() -> None:
    scopes = ProductScopes()
    scopes.set([(0, "openshift"), (1, "openshift"), (2, "ubuntu"), (3, None)])
    index = VectorIndex(2)
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    index.add([0, 1, 2, 3], vectors, ["doc"] * 4)
    query = np.array([1.0, 0.0], dtype=np.float32)
    assert [no for no, _ in index.search(query, 2)] == [0, 1]
    assert [no for no, _ in index.search(query, 2, allowed=scopes.allowed("ubuntu"))] == [2, 3]
    assert [no for no, _ in index.search(query, 2, allowed=scopes.allowed("stripe"))] == [3]
    assert scopes.allowed(None) is None
