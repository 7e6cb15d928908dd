"""Learning end to end through a real MCP client, on both protocol eras: resolve A, and B gets A's answer."""

from typing import Any

import pytest
from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.server import build_server
from vigil_mcp.services.answer.proactive import token_f1
from vigil_mcp.services.knowledge.service import item_id
from vigil_mcp.services.learn.learner import qa_source

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
A_QUESTION = (
    "Creating a PaymentIntent with a saved card fails with authentication_required on off_session payments, "
    "how do we handle it?"
)
A_ANSWER = (
    "Off-session payments can need 3D Secure: catch the authentication_required error, bring the customer back on "
    "session and confirm the PaymentIntent with the same payment method so they can authenticate."
)
B_QUESTION = "Our off_session PaymentIntent with the customer's saved card fails with authentication_required. Why?"


async def observe(client: Client, ticket: str, role: str, text: str) -> dict[str, Any]:
    author = "dev" if role == "customer" else "sam"
    result = await client.call_tool(
        "observe_message", {"ticket_id": ticket, "role": role, "author": author, "text": text}
    )
    assert not result.is_error, result.content
    return result.structured_content or {}


@pytest.mark.parametrize("mode", MODES)
async def test_after_a_case_is_resolved_the_next_customer_with_the_same_problem_gets_its_answer(
    runbooks_app: App, mode: Any
) -> None:
    async with Client(build_server(runbooks_app), mode=mode) as client:
        await observe(client, "stripe/A", "customer", A_QUESTION)
        await observe(client, "stripe/A", "analyst", A_ANSWER)
        await observe(client, "stripe/A", "customer", "thanks, that worked!")
        before = await observe(client, "stripe/B0", "customer", B_QUESTION)
        assert before["suggestion"] is None, "before learning, vigil knows nothing about this"

        resolved = await client.call_tool("resolve_ticket", {"id": "stripe/A"})
        assert (resolved.structured_content or {})["status"] == "resolved"
        learned = runbooks_app.learner.history[-1]
        assert (learned.ticket_id, learned.reason) == ("stripe/A", "learned")

        after = await observe(client, "stripe/B", "customer", B_QUESTION)
    suggestion = after["suggestion"]
    assert suggestion is not None, after["decision"]
    assert item_id(qa_source("stripe/A"), "", 1) in suggestion["citations"]
    assert token_f1(suggestion["text"], A_ANSWER) >= 0.8
