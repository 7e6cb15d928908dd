"""PostgreSQL: one database shared by any number of vigil replicas (psycopg 3, imported only when used)."""

from vigil_mcp.storage.location import redact_url
from vigil_mcp.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore", "redact_url"]
