"""What every drafting engine receives and returns.

The answer pipeline decides *whether* a customer message deserves a look (is it a request for help,
was it already answered, did the judge find a passage likely to answer it); an engine then drafts
the reply from the judged evidence, or declines. Engines never store or notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vigil_mcp.services.knowledge.chunking import section_parts


@dataclass(frozen=True, slots=True)
class Evidence:
    """One judged passage the draft may use and cite."""

    id: str  # knowledge item id (kb-...) or skill name for kind "skill"
    kind: str  # doc, runbook, qa, skill, ...
    title: str
    section: str
    text: str  # the passage that matched (already free of secrets)
    score: float  # the judge's probability that it answers the question, 0..1
    context: str = ""  # the item's body around the passage (bounded): a Q&A's answer, the command after a step
    form: str = "prose"  # prose, list, code, table, field, given
    source: str = ""  # file, page#anchor, ticket:..., skill://...
    coverage: float = 0.0  # share (idf-weighted) of the question's key terms found in it, 0..1

    @property
    def citation(self) -> str:
        """Where an analyst can check it: document › section › subsection (source, a file by its name),
        without the "(part n)" of a section stored in pieces."""
        where = " › ".join([self.title, *section_parts(self.section)]) if self.section else self.title
        source = self.source.rsplit("/", 1)[-1] if self.source.startswith("/") else self.source
        return f"{where} ({source})" if source else where


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """A customer question with its dialogue context and the judged evidence, best first."""

    ticket_id: str
    question: str  # the triggering customer message (secrets already redacted)
    context: Sequence[str] = ()  # earlier dialogue turns, oldest first, as "role author: text"
    evidence: Sequence[Evidence] = ()
    retrieval_confidence: float = 0.0  # the judge's probability for the best evidence, 0..1
    previous_suggestions: Sequence[str] = ()  # texts already suggested in this ticket
    threshold: float = 0.6  # the judge's fitted suggestion threshold; every engine's verdict must clear it


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
