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
    product: str | None = Field(
        default=None, description="The product it documents; only that product's tickets see it (None: every ticket)."
    )
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
    product: str | None = Field(default=None, description="The product the item documents (None: every product).")


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

    def plus(self, other: IngestReport) -> IngestReport:
        """Both reports added up (counts summed, lists joined)."""
        return IngestReport.model_validate(
            {name: getattr(self, name) + getattr(other, name) for name in IngestReport.model_fields}
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
    resolved_by: str | None = Field(default=None, description="analyst, webhook, signal or replay.")
    resolution_seq: int | None = Field(
        default=None, description="With signal: the customer's confirmation that resolved it (its seq)."
    )
    confirmed_seq: int | None = Field(
        default=None, description="A customer confirmation waiting out the quiet period before it resolves the ticket."
    )
    confirmed_at: datetime | None = None
    flags: list[str] = Field(default_factory=list[str], description="Why vigil would not learn from it.")
    product: str | None = Field(
        default=None,
        description="The product or queue it belongs to (the first one a message named); its suggestions come only "
        "from that product's knowledge and knowledge with no product. None: all knowledge.",
    )


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
    why: dict[str, float | str] = Field(
        default_factory=dict[str, float | str],
        description="Why it was made: the judge's probability, the feedback prior, the evidence's scores.",
    )
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


# ---- learning -----------------------------------------------------------------------------------

LessonStatus = Literal["active", "retired"]
LessonChange = Literal["learned", "relearned", "retired", "restored", "revised"]
JobStatus = Literal["queued", "running", "done", "failed"]
ResolvedBy = Literal["analyst", "webhook", "signal", "replay"]


class Lesson(BaseModel):
    """What one resolved case taught: a row of the `lessons` table (one row per version)."""

    id: str = Field(description="Stable lesson id (ls-...); the same ticket always has the same lesson id.")
    version: int = Field(description="1 when learned; each relearning, retirement, restoration or revision adds one.")
    ticket_id: str = Field(description="The resolved ticket it was learned from.")
    status: LessonStatus = Field(description="active: its Q&A is searchable; retired: left out until restored.")
    problem: str = Field(description="The problem, normalised: redacted, without greetings, names or addressing.")
    symptoms: list[str] = Field(description="How the customer described it, redacted: data, never instructions.")
    environment: list[str] = Field(description="Versions and platforms the customer named, from redacted text.")
    tried: list[str] = Field(description="What the analysts checked or asked for before the fix, redacted.")
    fix: str = Field(description="The analyst turn(s) the customer's confirmation follows, redacted.")
    fix_seqs: list[int] = Field(description="seq of the messages the fix is taken from.")
    confirmation_seq: int | None = Field(description="seq of the customer's confirmation, if there was one.")
    confirmed_by: str = Field(description="Who confirmed it worked: customer, or the analyst or webhook that resolved.")
    evidence: list[str] = Field(description="The messages the lesson rests on: their message ids, or #seq.")
    diagnostics: list[str] = Field(default_factory=list[str], description="vigil diagnostic tools called for it.")
    confidence: float = Field(description="How sure vigil is that the fix solved the problem, 0-1.")
    generated_by: str = Field(description="vigil-offline or vigil-anthropic.")
    knowledge_id: str | None = Field(default=None, description="The Q&A knowledge item rendered from it.")
    skill: str | None = Field(default=None, description="The skill it went into, if any.")
    skill_version: int | None = None
    change: LessonChange = Field(description="What made this version.")
    changed_by: str = Field(description="vigil, or the analyst who retired, restored or revised it.")
    note: str | None = Field(default=None, description="Why (a retirement reason, a revision note).")
    suggestion_id: str | None = Field(default=None, description="The suggestion a revision came from, if any.")
    product: str | None = Field(default=None, description="The product of its ticket; its Q&A carries it.")
    created_at: datetime
    updated_at: datetime


class LessonList(BaseModel):
    """A page of lessons."""

    lessons: list[Lesson]
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the next page; null at the end.")


class LearnResult(BaseModel):
    """What learning from one resolved ticket did, or why it learned nothing."""

    learned: bool = Field(description="True when a lesson is (still) active for the ticket.")
    reason: str = Field(description="What happened, or why nothing was learned, in one sentence.")
    lesson_id: str | None = None
    lesson_version: int | None = None
    knowledge_id: str | None = Field(default=None, description="The Q&A item, readable as vigil://knowledge/{id}.")
    skill: str | None = None
    skill_version: int | None = None
    skill_change: str = Field(default="none", description="new-draft, new-version or none.")
    skill_reason: str = ""
    commit: str | None = None
    flags: list[str] = Field(default_factory=list[str], description="Why the case was flagged (hostile content).")


class LearningJob(BaseModel):
    """One resolution waiting to be, or already, learned from; kept in the store so a crash redoes it."""

    id: str = Field(description="lj-...; readable as vigil://learning/jobs/{id}.")
    ticket_id: str
    trigger: ResolvedBy = Field(description="What resolved the ticket: analyst, webhook, signal or replay.")
    resolution_seqs: list[int] = Field(default_factory=list[int], description="Messages named as the resolution.")
    status: JobStatus
    attempts: int = 0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: LearnResult | None = None


class Resolution(BaseModel):
    """A resolved ticket and the learning job its resolution queued."""

    ticket: Ticket
    job: LearningJob
