"""A customer's problem on a doc-covered topic gets a short cited answer, through a real MCP client, on both eras."""

from typing import Any

import pytest
from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_doc_covered_problem_gets_a_short_cited_draft_and_get_ticket_says_why(docs_app: App, mode: Any) -> None:
    async with Client(build_server(docs_app), mode=mode) as client:
        observed = await client.call_tool(
            "observe_message",
            {"ticket_id": "T-7", "role": "customer", "author": "kim",
             "text": "how can I see which files a package installed?"},
        )  # fmt: skip
        assert not observed.is_error
        result: dict[str, Any] = observed.structured_content or {}
        suggestion = result["suggestion"]
        assert suggestion is not None, result["decision"]
        body, _, citation = suggestion["text"].rpartition("\n\nSource: ")
        assert "dpkg" in body and len(body) <= 600 and "pkgtools.en.html#" in citation
        silent = await client.call_tool(
            "observe_message", {"ticket_id": "T-7", "role": "customer", "author": "kim", "text": "thanks!"}
        )
        assert (silent.structured_content or {})["suggestion"] is None
        ticket = await client.call_tool("get_ticket", {"id": "T-7"})
        why = (ticket.structured_content or {})["suggestions"][0]["why"]
        assert why["probability"] >= docs_app.tickets.answers.judge.threshold and "cosine" in why


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_once_an_analyst_leads_the_exchange_a_follow_up_gets_no_doc_draft_and_the_reason_says_why(
    docs_app: App, mode: Any
) -> None:
    async with Client(build_server(docs_app), mode=mode) as client:

        async def say(role: str, text: str) -> dict[str, Any]:
            author = "kim" if role == "customer" else "sam"
            observed = await client.call_tool(
                "observe_message", {"ticket_id": "T-8", "role": role, "author": author, "text": text}
            )
            assert not observed.is_error
            return observed.structured_content or {}

        await say("customer", "my package manager acts up")
        await say("analyst", "Hi kim, looking at it now.")
        await say("analyst", "Which package is it?")
        await say("analyst", "And what did you run before it broke?")
        result = await say("customer", "how can I see which files a package installed?")
        assert result["suggestion"] is None
        assert result["decision"].startswith("follow-up in an exchange an analyst leads")
