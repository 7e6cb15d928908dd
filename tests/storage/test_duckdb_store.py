from pathlib import Path

import duckdb
import pytest

from vigil_mcp.errors import StoreError
from vigil_mcp.storage import open_store
from vigil_mcp.storage.migrations import LATEST_VERSION, MIGRATIONS


def test_a_new_store_records_every_migration(tmp_path: Path) -> None:
    store = open_store(tmp_path / "k.duckdb")
    try:
        assert store.schema_version() == LATEST_VERSION
    finally:
        store.close()
    con = duckdb.connect(str(tmp_path / "k.duckdb"))
    rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    con.close()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]


def test_a_file_that_is_not_duckdb_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.duckdb"
    path.write_text("my precious notes\n" * 10, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a DuckDB database; vigil will not overwrite it"):
        open_store(path)
    assert path.read_bytes() == before


def test_a_store_from_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', now())")
    con.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this vigil"):
        open_store(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (99,)
    con.close()


def test_a_directory_as_store_path_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)


def test_reopening_an_existing_store_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    open_store(path).close()
    store = open_store(path)
    try:
        assert store.count_knowledge() == {}
        assert store.schema_version() == LATEST_VERSION
    finally:
        store.close()


def test_a_store_of_schema_2_keeps_its_items_and_gains_anchors_and_file_hashes(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )
    for migration in MIGRATIONS[:2]:
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [migration.version, migration.name])
    con.execute("INSERT INTO knowledge VALUES ('kb-1', 0, 'runbook', 'T', '', 'body', 'src', [], 'h', 1, now(), now())")
    con.close()
    store = open_store(path)
    try:
        item = store.get_knowledge("kb-1")
        assert item is not None and (item.body, item.anchor) == ("body", "")
        assert store.ingested_files(["src"]) == {}
        assert store.schema_version() == LATEST_VERSION
    finally:
        store.close()
