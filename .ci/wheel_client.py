"""An MCP SDK client against the installed wheel's `mcp-server-vigil` over stdio (called by .ci/wheel.sh).

usage: python .ci/wheel_client.py VENV_BIN   (run from a directory that is not the checkout)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main(bin_dir: Path) -> int:
    params = StdioServerParameters(
        command=str(bin_dir / "mcp-server-vigil"), args=[], env={**os.environ, "VIGIL_LOG_LEVEL": "WARNING"}
    )
    failures: list[str] = []
    for mode in ("auto", "legacy"):
        async with Client(params, mode=mode) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            search = await client.call_tool("search_knowledge", {"query": "etcdMembersDown", "limit": 1})
            skill = await client.call_tool("get_skill", {"name": "tls-certificate-expiring"})
            tcp = await client.call_tool("check_tcp", {"host": "127.0.0.1", "port": 9})
        hits = (search.structured_content or {}).get("hits") or []
        checks = {
            "built-in diagnostics are served": {"check_http", "lookup_dns", "check_tcp"} <= tools,
            "search_knowledge finds the runbook": bool(hits) and hits[0]["title"] == "etcdMembersDown",
            "the starter skill is served": not skill.is_error,
            "a built-in diagnostic runs": not tcp.is_error,
        }
        for what, ok in checks.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {mode}: {what}")
            if not ok:
                failures.append(f"{mode}: {what}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main, Path(sys.argv[1])))
