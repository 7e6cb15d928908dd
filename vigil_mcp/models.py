"""Shared vocabulary: the shapes that cross service, storage and MCP boundaries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class KnowledgeItem(BaseModel):
    """One stored piece of knowledge: a runbook section, a learned Q&A, a skill."""

    id: str = Field(description="Stable id; also readable as vigil://knowledge/{id}.")
    kind: str = Field(description="runbook, qa, skill, ...")
    title: str = Field(description="Title of the document this item comes from.")
    section: str = Field(description="Heading path inside the document, ' > ' separated; empty for the whole.")
    body: str = Field(description="The text of the item (Markdown).")
    source: str = Field(description="Where it came from: a file path, a runbook id, a ticket.")
    anchor: str = Field(
        default="",
        description="Where in the source it starts (an HTML id, an OpenAPI JSON pointer); cite it as source#anchor.",
    )
    tags: list[str] = Field(default_factory=list[str])
    created_at: datetime
    updated_at: datetime


class SearchHit(BaseModel):
    """One ranked match of a knowledge search."""

    id: str
    kind: str
    title: str
    section: str
    snippet: str = Field(description="The part of the body that best matches the query.")
    score: float = Field(description="BM25 score; higher is better, comparable within one query only.")
    source: str
    anchor: str = Field(default="", description="Where in the source the hit starts; cite it as source#anchor.")


class SearchResult(BaseModel):
    """The answer to a knowledge search."""

    query: str
    hits: list[SearchHit]
    total_items: int = Field(description="How many items the index holds (of any kind).")


class SkippedInput(BaseModel):
    """Something ingestion could not use, with where and why."""

    path: str
    line: int | None = None
    reason: str


class IngestReport(BaseModel):
    """What one `knowledge add` did."""

    documents: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    unchanged_files: int = Field(default=0, description="Files not read again: same content hash as last time.")
    skipped: list[SkippedInput] = Field(default_factory=list[SkippedInput])
    notes: list[SkippedInput] = Field(
        default_factory=list[SkippedInput], description="Files ingested with a caveat (a fallback text encoding)."
    )

    def summary(self) -> str:
        """One line for humans."""
        files = f" ({self.unchanged_files} files unchanged, not read again)" if self.unchanged_files else ""
        return (
            f"{self.documents} documents: {self.added} chunks added, {self.updated} updated, "
            f"{self.unchanged} unchanged{files}, {self.removed} removed, {len(self.skipped)} skipped"
        )


# ---- tickets and dialogue ---------------------------------------------------------------------

Role = Literal["customer", "analyst", "bot"]
TicketStatus = Literal["waiting_on_analyst", "waiting_on_customer", "resolved"]
SuggestionStatus = Literal["pending", "adopted", "edited", "rejected", "expired"]
Verdict = Literal["adopted", "edited", "rejected"]


class Message(BaseModel):
    """One turn of a ticket's dialogue."""

    ticket_id: str
    seq: int = Field(description="Order within the ticket, from 1.")
    role: Role
    author: str
    text: str
    ts: datetime
    message_id: str | None = Field(default=None, description="The sender's id for this message (idempotency key).")
    kind: str = Field(description="question, followup, thanks, greeting, chatter or statement (customer turns).")


class Ticket(BaseModel):
    """A support case and where it stands."""

    id: str
    title: str
    customer: str
    status: TicketStatus
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    waiting_since: datetime | None = Field(default=None, description="When the customer started waiting.")
    message_count: int = 0
    summary: str | None = None


class Suggestion(BaseModel):
    """An answer vigil drafted for the analyst, unasked."""

    id: str
    ticket_id: str
    message_seq: int = Field(description="seq of the customer message that triggered it.")
    text: str
    confidence: float
    citations: list[str] = Field(default_factory=list[str], description="Knowledge ids the draft rests on.")
    skills: list[str] = Field(default_factory=list[str], description="Skill names the draft rests on.")
    engine: str
    reason: str
    status: SuggestionStatus
    created_at: datetime
    updated_at: datetime


class Feedback(BaseModel):
    """An analyst's verdict on a suggestion."""

    suggestion_id: str
    verdict: Verdict
    edited_text: str | None = None
    comment: str | None = None
    created_at: datetime


class TicketView(BaseModel):
    """A ticket with its dialogue and suggestions."""

    ticket: Ticket
    messages: list[Message]
    suggestions: list[Suggestion]
    next_cursor: str | None = Field(
        default=None, description="Set when get_ticket returned one page of the dialogue: pass it for the next."
    )


class ObserveResult(BaseModel):
    """What observing one message did."""

    ticket: Ticket
    message: Message
    duplicate: bool = Field(description="True when this message_id was already stored: nothing was written.")
    suggestion: Suggestion | None = None
    decision: str = Field(description="Why vigil spoke or stayed silent on this message.")


class TicketSummary(BaseModel):
    """Where a ticket stands, in a few lines an analyst can read at a glance."""

    ticket_id: str
    status: TicketStatus
    waiting_on: Literal["analyst", "customer", "nobody"]
    waiting_minutes: float | None = Field(default=None, description="How long the customer has waited, if they are.")
    asked: list[str] = Field(description="The customer's questions, in order.")
    tried: list[str] = Field(description="What analysts said or did, one line each.")
    pending: list[str] = Field(description="Customer questions with no analyst reply after them, and open suggestions.")
    followups: int = Field(description="How many times the customer asked for an update.")


class TicketList(BaseModel):
    """A page of tickets."""

    tickets: list[Ticket]
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the next page; null at the end.")


class SuggestionList(BaseModel):
    """Suggestions awaiting an analyst's verdict."""

    suggestions: list[Suggestion]
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the next page; null at the end.")
