"""`python -m vigil_mcp` runs the same CLI as the `vigil` script."""

from vigil_mcp.cli import main

raise SystemExit(main())
