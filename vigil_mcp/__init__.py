"""vigil-mcp: an MCP server that helps on-call analysts without being asked."""

__version__ = "0.1.0"
