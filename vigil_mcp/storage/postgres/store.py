"""The PostgreSQL store: every table group over one connection pool."""

from __future__ import annotations

from vigil_mcp.storage.postgres.knowledge import KnowledgeTables
from vigil_mcp.storage.postgres.learning import LearningTables
from vigil_mcp.storage.postgres.tickets import TicketTables


class PostgresStore(KnowledgeTables, TicketTables, LearningTables):
    """The PostgreSQL implementation of the knowledge, ticket and learning stores, shared by any number of replicas."""
