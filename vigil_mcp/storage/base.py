"""The narrow storage interface, implemented by DuckDB (embedded, the default) and PostgreSQL (replicas).

Services talk to storage only through `KnowledgeStore`, `TicketStore` and `LearningStore`, so a second
backend needs nothing more than these methods and the same transaction guarantees: every `apply_*` is
one atomic write. A store whose `shared` is False (DuckDB) has one writer, this process, so services
may trust what they cached; a `shared` store (PostgreSQL) has other writers, the other replicas, so it
refuses a write based on stale state with `StoreConflict`, and services re-read what they cached first.
A shared knowledge store also keeps a change feed (`SharedKnowledgeStore`) each replica's index follows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from vigil_mcp.models import Feedback, KnowledgeItem, LearningJob, LearnResult, Lesson, Message, Suggestion, Ticket


@dataclass(frozen=True, slots=True)
class Snapshot:
    """BM25 postings as flat arrays, as the store hands them over at start (a "doc" is a passage)."""

    terms: Sequence[str]  # terms[term_id]
    term_ids: npt.NDArray[np.int32]
    doc_nos: npt.NDArray[np.int32]  # passage numbers
    tfs: npt.NDArray[np.integer[Any]]  # sorted by term_id, as the store returns them
    doc_no_of_doc: npt.NDArray[np.int32]  # passages: number, length, kind code of its item
    length_of_doc: npt.NDArray[np.float64]
    kind_of_doc: Sequence[str]
    position: int = 0  # a shared store: the last change feed entry this snapshot includes


@dataclass(frozen=True, slots=True)
class KnowledgeRow:
    """A knowledge item (a document section, a learned Q&A, a skill section) as written."""

    id: str
    kind: str
    title: str
    section: str
    body: str
    source: str
    anchor: str
    tags: tuple[str, ...]
    content_hash: str  # of what the item says; its product is not part of it (relabelling keeps the passages)
    product: str | None = None  # None: the item serves every ticket


@dataclass(frozen=True, slots=True)
class IngestedFile:
    """A file as last ingested: its sha256, the parser version that read it, its kind and item count."""

    path: str
    sha256: str
    parser: str
    kind: str
    items: int
    product: str | None = None


@dataclass(frozen=True, slots=True)
class PassageRow:
    """A passage of an item: the unit retrieval matches, with its BM25 length and embedding."""

    passage_no: int
    item_id: str
    ordinal: int
    form: str  # prose, list, code, table, field, question
    text: str
    length: int  # BM25 length in terms
    embedding: bytes | None = None  # EMBEDDING_DIM float16 values, little-endian; None without a model


@dataclass(frozen=True, slots=True)
class PassageRecord:
    """What retrieval needs to rank and show a passage without touching the store."""

    passage_no: int
    item_id: str
    kind: str  # the item's kind: runbook, doc, qa, skill, ...
    ordinal: int  # 1 for the item's first passage
    title: str
    section: str
    source: str
    anchor: str
    form: str
    text: str
    product: str | None = None  # the item's product; None: every ticket may be answered from it


@dataclass(frozen=True, slots=True)
class VectorSnapshot:
    """Stored passage embeddings: row i of `vectors` belongs to `passage_nos[i]`."""

    passage_nos: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float16]


@dataclass(frozen=True, slots=True)
class KnowledgeChange:
    """One atomic knowledge write: items with their passages and postings, removals, new terms."""

    upserts: Sequence[KnowledgeRow] = ()
    passages: Sequence[PassageRow] = ()  # every passage of every upserted item
    postings: Sequence[tuple[int, int, int]] = ()  # (passage_no, term_id, tf) for every new passage
    new_terms: Mapping[str, int] = field(default_factory=dict[str, int])
    remove_ids: Sequence[str] = ()  # items that are gone, with their passages
    replaced_ids: Sequence[str] = ()  # upserted items already stored: their old passages are dropped
    files: Sequence[IngestedFile] = ()  # files whose items this change completes, with their hashes
    relabels: Sequence[tuple[str, str | None]] = ()  # (item id, product) of unchanged items given a new product
    # A shared store: the feed position the writer's index is at. Passage numbers and term ids were
    # planned from that index, so the store refuses the change (StoreConflict) if the feed moved on.
    feed_position: int | None = None


@dataclass(frozen=True, slots=True)
class StoredPassage:
    """A stored passage as an index takes it from the change feed: display record, term counts, vector."""

    record: PassageRecord
    length: int
    counts: Mapping[str, int]
    embedding: bytes | None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One knowledge item touched by a write on a shared store: its id and the replica that wrote it."""

    seq: int
    item_id: str
    origin: str


class KnowledgeStore(Protocol):
    """Everything the knowledge service asks of a store."""

    path: str  # where it is, for people (a PostgreSQL URL without its password)
    shared: bool  # other processes write it too (see the module docstring)

    def source_items(self, sources: Sequence[str]) -> dict[str, dict[str, tuple[str, str | None]]]:
        """Items already stored from each source: source -> id -> (content_hash, product)."""
        ...

    def passages_of(self, item_ids: Sequence[str]) -> dict[str, list[int]]:
        """The passage numbers of each stored item among `item_ids`."""
        ...

    def terms_of(self, passage_nos: Sequence[int]) -> list[str]:
        """The vocabulary of the given passages (to drop their postings quickly)."""
        ...

    def ingested_files(self, paths: Sequence[str]) -> dict[str, IngestedFile]:
        """How each of `paths` was last ingested (absent: never, or not completely)."""
        ...

    def next_passage_no(self) -> int:
        """One above the highest passage number ever stored."""
        ...

    def apply_knowledge(self, change: KnowledgeChange) -> int:
        """Write a change in one transaction (nothing of it on failure); the feed position after it (0: no feed)."""
        ...

    def get_knowledge(self, item_id: str) -> KnowledgeItem | None:
        """One item by id."""
        ...

    def count_knowledge(self) -> dict[str, int]:
        """Item counts by kind."""
        ...

    def load_index(self) -> tuple[Snapshot, dict[int, PassageRecord]]:
        """Everything the in-memory BM25 index and hit display need, read in one go."""
        ...

    def load_vectors(self) -> VectorSnapshot:
        """Every stored passage embedding."""
        ...

    def passages_without_embedding(self, limit: int) -> list[tuple[int, str, str, str]]:
        """Up to `limit` (passage_no, item title, item section, passage text) of passages with no embedding."""
        ...

    def set_embeddings(self, embeddings: Sequence[tuple[int, bytes]]) -> None:
        """Store embeddings for existing passages (one transaction)."""
        ...

    def clear_embeddings(self) -> None:
        """Forget every stored embedding (the model changed)."""
        ...

    def items_without_passages(self, limit: int) -> list[KnowledgeRow]:
        """Up to `limit` items stored before passages existed (they are re-split on load)."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A store-wide setting (such as the embedding model the stored vectors come from)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Record a store-wide setting."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


class SharedKnowledgeStore(KnowledgeStore, Protocol):
    """A knowledge store other replicas write too: the change feed that keeps each index current."""

    origin: str  # this process's name among the replicas (its own feed entries are already in its index)

    def knowledge_changes(self, after: int, limit: int = 5000) -> list[FeedEntry]:
        """Feed entries after position `after`, oldest first."""
        ...

    def stored_passages(self, item_ids: Sequence[str]) -> list[StoredPassage]:
        """Every stored passage of these items, with its term counts and embedding."""
        ...

    def terms_from(self, first_id: int) -> list[str]:
        """The terms whose ids are `first_id` and above, in id order (ids are dense)."""
        ...


@dataclass(slots=True)
class TicketChange:
    """What happened to one ticket: its new state, appended messages and suggestions."""

    ticket: Ticket
    is_new: bool
    messages: list[Message] = field(default_factory=list[Message])
    suggestions: list[Suggestion] = field(default_factory=list[Suggestion])
    expire_pending: bool = False  # mark the ticket's pending suggestions expired (on resolution)
    # The ticket as this change found it; a shared store writes only if the stored row still equals it.
    previous: Ticket | None = None
    jobs: list[LearningJob] = field(default_factory=list[LearningJob])  # learning queued in the same transaction

    def merge(self, later: TicketChange) -> None:
        """Fold a later change of the same ticket into this one (its `previous` stays the first one's)."""
        self.ticket = later.ticket
        self.messages.extend(later.messages)
        self.suggestions.extend(later.suggestions)
        self.expire_pending = self.expire_pending or later.expire_pending
        self.jobs.extend(later.jobs)


class TicketStore(Protocol):
    """Everything the dialogue service asks of a store."""

    shared: bool  # other processes write it too (see the module docstring)

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket."""
        ...

    def ticket_ids(self) -> set[str]:
        """Every stored ticket id (read once at start, so new tickets cost no lookup)."""
        ...

    def list_tickets(self, status: str | None, limit: int, offset: int) -> list[Ticket]:
        """Tickets, most recently updated first."""
        ...

    def ticket_messages(self, ticket_id: str, after_seq: int = 0) -> list[Message]:
        """A ticket's dialogue in order (only the messages after `after_seq`)."""
        ...

    def message_by_client_id(self, ticket_id: str, message_id: str) -> Message | None:
        """The stored message with this sender id, if any."""
        ...

    def apply_tickets(self, changes: Sequence[TicketChange]) -> None:
        """Write ticket changes (new or updated tickets, appended messages and suggestions) in one transaction.

        A shared store raises `StoreConflict`, writing nothing, when a ticket is no longer as `previous`
        says (or, when new, already exists) or a message id or seq is already stored.
        """
        ...

    def suggestions(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[Suggestion]:
        """Suggestions, newest first."""
        ...

    def get_suggestion(self, suggestion_id: str) -> Suggestion | None:
        """One suggestion."""
        ...

    def record_feedback(self, feedback: Feedback, suggestion: Suggestion) -> None:
        """Store the feedback and the suggestion's new status together.

        A shared store raises `StoreConflict`, writing nothing, when the suggestion is no longer pending.
        """
        ...

    def feedback_of(self, suggestion_id: str) -> tuple[Suggestion, Feedback] | None:
        """The verdict on one suggestion, with the suggestion, if it has one."""
        ...

    def feedback_history(self) -> list[tuple[Suggestion, Feedback]]:
        """Every verdict with the suggestion it judged, oldest first (the answer path's priors)."""
        ...

    def stale_tickets(self, waiting_before: datetime, limit: int, offset: int = 0) -> list[Ticket]:
        """Tickets whose customer has been waiting since before `waiting_before`, longest first."""
        ...

    def confirmed_tickets(self, confirmed_before: datetime, limit: int) -> list[Ticket]:
        """Open tickets whose customer confirmed a fix before `confirmed_before`, oldest confirmation first."""
        ...

    def messages_to_redact(self, resolved_before: datetime, limit: int) -> list[tuple[str, int, str]]:
        """(ticket, seq, text) of raw messages of tickets resolved before `resolved_before`."""
        ...

    def store_redacted(self, rows: Sequence[tuple[str, int, str]]) -> None:
        """Replace messages' text with its redacted form, marking them redacted."""
        ...

    def activity_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Messages by role and suggestions by status, counted in the store (for /metrics)."""
        ...


class LearningStore(Protocol):
    """Lessons (one row per version), the learning job queue and the diagnostic calls made for tickets."""

    def put_lesson(self, lesson: Lesson) -> None:
        """Store a new version of a lesson."""
        ...

    def link_lesson(self, lesson_id: str, version: int, skill: str | None, skill_version: int | None) -> None:
        """Record (in place) the skill a lesson version went into."""
        ...

    def lesson(self, lesson_id: str, version: int | None = None) -> Lesson | None:
        """A lesson's newest version, or the version asked for."""
        ...

    def lesson_versions(self, lesson_id: str) -> list[Lesson]:
        """Every version of a lesson, oldest first."""
        ...

    def lessons(self, status: str | None, ticket_id: str | None, limit: int, offset: int = 0) -> list[Lesson]:
        """Newest versions of lessons, most recently changed first."""
        ...

    def lessons_by_ticket(self, ticket_ids: Sequence[str]) -> dict[str, Lesson]:
        """The newest version of the lesson of each of these tickets that has one."""
        ...

    def claim_jobs(self, now: datetime, limit: int = 1) -> list[LearningJob]:
        """Mark the oldest queued jobs running (one more attempt each) and return them, oldest first."""
        ...

    def finish_job(self, job_id: str, status: str, result: LearnResult, now: datetime) -> None:
        """Record a job's outcome."""
        ...

    def requeue_running(self) -> int:
        """Put jobs a dead process left running back in the queue; how many."""
        ...

    def job(self, job_id: str) -> LearningJob | None:
        """One job."""
        ...

    def jobs(self, ticket_id: str | None, status: str | None, limit: int, offset: int = 0) -> list[LearningJob]:
        """Jobs, newest first."""
        ...

    def record_diagnostic(self, ticket_id: str, tool: str, arguments: str, ok: bool, at: datetime) -> None:
        """Remember that a diagnostic tool was called for a ticket (arguments already redacted)."""
        ...

    def diagnostics_of(self, ticket_id: str) -> list[tuple[str, str, bool]]:
        """(tool, arguments, ok) of the diagnostic calls made for a ticket, in order."""
        ...
