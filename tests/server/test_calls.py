from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent
from mcp_types import INVALID_PARAMS

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.demo import load_sample
from vigil_mcp.server import build_server
from vigil_mcp.server.calls import NOTE_PREFIX, cap_result

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]
CAP = 2000


@pytest.fixture
def capped_app(settings: Settings) -> Iterator[App]:
    application = build_app(replace(settings, tool_output_chars=CAP))
    load_sample(application)
    yield application
    application.close()


def texts(result: Any) -> list[str]:
    return [c.text for c in result.content if isinstance(c, TextContent)]


def huge_report() -> str:
    """Return a very long plain-text report."""
    return "".join(f"line {i}: " + "x" * 70 + "\n" for i in range(700))


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_tool_is_a_protocol_error_not_a_result(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("test_simple_text", {})

    assert caught.value.code == INVALID_PARAMS
    assert "Unknown tool: test_simple_text" in caught.value.message


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_prompt_is_a_protocol_error_not_an_internal_error(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("test_simple_prompt")

    assert caught.value.code == INVALID_PARAMS
    assert "Unknown prompt: test_simple_prompt" in caught.value.message


@pytest.mark.parametrize("mode", MODES)
async def test_a_huge_text_answer_is_cut_to_the_cap_with_a_note(capped_app: App, mode: Any) -> None:
    mcp = build_server(capped_app)
    mcp.add_tool(huge_report, structured_output=False)
    async with Client(mcp, mode=mode) as client:
        result = await client.call_tool("huge_report", {})

    parts = texts(result)
    assert not result.is_error
    assert sum(len(t) for t in parts) <= CAP
    assert parts[0].startswith("line 0: xxx")
    assert parts[-1].startswith(NOTE_PREFIX) and f"{len(huge_report()):,} characters" in parts[-1]


@pytest.mark.parametrize("mode", MODES)
async def test_a_huge_structured_answer_becomes_an_error_asking_for_a_lower_limit(capped_app: App, mode: Any) -> None:
    async with Client(build_server(capped_app), mode=mode) as client:
        small = await client.call_tool("search_knowledge", {"query": "etcd", "limit": 2})
        big = await client.call_tool("search_knowledge", {"query": "etcd", "limit": 50})

    assert not small.is_error and small.structured_content is not None
    assert big.is_error and big.structured_content is None
    (message,) = texts(big)
    assert f"over this server's {CAP:,}-character cap" in message
    assert "or lower (it was 50)" in message


def test_an_answer_within_the_cap_is_returned_unchanged() -> None:
    result = {"content": [{"type": "text", "text": "short"}], "structuredContent": {"a": 1}, "isError": False}

    assert cap_result(result, 1000, "t") is result


def test_an_input_required_round_is_left_alone() -> None:
    result = {"resultType": "input_required", "inputRequests": {"q": {"method": "elicitation/create"}}}

    assert cap_result(result, 10, "t") is result


def test_embedded_resource_text_counts_and_is_cut_too() -> None:
    result = {
        "content": [{"type": "resource", "resource": {"uri": "vigil://knowledge/x", "text": "y" * 5000}}],
        "_meta": {"k": "v"},
    }

    capped = cap_result(result, 1200, "get_thing", {"id": "x"})

    resource_text = capped["content"][0]["resource"]["text"]
    note = capped["content"][-1]["text"]
    assert len(resource_text) + len(note) <= 1200
    assert capped["_meta"] == {"k": "v"} and "isError" not in capped
    assert "fetch items one at a time" in note


def test_an_oversized_error_stays_an_error_when_cut() -> None:
    result = {"content": [{"type": "text", "text": "z" * 3000}], "isError": True}

    capped = cap_result(result, 1000, "t")

    assert capped["isError"] is True
    assert sum(len(c["text"]) for c in capped["content"]) <= 1000
