"""Pure logic over explicit dependencies; nothing here knows about MCP."""
