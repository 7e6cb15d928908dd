"""The real product docs of ../shared/data/docs, ingested whole (skipped, saying so, without them)."""

import json
from collections import Counter
from pathlib import Path

import pytest

from vigil_mcp.app import App
from vigil_mcp.services.knowledge.ingest import walk_paths
from vigil_mcp.services.knowledge.passages import split_passages

SHARED_DOCS = Path(__file__).resolve().parents[4] / "shared" / "data" / "docs"
pytestmark = pytest.mark.skipif(
    not SHARED_DOCS.is_dir(), reason="needs the full product docs in ../shared/data/docs (fixtures cover the rest)"
)
NAVIGATION = {"Prev", "Next", "Up", "Home", "Table of Contents", "Download the ebook"}


def test_every_shared_doc_is_read_with_no_navigation_left() -> None:
    walk = walk_paths([SHARED_DOCS])
    assert walk.skipped == [] and walk.notes == []
    by_folder = Counter(Path(d.source).parent.name for d in walk.documents)
    assert by_folder == {"debian-handbook": 127, "debian-reference": 15, "debian-faq": 17, "stripe-api": 1}
    for doc in walk.documents:
        for chunk in doc.chunks:
            assert not {line.strip() for line in chunk.body.splitlines()} & NAVIGATION, (doc.source, chunk.section)
            for passage in split_passages(chunk.body):
                assert passage.text.count("```") % 2 == 0


def test_the_stripe_reference_gives_an_item_per_schema_and_per_operation() -> None:
    spec_path = SHARED_DOCS / "stripe-api" / "openapi-spec3-2019-10.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    (doc,) = walk_paths([spec_path]).documents
    anchors = {c.anchor for c in doc.chunks}
    schemas = {a for a in anchors if a.startswith("/components/schemas/")}
    operations = {a for a in anchors if a.startswith("/paths/")}
    assert len(schemas) == len(spec["components"]["schemas"]) == 274
    assert len(operations) == sum(len(p) for p in spec["paths"].values()) == 348


def test_a_stripe_field_is_found_by_search_and_cites_its_schema(app: App) -> None:
    app.knowledge.add_paths([SHARED_DOCS / "stripe-api"])
    hits = app.knowledge.search("invoice_settings.default_payment_method", limit=3).hits
    assert ("Objects > customer", "/components/schemas/customer") in {
        (h.section.split(" (part")[0], h.anchor) for h in hits
    }
