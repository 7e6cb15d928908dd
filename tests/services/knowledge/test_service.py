import threading
from pathlib import Path

import pytest

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document

pytestmark = pytest.mark.both_backends

RUNBOOK = (
    """# Redis failover

Redis runs with sentinel. """
    + "Background on the redis cluster topology. " * 40
    + """

## Diagnosis

Run `redis-cli info replication` and look at master_link_status.

## Mitigation

Trigger SENTINEL FAILOVER mymaster.
"""
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_adding_the_same_source_again_updates_in_place_without_duplicates(app: App, tmp_path: Path) -> None:
    doc = _write(tmp_path / "redis.md", RUNBOOK)
    first = app.knowledge.add_paths([doc])
    assert (first.added, first.updated, first.removed) == (3, 0, 0)
    ids = {h.id for h in app.knowledge.search("redis", limit=10).hits}
    again = app.knowledge.add_paths([doc])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert app.knowledge.counts() == {"runbook": 3}
    assert {h.id for h in app.knowledge.search("redis", limit=10).hits} == ids


def test_an_edited_source_updates_changed_sections_and_drops_removed_ones(app: App, tmp_path: Path) -> None:
    doc = _write(tmp_path / "redis.md", RUNBOOK)
    app.knowledge.add_paths([doc])
    diagnosis_id = app.knowledge.search("master_link_status", limit=1).hits[0].id
    edited = RUNBOOK.replace("master_link_status", "connected_slaves").split("## Mitigation")[0]
    report = app.knowledge.add_paths([_write(doc, edited)])
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 1, 1)
    assert app.knowledge.search("master_link_status", limit=5).hits == []
    hit = app.knowledge.search("connected_slaves", limit=1).hits[0]
    assert hit.id == diagnosis_id
    assert app.knowledge.search("SENTINEL FAILOVER", limit=5, kind="runbook").hits[0].section != "Mitigation"
    item = app.knowledge.get(diagnosis_id)
    assert item.updated_at >= item.created_at
    assert "connected_slaves" in item.body


def test_a_remembered_body_is_the_new_one_after_its_item_changes_and_gone_when_removed(
    app: App, tmp_path: Path
) -> None:
    doc = _write(tmp_path / "redis.md", RUNBOOK)
    app.knowledge.add_paths([doc])
    diagnosis_id = app.knowledge.search("master_link_status", limit=1).hits[0].id
    mitigation_id = app.knowledge.search("SENTINEL FAILOVER", limit=1).hits[0].id
    assert "master_link_status" in app.knowledge.body(diagnosis_id)
    assert app.knowledge.body(mitigation_id) == app.knowledge.get(mitigation_id).body
    edited = RUNBOOK.replace("master_link_status", "connected_slaves").split("## Mitigation")[0]
    app.knowledge.add_paths([_write(doc, edited)])
    assert "connected_slaves" in app.knowledge.body(diagnosis_id)
    with pytest.raises(NotFoundError):
        app.knowledge.body(mitigation_id)


def test_search_hits_carry_id_title_section_snippet_score_and_source(app: App, tmp_path: Path) -> None:
    app.knowledge.add_paths([_write(tmp_path / "redis.md", RUNBOOK)])
    (hit,) = app.knowledge.search("master_link_status", limit=1).hits
    assert hit.title == "Redis failover"
    assert hit.section == "Diagnosis"
    assert "master_link_status" in hit.snippet
    assert hit.score > 0
    assert hit.source == str((tmp_path / "redis.md").resolve())
    assert hit.id.startswith("kb-")


def test_empty_queries_and_bad_limits_are_refused_with_what_to_do(app: App) -> None:
    with pytest.raises(InputError, match="query is empty"):
        app.knowledge.search("   ")
    with pytest.raises(InputError, match="limit must be between 1 and 50"):
        app.knowledge.search("redis", limit=0)
    with pytest.raises(NotFoundError, match="search_knowledge returns valid ids"):
        app.knowledge.get("kb-missing")


def test_a_ten_thousand_word_query_is_answered(runbooks_app: App) -> None:
    words = (
        "etcd kube-apiserver disk latency certificate postgres redis sidekiq gitaly runner node pod " * 900
    ).split()[:10_000]
    words += [f"word{i}" for i in range(2000)]
    result = runbooks_app.knowledge.search(" ".join(words), limit=5)
    assert len(result.hits) == 5


def test_concurrent_writers_never_lose_a_document(app: App) -> None:
    def add(worker: int) -> None:
        for i in range(10):
            doc = Document(
                source=f"worker-{worker}-{i}",
                title=f"Doc {worker} {i}",
                chunks=[Chunk(title=f"Doc {worker} {i}", section="", body=f"uniqueterm{worker}x{i} shared")],
            )
            app.knowledge.add_documents([doc])

    threads = [threading.Thread(target=add, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert app.knowledge.counts() == {"runbook": 80}
    assert len(app.knowledge.search("shared", limit=50).hits) == 50
    assert app.knowledge.search("uniqueterm7x9", limit=1).hits[0].title == "Doc 7 9"


def test_a_reopened_store_rebuilds_the_same_index(settings: Settings, tmp_path: Path) -> None:
    first = build_app(settings)
    first.knowledge.add_paths([_write(tmp_path / "redis.md", RUNBOOK)])
    before = first.knowledge.search("redis sentinel failover", limit=3)
    first.close()
    second = build_app(settings)
    try:
        after = second.knowledge.search("redis sentinel failover", limit=3)
        assert after.hits == before.hits
        second.knowledge.add_paths([_write(tmp_path / "new.md", "# Kafka lag\n\nconsumer lag on kafka")])
        assert second.knowledge.search("kafka", limit=1).hits[0].title == "Kafka lag"
    finally:
        second.close()


def test_an_invalid_kind_is_refused(app: App) -> None:
    with pytest.raises(InputError, match="kind"):
        app.knowledge.add_documents([], kind="no spaces allowed")


DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "docs"


def test_a_docs_folder_is_searchable_and_hits_cite_the_page_or_pointer(app: App) -> None:
    report = app.knowledge.add_paths([DOCS])
    # Three pages and a spec are docs; the folder's README.md is Markdown, a runbook unless told.
    assert report.skipped == [] and report.documents == 5
    assert app.knowledge.counts()["runbook"] == 1
    (hit,) = app.knowledge.search("invoice_settings.default_payment_method", limit=1).hits
    assert (hit.title, hit.section, hit.kind) == ("Stripe API", "Objects > customer (part 1)", "doc")
    assert hit.source == str((DOCS / "stripe-api" / "openapi-excerpt.json").resolve())
    assert hit.anchor == "/components/schemas/customer"
    assert "invoice_settings.default_payment_method" in app.knowledge.get(hit.id).body
    faq = app.knowledge.search("dpkg --listfiles", limit=1).hits[0]
    assert (Path(faq.source).name, faq.anchor) == ("pkgtools.en.html", "listfiles")
    assert app.knowledge.get(faq.id).anchor == "listfiles"


def test_re_adding_unchanged_files_reports_them_unchanged_without_reading_them(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = app.knowledge.add_paths([DOCS])

    def no_parsing(*_: object) -> None:
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr("vigil_mcp.services.knowledge.service.parse_file", no_parsing)
    again = app.knowledge.add_paths([DOCS])
    assert (again.added, again.updated, again.removed, again.documents) == (0, 0, 0, 0)
    assert (again.unchanged, again.unchanged_files) == (first.added, 5)
    assert "(5 files unchanged, not read again)" in again.summary()
    monkeypatch.undo()
    # Another kind re-reads them; so does a changed file.
    assert app.knowledge.add_paths([DOCS / "debian-faq"], kind="faq").unchanged_files == 0
    page = tmp_path / "page.html"
    page.write_text("<h1>Page</h1><p>first text</p>", encoding="utf-8")
    app.knowledge.add_paths([page])
    page.write_text("<h1>Page</h1><p>second text</p>", encoding="utf-8")
    changed = app.knowledge.add_paths([page])
    assert (changed.updated, changed.unchanged_files) == (1, 0)
    assert app.knowledge.search("second", limit=1).hits[0].source == str(page.resolve())


def test_a_file_with_skipped_lines_is_read_again_to_report_them_again(app: App, tmp_path: Path) -> None:
    jsonl = tmp_path / "rb.jsonl"
    jsonl.write_text('{"id": "a", "text": "# A\\n\\nbody"}\n{broken\n', encoding="utf-8")
    assert len(app.knowledge.add_paths([jsonl]).skipped) == 1
    again = app.knowledge.add_paths([jsonl])
    assert (len(again.skipped), again.unchanged_files, again.unchanged) == (1, 0, 1)
