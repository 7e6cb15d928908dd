"""vigil (distribution mcp-server-vigil): an MCP server that helps on-call analysts without being asked."""

__version__ = "0.2.0"
