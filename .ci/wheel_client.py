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
    failures += await shared_home(params, bin_dir)
    return 1 if failures else 0


async def shared_home(params: StdioServerParameters, bin_dir: Path) -> list[str]:
    """Two stdio clients and `vigil knowledge add` on one home at once (the second ones go through the first)."""
    doc = Path.cwd() / "shared-home-doc.md"
    doc.write_text("# Zookeeper session expired\n\nRaise the session timeout.\n", encoding="utf-8")
    async with Client(params) as first, Client(params) as second:
        added = await second.call_tool("add_knowledge", {"title": "Quota exceeded", "body": "Raise the quota."})
        cli = await anyio.run_process([str(bin_dir / "vigil"), "knowledge", "add", str(doc)], check=False)
        found = await first.call_tool("search_knowledge", {"query": "zookeeper session expired quota", "limit": 5})
    titles = {h["title"] for h in (found.structured_content or {}).get("hits", [])}
    checks = {
        "the second stdio client adds knowledge": not added.is_error,
        "vigil knowledge add goes through the running server": cli.returncode == 0
        and b"through the running vigil serve" in cli.stdout,
        "the first client finds both": {"Quota exceeded", "Zookeeper session expired"} <= titles,
    }
    for what, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} shared home: {what}")
    if not all(checks.values()):
        print(f"  vigil knowledge add said: {cli.stdout.decode()} {cli.stderr.decode()[-800:]}; found {sorted(titles)}")
    return [what for what, ok in checks.items() if not ok]


if __name__ == "__main__":
    sys.exit(anyio.run(main, Path(sys.argv[1])))
