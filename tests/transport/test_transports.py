"""The real transports: `vigil serve` as a stdio subprocess and over Streamable HTTP on loopback."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


@pytest.fixture
def home(tmp_path: Path, runbooks_store: Path) -> Path:
    home = tmp_path / "served-home"
    home.mkdir()
    shutil.copyfile(runbooks_store, home / "knowledge.duckdb")
    # The store was built for BM25 tests: a served copy must not spend minutes embedding it.
    (home / "vigil.toml").write_text('embedding_model = "none"\n', encoding="utf-8")
    return home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early with {proc.returncode}")
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} not healthy within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def http_server(home: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--port", str(port), "--home", str(home)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "VIGIL_HOME": str(home)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/healthz", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("mode", MODES)
async def test_search_knowledge_over_a_stdio_subprocess(home: Path, mode: Any) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vigil_mcp", "serve", "--home", str(home)],
        env={"VIGIL_HOME": str(home)},
    )
    async with Client(params, mode=mode, read_timeout_seconds=60) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"search_knowledge", "get_knowledge"} <= tools
        result = await client.call_tool("search_knowledge", {"query": "etcdMembersDown", "limit": 2})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["hits"][0]["title"] == "etcdMembersDown"


@pytest.mark.parametrize("mode", MODES)
async def test_search_knowledge_over_streamable_http(http_server: str, mode: Any) -> None:
    async with Client(f"{http_server}/mcp", mode=mode) as client:
        result = await client.call_tool("search_knowledge", {"query": "ssl certificate expired", "limit": 3})
        item_id = (result.structured_content or {})["hits"][0]["id"]
        read = await client.read_resource(f"vigil://knowledge/{item_id}")
    assert "SSL Certificate" in getattr(read.contents[0], "text", "")


def test_healthz_reports_the_index_over_http(http_server: str) -> None:
    body = httpx.get(f"{http_server}/healthz").json()
    assert body["status"] == "ok"
    assert body["index_ready"] is True
    assert body["knowledge_items"] >= 100


def test_a_foreign_host_header_is_refused_by_dns_rebinding_protection(http_server: str) -> None:
    response = httpx.post(
        f"{http_server}/mcp",
        headers={"Host": "evil.example:80", "Content-Type": "application/json", "Accept": "application/json"},
        content=b"{}",
    )
    assert response.status_code == 421
