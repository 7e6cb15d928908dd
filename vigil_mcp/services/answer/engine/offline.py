"""The offline engine: deterministic, no network. Composes the reply from the best judged passage."""

from __future__ import annotations

from vigil_mcp.services.answer.compose import compose
from vigil_mcp.services.answer.engine.base import Draft, DraftRequest


class OfflineEngine:
    """Speaks only when the judge's probability for the best passage reaches the threshold."""

    name = "offline"
    uses_context = False

    def draft(self, request: DraftRequest) -> Draft:
        """The composed reply from the first evidence at or above the threshold that has something to say."""
        if not request.evidence:
            return Draft(answerable=False, engine=self.name, reason="nothing retrieved")
        for evidence in request.evidence:
            if evidence.score < request.threshold:
                break
            text = compose(evidence, request.evidence)
            if text:
                return Draft(
                    answerable=True, text=text, citations=(evidence.id,), confidence=evidence.score,
                    engine=self.name, reason=f"answered from {evidence.kind} {evidence.id}",
                )  # fmt: skip
        best = request.evidence[0].score
        if best < request.threshold:
            return Draft(
                answerable=False, confidence=best, engine=self.name,
                reason=f"judge {best:.2f} below threshold {request.threshold:.2f}",
            )  # fmt: skip
        return Draft(answerable=False, confidence=best, engine=self.name, reason="the evidence has no answer text")
