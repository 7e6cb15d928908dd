from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from vigil_mcp.app import App
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_has_a_description_schemas_and_read_only_hint(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"search_knowledge", "get_knowledge"} <= set(tools)
    for name in ("search_knowledge", "get_knowledge"):
        tool = tools[name]
        assert tool.description and len(tool.description) > 40
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    assert tools["search_knowledge"].input_schema["required"] == ["query"]


@pytest.mark.parametrize("mode", MODES)
async def test_server_instructions_point_an_llm_at_search_knowledge(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert client.instructions is not None
        assert "search_knowledge" in client.instructions


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("etcdMembersDown", "etcdMembersDown"),
        ("KubePersistentVolumeFillingUp", "KubePersistentVolumeFillingUp"),
        ("ssl certificate expired", "SSL Certificate expiring or expired"),
    ],
)
async def test_search_knowledge_finds_real_runbooks_by_alert_name_and_symptom(
    runbooks_app: App, mode: Any, query: str, expected_title: str
) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        result = await client.call_tool("search_knowledge", {"query": query, "limit": 3})
    assert not result.is_error
    content = result.structured_content
    assert content is not None
    hits = content["hits"]
    assert hits[0]["title"] == expected_title
    assert set(hits[0]) == {"id", "kind", "title", "section", "snippet", "score", "source", "anchor", "product"}
    assert content["total_items"] >= 100  # real runbooks: 3,035 items from ../shared, 126 from the bundled sample


@pytest.mark.parametrize("mode", MODES)
async def test_get_knowledge_and_the_resource_return_the_full_item(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        found = await client.call_tool("search_knowledge", {"query": "etcdMembersDown", "limit": 1})
        assert found.structured_content is not None
        item_id = found.structured_content["hits"][0]["id"]
        item = await client.call_tool("get_knowledge", {"id": item_id})
        assert item.structured_content is not None
        assert item.structured_content["id"] == item_id
        assert item.structured_content["body"] == runbooks_app.knowledge.get(item_id).body
        assert "etcdMembersDown" in item.structured_content["title"]
        templates = (await client.list_resource_templates()).resource_templates
        assert "vigil://knowledge/{id}" in [t.uri_template for t in templates]
        read = await client.read_resource(f"vigil://knowledge/{item_id}")
    text = read.contents[0]
    assert text.mime_type == "text/markdown"
    assert getattr(text, "text", "").startswith("# etcdMembersDown")
    assert f"id: {item_id}" in getattr(text, "text", "")


@pytest.mark.parametrize("mode", MODES)
async def test_an_empty_query_is_a_protocol_error_that_says_what_to_do(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        with pytest.raises(MCPError, match="query is empty"):
            await client.call_tool("search_knowledge", {"query": "  "})


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_id_is_a_tool_error_and_an_unknown_resource_is_refused(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        result = await client.call_tool("get_knowledge", {"id": "kb-0000"})
        assert result.is_error
        assert "search_knowledge returns valid ids" in getattr(result.content[0], "text", "")
        with pytest.raises(MCPError, match="no knowledge item"):
            await client.read_resource("vigil://knowledge/kb-0000")


@pytest.mark.parametrize("mode", MODES)
async def test_arguments_of_the_wrong_type_get_a_readable_error(runbooks_app: App, mode: Any) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("search_knowledge", {"query": "redis", "limit": 500})
    assert caught.value.error.code == INVALID_PARAMS
    assert "argument 'limit'" in caught.value.error.message
    assert "pydantic" not in caught.value.error.message
