"""The proactive decision, through the ticket service, on realistic knowledge."""

from datetime import UTC, datetime, timedelta

import pytest

from vigil_mcp.app import App
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.tickets import Incoming

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def app(runbooks_app: App) -> App:
    """Realistic knowledge: real runbooks (runbooks_path), plus what each test has vigil learn."""
    return runbooks_app


WEBHOOK_QA = (
    "Question: Stripe webhook signature verification fails with No signatures found matching the expected "
    "signature for payload when testing the webhook endpoint locally\n\n"
    "Answer:\nVerify the raw request body, not the parsed JSON: Stripe signs the exact bytes it sent. "
    "Use the endpoint's own whsec_ signing secret, and for local testing forward events with "
    "`stripe listen --forward-to localhost:4242/webhook`. Can you paste your handler?\n\n"
    "Steps tried:\n- checked the endpoint secret"
)


def learned(app: App) -> None:
    doc = Document(
        source="ticket:stripe/earlier",
        title="Stripe webhook signature verification fails with No signatures found matching",
        chunks=[Chunk("Stripe webhook signature verification fails with No signatures found matching", "", WEBHOOK_QA)],
    )
    app.knowledge.add_documents([doc], kind="qa")


def say(app: App, role: str, text: str, minute: int, ticket: str = "B") -> object:
    author = "dev" if role == "customer" else "support"
    return app.tickets.observe(
        Incoming(ticket, role, author, text, T0 + timedelta(minutes=minute), f"{ticket}{minute}")
    )


def test_a_question_answered_by_learned_knowledge_gets_a_cited_draft(app: App) -> None:
    learned(app)
    result = app.tickets.observe(
        Incoming("B", "customer", "dev", "webhook signature verification fails: No signatures found matching the "
                 "expected signature for payload, testing the endpoint locally. why?", T0, "b1")
    )  # fmt: skip
    assert result.suggestion is not None, result.decision
    s = result.suggestion
    assert "raw request body" in s.text
    assert "stripe listen" in s.text
    assert s.citations and s.citations[0].startswith("kb-")
    assert 0.6 <= s.confidence <= 1.0
    assert s.status == "pending"
    assert "?" not in s.text  # never asks the customer for anything
    assert "Steps tried" not in s.text


def test_thanks_greetings_and_unknown_topics_get_silence(app: App) -> None:
    learned(app)
    assert say(app, "customer", "hello everyone", 0).suggestion is None  # type: ignore[attr-defined]
    thanks = say(app, "customer", "thanks, that worked!", 1)
    assert thanks.suggestion is None  # type: ignore[attr-defined]
    assert "thanks" in thanks.decision  # type: ignore[attr-defined]
    unknown = say(app, "customer", "how do I configure my printer's duplex mode in cups?", 2)
    assert unknown.suggestion is None  # type: ignore[attr-defined]


def test_no_draft_when_an_analyst_already_answered_the_same_question(app: App) -> None:
    learned(app)
    q = "webhook signature verification fails with No signatures found matching the expected signature, why?"
    say(app, "analyst", "hi, support here", 0)
    first = app.tickets.observe(Incoming("B", "customer", "dev", q, T0 + timedelta(minutes=1), "q1"))
    assert first.suggestion is not None
    say(app, "analyst", "You must verify the raw body with your whsec secret.", 2)
    again = app.tickets.observe(Incoming("B", "customer", "dev", q, T0 + timedelta(minutes=3), "q2"))
    assert again.suggestion is None
    assert again.decision == "an analyst already answered this question"


def test_the_same_draft_is_never_suggested_twice_in_a_ticket(app: App) -> None:
    learned(app)
    q1 = "webhook signature verification fails: No signatures found matching the expected signature for payload?"
    q2 = "still: No signatures found matching the expected signature for payload when the webhook hits my endpoint?"
    first = app.tickets.observe(Incoming("B", "customer", "dev", q1, T0, "x1"))
    second = app.tickets.observe(Incoming("B", "customer", "dev", q2, T0 + timedelta(minutes=1), "x2"))
    assert first.suggestion is not None
    assert second.suggestion is None
    assert second.decision == "already suggested in this ticket"


def test_a_secret_pasted_by_the_customer_never_reaches_a_draft(app: App) -> None:
    doc = Document(
        source="ticket:leaky",
        title="charges fail with invalid api key",
        chunks=[Chunk("charges fail with invalid api key", "",
                      "Question: charges fail with invalid api key error when creating a charge\n\nAnswer:\n"
                      "Your key sk_live_4eC39HqLyjWDarjtT1zdp7dc was rolled; create a new restricted key in the "
                      "dashboard and deploy it.")],
    )  # fmt: skip
    app.knowledge.add_documents([doc], kind="qa")
    result = say(app, "customer", "charges fail with invalid api key error when I create a charge, what now?", 0)
    assert result.suggestion is not None, result.decision  # type: ignore[attr-defined]
    assert "sk_live_4eC39HqLyjWDarjtT1zdp7dc" not in result.suggestion.text  # type: ignore[attr-defined]
    assert "[REDACTED" in result.suggestion.text  # type: ignore[attr-defined]
