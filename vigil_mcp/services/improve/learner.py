"""Turn each resolved case into a searchable Q&A item (and, via skills, into skill changes)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from vigil_mcp.services.chunking import Chunk
from vigil_mcp.services.improve.extract import Lesson, extract
from vigil_mcp.services.ingest import Document
from vigil_mcp.services.knowledge import KnowledgeService, item_id
from vigil_mcp.services.tickets import ResolvedCase

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning from one case did."""

    ticket_id: str
    lesson: Lesson | None
    knowledge_id: str | None
    changed: bool  # False when the same case had been learned before (nothing written)
    reason: str
    seconds: float


def qa_source(ticket_id: str) -> str:
    """The knowledge source of the Q&A learned from a ticket."""
    return f"ticket:{ticket_id}"


class Learner:
    """The self-improvement routine's knowledge half: one generalized Q&A per resolved case."""

    def __init__(self, knowledge: KnowledgeService) -> None:
        self.knowledge = knowledge
        self.history: list[Learned] = []

    def learn(self, case: ResolvedCase) -> Learned:
        """Extract the case's lesson and upsert it as a `qa` item (idempotent per ticket)."""
        started = time.perf_counter()
        lesson = extract(case.ticket.id, case.messages, case.resolution_seqs)
        if lesson is None:
            done = Learned(case.ticket.id, None, None, False, "no customer question with an analyst answer",
                           time.perf_counter() - started)  # fmt: skip
            self.history.append(done)
            return done
        source = qa_source(case.ticket.id)
        tag = case.ticket.id.split("/", 1)[0] if "/" in case.ticket.id else "ticket"
        doc = Document(source=source, title=lesson.title, chunks=[Chunk(lesson.title, "", lesson.body())], tags=(tag,))
        report = self.knowledge.add_documents([doc], kind="qa")
        changed = bool(report.added or report.updated or report.removed)
        done = Learned(
            case.ticket.id, lesson, item_id(source, "", 1), changed,
            "learned" if changed else "already learned", time.perf_counter() - started,
        )  # fmt: skip
        self.history.append(done)
        log.info("ticket %s: %s (%s)", case.ticket.id, done.reason, done.knowledge_id)
        return done
