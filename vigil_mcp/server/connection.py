"""What the transport knows about the connection a request arrived on; set per connection, read by tools.

Context variables: a transport sets them in the task that serves one connection, and every
request handler of that connection (spawned from it) sees them.
"""

from __future__ import annotations

from contextvars import ContextVar

# The client runs as the server's user on this machine (stdio, the home's 0600 socket): it may name local paths.
local_client: ContextVar[bool] = ContextVar("vigil_local_client", default=False)
# The client asked for read-only (a relayed `vigil serve --read-only`): no write tool on this connection.
read_only_client: ContextVar[bool] = ContextVar("vigil_read_only_client", default=False)
