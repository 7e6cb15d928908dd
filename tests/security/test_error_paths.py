"""Every error path the attack run found, through the real protocol on both eras: a clear answer, never a crash.

A bad request is a protocol error (invalid params) in one sentence with no pydantic text or URL; a
diagnostic that cannot run is an `is_error` result; big messages and long tickets still answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from vigil_mcp.app import App
from vigil_mcp.server import build_server
from vigil_mcp.services.tickets import Incoming

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


def text_of(result: Any) -> str:
    return " ".join(getattr(item, "text", "") for item in result.content)


def assert_one_clear_sentence(message: str) -> None:
    assert message.strip()
    assert "\n" not in message
    for mark in ("pydantic", "http://", "https://", "Traceback", "validation error for", "[type="):
        assert mark not in message, message


async def invalid_params(client: Client, name: str, arguments: dict[str, Any]) -> str:
    with pytest.raises(MCPError) as caught:
        await client.call_tool(name, arguments)
    assert caught.value.error.code == INVALID_PARAMS
    assert_one_clear_sentence(caught.value.error.message)
    return caught.value.error.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("minutes", [1e308, 1e12, -5, -1e308])
async def test_list_stale_tickets_with_minutes_out_of_range_is_invalid_params(
    app: App, mode: Any, minutes: float
) -> None:
    async with Client(build_server(app), mode=mode) as client:
        message = await invalid_params(client, "list_stale_tickets", {"minutes": minutes})
    assert "argument 'minutes'" in message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("list_tickets", {"limit": 0}, "argument 'limit'"),
        ("list_stale_tickets", {"minutes": -5}, "greater than or equal to 0"),
        ("observe_message", {"ticket_id": "T-1", "role": "customer", "text": "hi"}, "missing argument 'author'"),
        ("search_knowledge", {"query": "x", "limit": "many"}, "argument 'limit'"),
        ("get_ticket", {"id": "T-1", "cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_values_are_one_sentence_naming_the_argument(
    app: App, mode: Any, name: str, arguments: dict[str, Any], says: str
) -> None:
    app.tickets.observe(Incoming("T-1", "customer", "c", "is the api down?"))
    async with Client(build_server(app), mode=mode) as client:
        message = await invalid_params(client, name, arguments)
    assert says in message


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_extra_arguments_are_refused_for_every_tool(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert len(names) >= 15
        for name in names:
            message = await invalid_params(client, name, {"zz_not_an_argument": 1})
            assert "unknown argument 'zz_not_an_argument'" in message, name
            assert "takes" in message


@pytest.mark.parametrize("mode", MODES)
async def test_triage_ticket_without_or_with_an_unknown_ticket_is_invalid_params(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        for arguments, says in (({}, "missing argument 'ticket_id'"), ({"ticket_id": "NOPE-1"}, "no ticket 'NOPE-1'")):
            with pytest.raises(MCPError) as caught:
                await client.get_prompt("triage_ticket", arguments)
            assert caught.value.error.code == INVALID_PARAMS
            assert says in caught.value.error.message
            assert_one_clear_sentence(caught.value.error.message)
        with pytest.raises(MCPError) as extra:
            await client.get_prompt("triage_ticket", {"ticket_id": "NOPE-1", "colour": "red"})
        assert "unknown argument 'colour'" in extra.value.error.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "url",
    [
        "http://0251.0376.0251.0376/",
        "http://0xa9fea9fe/latest/meta-data/",
        "http://2852039166/",
        "http://169.254.169.254/",
    ],
)
async def test_check_http_on_a_disguised_metadata_address_is_refused_as_an_error_result(
    app: App, mode: Any, url: str
) -> None:
    async with Client(build_server(app), mode=mode) as client:
        result = await client.call_tool("check_http", {"url": url})
    assert result.is_error
    assert "cloud metadata" in text_of(result)
    assert "crashed" not in text_of(result)


@pytest.mark.parametrize("mode", MODES)
async def test_check_http_on_another_odd_address_asks_for_dotted_decimal(app: App, mode: Any) -> None:
    async with Client(build_server(app), mode=mode) as client:
        message = await invalid_params(client, "check_http", {"url": "http://0177.0.0.01:9/"})
    assert "write it as 127.0.0.1" in message


@pytest.mark.parametrize("mode", MODES)
async def test_observe_message_answers_compactly_for_a_64k_message_and_stores_all_of_it(app: App, mode: Any) -> None:
    text = ("the deploy failed with an error " * 2048)[:64_000]
    async with Client(build_server(app), mode=mode) as client:
        result = await client.call_tool(
            "observe_message", {"ticket_id": "BIG-1", "role": "customer", "author": "c", "text": text}
        )
    assert not result.is_error, text_of(result)
    assert len(text_of(result)) < 8_000
    shown = (result.structured_content or {})["message"]["text"]
    assert shown.startswith(text[:1000]) and f"{len(text.strip()):,} characters in all" in shown
    assert app.tickets.get("BIG-1").messages[0].text == text.strip()


@pytest.mark.parametrize("mode", MODES)
async def test_get_ticket_pages_thirty_messages_of_a_thousand_characters(app: App, mode: Any) -> None:
    for n in range(30):
        role = "customer" if n % 2 == 0 else "analyst"
        app.tickets.observe(Incoming("LONG-1", role, "a", f"{n:02d} " + "x" * 997, None, f"m{n}"))
    seen: list[str] = []
    pages = 0
    async with Client(build_server(app), mode=mode) as client:
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {"id": "LONG-1"} | ({"cursor": cursor} if cursor else {})
            result = await client.call_tool("get_ticket", arguments)
            assert not result.is_error, text_of(result)
            page = result.structured_content or {}
            seen += [m["message_id"] for m in page["messages"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [f"m{n}" for n in range(30)]
    assert pages >= 2


@pytest.mark.parametrize("mode", MODES)
async def test_get_ticket_cuts_one_message_too_long_for_any_page_and_says_where_the_rest_is(
    app: App, mode: Any
) -> None:
    app.tickets.observe(Incoming("HUGE-1", "customer", "c", '"quoted"\n' * 7_000))
    app.tickets.observe(Incoming("HUGE-1", "analyst", "a", "looking"))
    async with Client(build_server(app), mode=mode) as client:
        first = await client.call_tool("get_ticket", {"id": "HUGE-1"})
        page = first.structured_content or {}
        second = await client.call_tool("get_ticket", {"id": "HUGE-1", "cursor": page["next_cursor"]})
    assert not first.is_error, text_of(first)
    assert "vigil://tickets/HUGE-1" in page["messages"][0]["text"]
    assert [m["text"] for m in (second.structured_content or {})["messages"]] == ["looking"]


@pytest.mark.parametrize("mode", MODES)
async def test_get_ticket_keeps_each_page_s_suggestions(runbooks_app: App, mode: Any) -> None:
    question = "How do I fix etcdMembersDown firing on our cluster?"
    runbooks_app.tickets.observe(Incoming("S-1", "customer", "c", question))
    assert runbooks_app.tickets.get("S-1").suggestions, "the runbooks should answer this question"
    async with Client(build_server(runbooks_app), mode=mode) as client:
        result = await client.call_tool("get_ticket", {"id": "S-1", "limit": 1})
    page = result.structured_content or {}
    assert [s["message_seq"] for s in page["suggestions"]] == [1]
    assert json.dumps(page).count('"seq"') == 1
