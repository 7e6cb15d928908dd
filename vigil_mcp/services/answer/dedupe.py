"""The dedupe stage: keep quiet when the ticket already said what the draft says.

The rules and their fitted thresholds live in `services/similarity.py` (`Sameness.repeats`,
`adds_nothing`); this stage only says which texts a draft is compared with, and why it was held back.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil_mcp.models import Message
from vigil_mcp.services.similarity import Sameness, adds_nothing, without_citation


def repeated(
    sameness: Sameness, draft: str, previous: Sequence[str], history: Sequence[Message], question: str = ""
) -> str | None:
    """Why `draft` must not be offered (an earlier suggestion or an analyst said it, or it only restates
    the customer's `question`), or None."""
    said = without_citation(draft)
    if question and adds_nothing(said, question):
        return "the draft only restates the customer's message"
    if sameness.repeats(said, [without_citation(p) for p in previous]):
        return "already suggested in this ticket"
    if sameness.repeats(said, [m.text for m in history if m.role == "analyst"]):
        return "an analyst already said this"
    return None
