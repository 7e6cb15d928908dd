"""Diagnostic tool registry benchmark (run by hand; prints medians).

    .venv/bin/python bench/tools_bench.py [--saves 30] [--calls 400]

Measures, on a temporary VIGIL_HOME:
  * a tool file saved (temp file + rename, as editors do) -> a connected client told the tool
    list changed -> the new version answering, for a 2026 client (subscriptions/listen) and a
    legacy client (notifications/tools/list_changed); each save is one sample;
  * calling a no-op registry tool through vigil's server against the same no-op function on a
    bare MCPServer, over the in-memory transport and over stdio (calls interleaved in rounds).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolListChangedNotification
from pydantic import BaseModel

from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.server import build_server

NOOP = '''
from pydantic import BaseModel


class Pong(BaseModel):
    ok: bool


def noop() -> Pong:
    """Do nothing, quickly."""
    return Pong(ok=True)
'''

BARE_SERVER = '''
from pydantic import BaseModel
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("bare")


class Pong(BaseModel):
    ok: bool


@mcp.tool()
def noop() -> Pong:
    """Do nothing, quickly."""
    return Pong(ok=True)


mcp.run()
'''


class Pong(BaseModel):
    ok: bool


def bare_server() -> MCPServer[Any]:
    """A bare MCPServer with the same no-op tool."""
    mcp: MCPServer[Any] = MCPServer("bare")

    @mcp.tool()
    def noop() -> Pong:  # pyright: ignore[reportUnusedFunction]
        """Do nothing, quickly."""
        return Pong(ok=True)

    return mcp


def tool_text(version: int) -> str:
    return f'def bench_tool() -> int:\n    """Benchmark tool."""\n    return {version}\n'


def save(path: Path, text: str) -> None:
    """Write a hidden temp file beside the target and rename it over, as editors do."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def percentiles(samples: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
    )


async def version_served(client: Client) -> int | None:
    result = await client.call_tool("bench_tool", {})
    return None if result.structured_content is None else int(result.structured_content["result"])


async def reloads(app: App, mode: str, saves: int) -> tuple[list[float], list[float]]:
    """(save -> notified, save -> new version answering) per save."""
    path = app.settings.tools_dir / "bench_tool.py"
    notified: list[float] = []
    served: list[float] = []
    heard = anyio.Event()

    async def legacy_handler(message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            heard.set()

    async with Client(build_server(app), mode=mode, message_handler=legacy_handler) as client:  # pyright: ignore[reportArgumentType]
        start = await version_served(client) or 0
        for i in range(saves):
            version = start + i + 1
            if client.protocol_version == "2026-07-28":
                async with client.listen(tools_list_changed=True) as sub:
                    began = time.perf_counter()
                    save(path, tool_text(version))
                    with anyio.fail_after(10):
                        await anext(sub)
            else:
                heard = anyio.Event()
                began = time.perf_counter()
                save(path, tool_text(version))
                with anyio.fail_after(10):
                    await heard.wait()
            notified.append(time.perf_counter() - began)
            while await version_served(client) != version:
                pass
            served.append(time.perf_counter() - began)
    return notified, served


async def time_calls(client: Client, name: str, calls: int) -> list[float]:
    samples: list[float] = []
    for _ in range(calls):
        began = time.perf_counter()
        result = await client.call_tool(name, {})
        samples.append(time.perf_counter() - began)
        assert not result.is_error and result.structured_content == {"ok": True}, result
    return samples


async def compare(vigil: Client, bare: Client, calls: int, rounds: int = 5) -> tuple[float, float]:
    """Median seconds per call: (vigil registry tool, bare MCPServer tool), interleaved in rounds."""
    await time_calls(vigil, "noop", 20)
    await time_calls(bare, "noop", 20)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        ours += await time_calls(vigil, "noop", calls // rounds)
        theirs += await time_calls(bare, "noop", calls // rounds)
    return statistics.median(ours), statistics.median(theirs)


async def in_memory(app: App, calls: int) -> tuple[float, float]:
    async with Client(build_server(app)) as vigil, Client(bare_server()) as bare:
        return await compare(vigil, bare, calls)


async def over_stdio(home: str, script: Path, calls: int) -> tuple[float, float]:
    ours = StdioServerParameters(
        command=sys.executable, args=["-m", "vigil_mcp", "serve", "--home", home, "--log-level", "WARNING"]
    )
    theirs = StdioServerParameters(command=sys.executable, args=[str(script)])
    async with Client(ours) as vigil, Client(theirs) as bare:
        return await compare(vigil, bare, calls)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"home": home}, environ={})
        settings.tools_dir.mkdir()
        save(settings.tools_dir / "bench_tool.py", tool_text(0))
        save(settings.tools_dir / "noop.py", NOOP)
        script = Path(home) / "bare_server.py"
        script.write_text(textwrap.dedent(BARE_SERVER), encoding="utf-8")
        app = build_app(settings)
        try:
            for mode in ("auto", "legacy"):
                notified, served = anyio.run(reloads, app, mode, args.saves)
                era = "2026-07-28 (listen)" if mode == "auto" else "2025-11-25 (legacy)"
                print(f"{era:22} saved -> notified:             {percentiles(notified)}  ({len(notified)} saves)")
                print(f"{'':22} saved -> new version answering: {percentiles(served)}")
            ours, theirs = anyio.run(in_memory, app, args.calls)
            print(
                f"no-op call, in memory:  vigil registry tool {ours * 1e3:.3f} ms, bare MCPServer {theirs * 1e3:.3f} ms"
                f"  -> {ours / theirs:.2f}x"
            )
        finally:
            app.close()
        ours, theirs = anyio.run(over_stdio, home, script, args.calls)
        print(
            f"no-op call, over stdio: vigil registry tool {ours * 1e3:.3f} ms, bare MCPServer {theirs * 1e3:.3f} ms"
            f"  -> {ours / theirs:.2f}x"
        )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
