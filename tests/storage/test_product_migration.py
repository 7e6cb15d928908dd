"""Migration 6 (products) on a store of the previous schema, on both backends: nothing is lost, nothing is scoped."""

from pathlib import Path
from typing import Any

import duckdb
import psycopg

from vigil_mcp.storage import migrations as duckdb_migrations
from vigil_mcp.storage import open_store
from vigil_mcp.storage.postgres import PostgresStore
from vigil_mcp.storage.postgres import migrations as postgres_migrations

PRODUCTS = 6  # the migration that adds products
_KNOWLEDGE = (
    "INSERT INTO knowledge (id, kind, title, section, body, source, anchor, tags, content_hash, created_at, "
    "updated_at) VALUES ('kb-1', 'runbook', 'etcd', 'Mitigation', 'defrag it', 'rb:etcd', '', "
)
_TICKET = "INSERT INTO tickets (id, title, customer, status, opened_at, updated_at, message_count) VALUES "


def _before_products(con: Any, migrations: tuple[duckdb_migrations.Migration, ...], marker: str) -> None:
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    for m in migrations:
        if m.version < PRODUCTS:
            con.execute(m.sql)
            con.execute(f"INSERT INTO schema_migrations VALUES ({m.version}, {marker}, now())", [m.name])


def _assert_kept_unscoped(store: Any, latest: int) -> None:
    try:
        assert store.schema_version() == latest
        item = store.get_knowledge("kb-1")
        ticket = store.get_ticket("T-1")
        assert item is not None and (item.body, item.tags, item.product) == ("defrag it", ["a"], None)
        assert ticket is not None and (ticket.customer, ticket.product) == ("kim", None)
        assert store.source_items(["rb:etcd"]) == {"rb:etcd": {"kb-1": ("h1", None)}}
    finally:
        store.close()


def test_a_duckdb_store_from_before_products_keeps_its_items_and_tickets_unscoped(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    con = duckdb.connect(str(path))
    _before_products(con, duckdb_migrations.MIGRATIONS, "?")
    con.execute(_KNOWLEDGE + "['a'], 'h1', now(), now())")
    con.execute(_TICKET + "('T-1', 'etcd', 'kim', 'waiting_on_analyst', now(), now(), 1)")
    con.close()
    _assert_kept_unscoped(open_store(path), duckdb_migrations.LATEST_VERSION)


def test_a_postgresql_database_from_before_products_keeps_its_items_and_tickets_unscoped(
    empty_postgres_url: str,
) -> None:
    with psycopg.connect(empty_postgres_url, autocommit=True) as con:
        _before_products(con, postgres_migrations.MIGRATIONS, "%s")
        con.execute(_KNOWLEDGE + "ARRAY['a'], 'h1', now(), now())")
        con.execute(_TICKET + "('T-1', 'etcd', 'kim', 'waiting_on_analyst', now(), now(), 1)")
    _assert_kept_unscoped(PostgresStore(empty_postgres_url), postgres_migrations.LATEST_VERSION)
