"""Many clients, one home: the first `vigil serve` owns the store; other stdio servers and the CLI go through it."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from tests.transport.test_transports import _free_port

pytestmark = pytest.mark.anyio
VIGIL = [sys.executable, "-m", "vigil_mcp"]


@pytest.fixture
def home() -> Iterator[Path]:
    """A home with a short path, so that its socket fits AF_UNIX's limit."""
    folder = Path(tempfile.mkdtemp(prefix="vh-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _stdio(home: Path, *extra: str) -> StdioServerParameters:
    env = {**os.environ, "VIGIL_HOME": str(home), "VIGIL_LOG_LEVEL": "WARNING"}
    return StdioServerParameters(command=VIGIL[0], args=[*VIGIL[1:], "serve", *extra], env=env)


async def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return await anyio.run_process([*VIGIL, *args], env={**os.environ, "VIGIL_HOME": str(home)}, check=False)


def _titles(result: object) -> list[str]:
    content = getattr(result, "structured_content", None) or {}
    return [hit["title"] for hit in content.get("hits", [])]


async def test_two_stdio_clients_and_the_cli_share_one_home_at_once(home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "kafka.md"
    doc.write_text("# Kafka lag\n\nConsumers stall when max.poll.interval.ms is too low.\n", encoding="utf-8")
    # The second would fail on the locked store without the socket.
    async with Client(_stdio(home)) as first, Client(_stdio(home)) as second:
        added = await second.call_tool("add_knowledge", {"title": "Redis eviction", "body": "Starts at maxmemory."})
        cli = await _cli(home, "knowledge", "add", str(doc))
        searched = await _cli(home, "knowledge", "search", "consumers stall", "--json")
        seen_by_first = await first.call_tool("search_knowledge", {"query": "redis eviction maxmemory"})
        kafka_by_second = await second.call_tool("search_knowledge", {"query": "kafka consumers stall"})
        stats = await _cli(home, "knowledge", "stats")
    assert not added.is_error
    assert cli.returncode == 0 and b"through the running vigil serve" in cli.stdout, cli.stderr
    assert searched.returncode == 0 and b"Kafka lag" in searched.stdout
    assert _titles(seen_by_first) == ["Redis eviction"] and _titles(kafka_by_second) == ["Kafka lag"]
    assert stats.returncode == 0 and b'"runbook": 2' in stats.stdout


async def test_the_socket_is_the_users_only_and_goes_with_the_owner(home: Path) -> None:
    async with Client(_stdio(home)) as client:
        await client.list_tools()
        with anyio.fail_after(10):
            while not (home / "vigil.sock").exists():
                await anyio.sleep(0.05)
        mode = (home / "vigil.sock").stat().st_mode & 0o777
    assert mode == 0o600
    assert not (home / "vigil.sock").exists()


async def test_a_relayed_read_only_client_sees_no_write_tool_while_the_owner_does(home: Path) -> None:
    async with Client(_stdio(home)) as owner, Client(_stdio(home, "--read-only")) as reader:
        owner_names = {t.name for t in (await owner.list_tools()).tools}
        reader_names = {t.name for t in (await reader.list_tools()).tools}
        with pytest.raises(MCPError, match="its client started vigil with --read-only"):
            await reader.call_tool(
                "observe_message", {"ticket_id": "T", "role": "customer", "author": "a", "text": "x"}
            )
    assert "observe_message" in owner_names and "observe_message" not in reader_names
    assert "search_knowledge" in reader_names


async def test_when_the_owner_goes_the_next_server_started_on_the_home_owns_it(home: Path) -> None:
    async with Client(_stdio(home)) as first:
        await first.call_tool("add_knowledge", {"title": "Written through the first", "body": "Kept in the store."})
    # MCP clients stop their server when they leave; the home's next server opens the store itself.
    async with Client(_stdio(home)) as next_one:
        found = await next_one.call_tool("search_knowledge", {"query": "written through the first"})
        assert _titles(found)[0] == "Written through the first"
        async with Client(_stdio(home)) as relayed:
            assert _titles(await relayed.call_tool("search_knowledge", {"query": "kept in the store"}))


async def test_a_stale_socket_file_does_not_stop_a_new_owner(home: Path) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(home / "vigil.sock"))
    stale.close()  # the file stays, nobody listens: as after a crash
    async with Client(_stdio(home)) as client:
        result = await client.call_tool("add_knowledge", {"title": "Fresh owner", "body": "Took over the home."})
    assert not result.is_error


async def test_a_second_http_server_on_a_busy_port_exits_before_saying_it_serves(home: Path) -> None:
    port = _free_port()
    with socket.create_server(("127.0.0.1", port)):
        done = await _cli(home, "serve", "--http", "--port", str(port))
    assert done.returncode == 2
    err = done.stderr.decode()
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert "serving" not in err
    assert not (home / "knowledge.duckdb").exists()
