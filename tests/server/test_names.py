"""What an LLM reads in tools/list: verb_noun names, titles, clean descriptions, instructions per area."""

import re
from typing import Any

import pytest
from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.names import DEPRECATED_TOOL_NAMES, OWN_TOOLS
from vigil_mcp.server import INSTRUCTIONS, build_server

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
VERBS = {
    "add", "check", "get", "list", "lookup", "observe", "query", "resolve", "restore", "retire", "search", "send",
    "summarize",
}  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_has_a_verb_noun_name_a_title_and_a_clean_description(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == 25  # knowledge 3, tickets 8, learning 6, skills 2, built-in diagnostics 6
    for tool in tools:
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", tool.name), tool.name
        assert tool.name.split("_")[0] in VERBS, tool.name
        assert tool.title and tool.title[0].isupper(), tool.name
        description = tool.description or ""
        assert description.strip() == description and description, tool.name
        assert not any(line.startswith(" ") for line in description.splitlines()), (tool.name, description)


async def test_the_instructions_introduce_each_area_and_name_only_tools_that_exist(app: App) -> None:
    async with Client(build_server(app)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    for area in ("Knowledge:", "Tickets:", "Learning:", "Diagnostics:", "Skills:"):
        assert f"\n{area}" in INSTRUCTIONS, area
    mentioned = set(re.findall(r"`([a-z]+_[a-z_]+)`", INSTRUCTIONS))
    assert mentioned - {"triage_ticket"} <= names
    assert {"search_knowledge", "observe_message", "check_http", "get_skill"} <= mentioned


@pytest.mark.parametrize("mode", MODES)
async def test_an_old_tool_name_still_answers_but_is_never_listed(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        old = await client.call_tool("pending_suggestions", {})
        new = await client.call_tool("list_pending_suggestions", {})
        tcp = await client.call_tool("tcp_check", {"host": "127.0.0.1", "port": 1})
    assert not names & set(DEPRECATED_TOOL_NAMES)
    assert set(DEPRECATED_TOOL_NAMES.values()) <= names
    assert old.structured_content == new.structured_content == {"suggestions": [], "next_cursor": None}
    assert tcp.structured_content is not None and tcp.structured_content["port"] == 1


async def test_own_tools_are_exactly_the_names_module_says(app: App) -> None:
    async with Client(build_server(app)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names - {tool.name for tool in app.tools.list()} == set(OWN_TOOLS)
