"""The dedupe stage: keep quiet when the ticket already said what the draft says.

The rule and its fitted threshold live in `services/similarity.py` (`Sameness.repeats`); this stage
only says which earlier texts a draft is compared with, and why it was held back.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil_mcp.models import Message
from vigil_mcp.services.similarity import Sameness, without_citation


def repeated(sameness: Sameness, draft: str, previous: Sequence[str], history: Sequence[Message]) -> str | None:
    """Why `draft` must not be offered (an earlier suggestion or an analyst said it), or None."""
    said = without_citation(draft)
    if sameness.repeats(said, [without_citation(p) for p in previous]):
        return "already suggested in this ticket"
    if sameness.repeats(said, [m.text for m in history if m.role == "analyst"]):
        return "an analyst already said this"
    return None
