"""Every DuckDB migration has its PostgreSQL twin: a migration landed without one fails here."""

from vigil_mcp.storage import migrations
from vigil_mcp.storage.postgres import migrations as postgres_migrations


def test_duckdb_and_postgresql_migrations_have_the_same_versions_and_names() -> None:
    duckdb = [(m.version, m.name) for m in migrations.MIGRATIONS]
    postgresql = [(m.version, m.name) for m in postgres_migrations.MIGRATIONS]
    assert postgresql == duckdb, (
        "each migration in vigil_mcp/storage/migrations.py needs a twin with the same version and name in "
        "vigil_mcp/storage/postgres/migrations.py, in the same commit (see README, Storage)"
    )


def test_migration_versions_are_dense_from_one() -> None:
    assert [m.version for m in migrations.MIGRATIONS] == list(range(1, len(migrations.MIGRATIONS) + 1))
    assert migrations.LATEST_VERSION == postgres_migrations.LATEST_VERSION
