"""What every drafting engine receives and returns.

The proactive service decides *whether* a customer message deserves a look (is it a question,
was it already answered, is anything retrieved close enough); an engine then decides whether
the retrieved evidence really answers it and drafts the answer. Engines never store or notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Evidence:
    """One retrieved knowledge item or skill the draft may use and cite."""

    id: str  # knowledge id (kb-...) or skill name for kind "skill"
    kind: str  # runbook, qa, skill, ...
    title: str
    section: str
    text: str  # the body (bounded), already free of secrets
    score: float  # BM25 score of this item for the question
    coverage: float = 0.0  # share (idf-weighted) of the question's informative terms found in it, 0..1


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """A customer question with its dialogue context and the retrieved evidence."""

    ticket_id: str
    question: str  # the triggering customer message (secrets already redacted)
    context: Sequence[str] = ()  # earlier dialogue turns, oldest first, as "role author: text"
    evidence: Sequence[Evidence] = ()
    retrieval_confidence: float = 0.0  # the offline scorer's calibrated confidence, 0..1
    previous_suggestions: Sequence[str] = ()  # texts already suggested in this ticket


@dataclass(frozen=True, slots=True)
class Draft:
    """An engine's verdict: answer or stay silent, and why."""

    answerable: bool
    text: str = ""
    citations: tuple[str, ...] = ()  # ids from the request's evidence, nothing else
    confidence: float = 0.0  # 0..1
    engine: str = "offline"
    reason: str = ""  # one line: why it spoke or stayed silent
    notes: tuple[str, ...] = field(default_factory=tuple[str, ...])  # e.g. "fell back to offline: timeout"


class Engine(Protocol):
    """Drafts (or declines to draft) an answer from evidence."""

    name: str

    def draft(self, request: DraftRequest) -> Draft:
        """Decide and draft; must not raise for API or model failures (return a Draft instead)."""
        ...
