"""add_knowledge: a document given as text (any transport), a local path only where client and server are one user."""

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from vigil_mcp.app import App
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
BODY = "## Symptom\n\nThe kafka consumer group lags.\n\n## Fix\n\nRestart the consumer; check max.poll.interval.ms.\n"


@pytest.mark.parametrize("mode", MODES)
async def test_a_document_given_as_text_is_searchable_at_once_and_updates_in_place(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        added = await client.call_tool("add_knowledge", {"title": "Kafka lag", "body": BODY, "source": "wiki:kafka"})
        hits = (await client.call_tool("search_knowledge", {"query": "kafka consumer lags"})).structured_content
        again = await client.call_tool("add_knowledge", {"title": "Kafka lag", "body": BODY, "source": "wiki:kafka"})
    assert added.structured_content is not None and again.structured_content is not None
    assert added.structured_content["source"] == "wiki:kafka" and added.structured_content["added"] >= 1
    assert hits is not None and hits["hits"][0]["title"] == "Kafka lag" and hits["hits"][0]["source"] == "wiki:kafka"
    assert again.structured_content["added"] == 0 and again.structured_content["unchanged"] >= 1


async def test_credentials_in_the_text_are_masked_before_storing(app: App) -> None:
    body = "Use the admin key sk_live_4eC39HqLyjWDarjtT1zdp7dc to call the API, or ask ops@example.com."
    async with Client(build_server(app)) as client:
        added = (await client.call_tool("add_knowledge", {"title": "API access", "body": body})).structured_content
    assert added is not None and added["redacted"] == 2 and added["source"] == "mcp:api-access"
    [item] = [app.knowledge.get(hit.id) for hit in app.knowledge.search("admin key API").hits]
    assert "sk_live_" not in item.body and "ops@example.com" not in item.body and "[REDACTED:" in item.body


async def test_a_local_path_is_refused_unless_client_and_server_share_a_machine(app: App, tmp_path: Path) -> None:
    doc = tmp_path / "redis.md"
    doc.write_text("# Redis memory\n\nEviction starts at maxmemory.\n", encoding="utf-8")
    async with Client(build_server(app)) as client:  # as over HTTP: text only
        with pytest.raises(MCPError, match="path is only read over stdio"):
            await client.call_tool("add_knowledge", {"path": str(doc)})
    async with Client(build_server(app, local_paths=True)) as client:
        added = (await client.call_tool("add_knowledge", {"path": str(doc)})).structured_content
        with pytest.raises(MCPError, match="no such file or folder"):
            await client.call_tool("add_knowledge", {"path": str(tmp_path / "nope.md")})
    assert added is not None and added["documents"] == 1 and added["source"] == str(doc.resolve())
    assert app.knowledge.search("redis eviction maxmemory").hits[0].title == "Redis memory"


async def test_bad_input_is_a_protocol_error_saying_what_to_fix(app: App) -> None:
    async with Client(build_server(app)) as client:
        with pytest.raises(MCPError, match="body is empty"):
            await client.call_tool("add_knowledge", {"title": "x", "body": "  "})
        with pytest.raises(MCPError, match="title must be 1 to 300 characters"):
            await client.call_tool("add_knowledge", {"body": "text"})
