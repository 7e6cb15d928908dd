"""The PostgreSQL store: every table group over one connection pool.

Tickets today; knowledge (with the change feed that keeps each replica's index current) joins it
once the passage and vector index it must carry has settled on main.
"""

from __future__ import annotations

from vigil_mcp.storage.postgres.tickets import TicketTables


class PostgresStore(TicketTables):
    """The PostgreSQL implementation of `TicketStore`, shared by any number of replicas."""
