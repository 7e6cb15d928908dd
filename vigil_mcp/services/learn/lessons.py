"""Lessons as data: one row per version in the store, and the Q&A knowledge item rendered from the newest one.

The lesson-lifecycle API the answer path calls from suggestion feedback lives here:

- `LessonBook.retire(ref, by=..., reason=..., suggestion_id=...)`: the lesson's Q&A leaves the index
  until `restore`; relearning the ticket keeps it retired.
- `LessonBook.restore(ref, by=...)`: the Q&A is searchable again.
- `LessonBook.revise(ref, fix, by=..., suggestion_id=..., note=...)`: a new version whose fix is the
  analyst's text (redacted), with who, when and from which suggestion; the Q&A is re-rendered.

`ref` is a lesson id (ls-...), the id of its Q&A knowledge item (kb-..., as cited by suggestions) or
the ticket id. Every change is a new version; nothing is overwritten.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.models import Lesson, LessonChange, LessonStatus
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import KnowledgeService, item_id
from vigil_mcp.services.learn.extract import MAX_FIX_CHARS, Extraction, clip, scrub
from vigil_mcp.storage.base import LearningStore

log = logging.getLogger(__name__)

QA_SOURCE = "ticket:"
LESSON_TAG = "lesson:"
MAX_NOTE_CHARS = 500
LIST_LIMIT = 200
CACHE_TICKETS = 20_000
# The fields a relearning compares: when none changed, no new version is written.
_CONTENT = (
    "problem", "symptoms", "environment", "tried", "fix", "fix_seqs", "confirmation_seq", "diagnostics", "product",
)  # fmt: skip

Clock = Callable[[], datetime]


def qa_source(ticket_id: str) -> str:
    """The knowledge source of the Q&A learned from a ticket."""
    return f"{QA_SOURCE}{ticket_id}"


def lesson_id(ticket_id: str) -> str:
    """The stable lesson id of a ticket."""
    return "ls-" + hashlib.sha1(ticket_id.encode()).hexdigest()[:16]


def qa_id(ticket_id: str) -> str:
    """The id of the Q&A knowledge item rendered from a ticket's lesson."""
    return item_id(qa_source(ticket_id), "", 1)


def qa_body(lesson: Lesson) -> str:
    """The Q&A item's Markdown body, for people and for the answer path (question, answer, then context)."""
    parts = [f"Question: {lesson.problem}", "", "Answer:", lesson.fix]
    if lesson.environment:
        parts += ["", "Environment: " + ", ".join(lesson.environment)]
    if lesson.tried:
        parts += ["", "Steps tried:"] + [f"- {step}" for step in lesson.tried]
    return "\n".join(parts)


def qa_passage(lesson: Lesson) -> str:
    """What retrieval matches the Q&A on: the normalised problem and how customers described it."""
    seen: dict[str, str] = {}
    for text in [lesson.problem, *lesson.symptoms]:
        seen.setdefault(" ".join(text.casefold().split()), text)  # the same words in other case are one line
    return "\n".join(seen.values())


def qa_title(lesson: Lesson) -> str:
    """A one-line title: the problem's first sentence."""
    first = lesson.problem.split(". ", 1)[0].strip()
    return clip(first or lesson.problem, 120)


class LessonBook:
    """The lessons in the store and their Q&A items; one writer at a time."""

    def __init__(self, store: LearningStore, knowledge: KnowledgeService, clock: Clock | None = None) -> None:
        self.store = store
        self.knowledge = knowledge
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        # ticket id -> its newest lesson (None: known to have none); this process is the store's one writer.
        self._newest: OrderedDict[str, Lesson | None] = OrderedDict()

    def _put(self, lesson: Lesson) -> None:
        self.store.put_lesson(lesson)
        self._remember(lesson.ticket_id, lesson)

    def _remember(self, ticket_id: str, lesson: Lesson | None) -> None:
        self._newest[ticket_id] = lesson
        self._newest.move_to_end(ticket_id)
        while len(self._newest) > CACHE_TICKETS:
            self._newest.popitem(last=False)

    def _of_ticket(self, ticket_id: str) -> Lesson | None:
        if ticket_id in self._newest:
            return self._newest[ticket_id]
        found = self.store.lesson(lesson_id(ticket_id))
        self._remember(ticket_id, found)
        return found

    # ---- learning ----------------------------------------------------------------------------
    def record(
        self,
        ticket_id: str,
        found: Extraction,
        evidence: Sequence[str],
        diagnostics: Sequence[str] = (),
        product: str | None = None,
    ) -> tuple[Lesson, bool]:
        """Store what a case taught as the lesson's next version; (lesson, False) when nothing changed.

        `product` is the ticket's: the lesson's Q&A serves only that product's tickets (None: every ticket).
        """
        with self._lock:
            lid = lesson_id(ticket_id)
            now = self._clock()
            old = self._of_ticket(ticket_id)
            fix = found.fix
            if (
                old is not None
                and old.version > 1
                and any(v.change == "revised" for v in self.store.lesson_versions(lid))
            ):
                fix = old.fix  # an analyst's revision wins over what vigil reads in the dialogue again
            new = Lesson(
                id=lid, version=(old.version + 1) if old else 1, ticket_id=ticket_id,
                status=old.status if old else "active", problem=found.problem, symptoms=list(found.symptoms),
                environment=list(found.environment), tried=list(found.tried), fix=fix, fix_seqs=list(found.fix_seqs),
                confirmation_seq=found.confirmation_seq, confirmed_by=found.confirmed_by, evidence=list(evidence),
                diagnostics=list(diagnostics), confidence=found.confidence, generated_by=found.generated_by,
                knowledge_id=qa_id(ticket_id), skill=old.skill if old else None,
                skill_version=old.skill_version if old else None, change="relearned" if old else "learned",
                changed_by="vigil", product=product, created_at=old.created_at if old else now, updated_at=now,
            )  # fmt: skip
            if old is not None and all(getattr(old, f) == getattr(new, f) for f in _CONTENT):
                self.publish(old)  # a crash may have come between the lesson and its Q&A
                return old, False
            self._put(new)
            self.publish(new)
            return new, True

    def publish(self, lesson: Lesson) -> str | None:
        """Make the lesson's Q&A match its status: indexed when active, gone when retired; its id or None."""
        source = qa_source(lesson.ticket_id)
        if lesson.status != "active":
            self.knowledge.add_documents([Document(source=source, title=lesson.problem, chunks=[])], kind="qa")
            return None
        tag = lesson.ticket_id.split("/", 1)[0] if "/" in lesson.ticket_id else "ticket"
        title = qa_title(lesson)
        chunk = Chunk(title, "", qa_body(lesson), passages=(qa_passage(lesson),))
        doc = Document(
            source=source, title=title, chunks=[chunk], tags=(tag, f"{LESSON_TAG}{lesson.id}"), product=lesson.product
        )
        self.knowledge.add_documents([doc], kind="qa")
        return qa_id(lesson.ticket_id)

    def link_skill(self, lesson: Lesson, skill: str | None, version: int | None) -> Lesson:
        """Record the skill (and its version) a lesson went into."""
        if (lesson.skill, lesson.skill_version) == (skill, version):
            return lesson
        self.store.link_lesson(lesson.id, lesson.version, skill, version)
        linked = lesson.model_copy(update={"skill": skill, "skill_version": version})
        self._remember(lesson.ticket_id, linked)
        return linked

    # ---- reading -----------------------------------------------------------------------------
    def get(self, ref: str, version: int | None = None) -> Lesson:
        """A lesson by its id, its Q&A item's id or its ticket id; NotFoundError naming what to try."""
        ref = ref.strip()
        if not ref:
            raise InputError("give a lesson id (ls-...), a learned Q&A id (kb-...) or a ticket id")
        lid = self._lesson_ref(ref)
        found = self.store.lesson(lid, version) if lid else None
        if found is None:
            if version is not None and lid and self.store.lesson(lid) is not None:
                raise NotFoundError(f"lesson {lid} has no version {version}")
            raise NotFoundError(f"no lesson {ref!r}; list_lessons shows the lessons vigil learned")
        return found

    def _lesson_ref(self, ref: str) -> str | None:
        if ref.startswith("ls-"):
            return ref
        if ref.startswith("kb-"):
            try:
                item = self.knowledge.get(ref)
            except NotFoundError:
                return None
            tags = [t for t in item.tags if t.startswith(LESSON_TAG)]
            if tags:
                return tags[0].removeprefix(LESSON_TAG)
            if item.source.startswith(QA_SOURCE):
                return lesson_id(item.source.removeprefix(QA_SOURCE))
            return None
        return lesson_id(ref)

    def for_knowledge_item(self, knowledge_id: str) -> Lesson | None:
        """The lesson a learned Q&A item was rendered from, or None for any other item."""
        try:
            return self.get(knowledge_id) if knowledge_id.startswith("kb-") else None
        except NotFoundError:
            return None

    def list(
        self, status: LessonStatus | None = None, ticket_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Lesson]:
        """The newest version of each lesson, most recently changed first."""
        if status is not None and status not in ("active", "retired"):
            raise InputError("status must be active or retired")
        return self.store.lessons(status, ticket_id, max(1, min(limit, LIST_LIMIT + 1)), max(0, offset))

    def versions(self, ref: str) -> list[Lesson]:
        """Every version of a lesson, oldest first."""
        return self.store.lesson_versions(self.get(ref).id)

    def by_tickets(self, ticket_ids: Sequence[str]) -> dict[str, Lesson]:
        """The newest lesson of each of these tickets that has one."""
        with self._lock:
            missing = [t for t in dict.fromkeys(ticket_ids) if t not in self._newest]
            if missing:
                found = self.store.lessons_by_ticket(missing)
                for ticket in missing:
                    self._remember(ticket, found.get(ticket))
            return {t: lesson for t in ticket_ids if (lesson := self._newest.get(t)) is not None}

    # ---- the lifecycle API (suggestion feedback and analysts) --------------------------------
    def retire(self, ref: str, *, by: str, reason: str | None = None, suggestion_id: str | None = None) -> Lesson:
        """Take a lesson out of use: its Q&A leaves the index until `restore`. Retiring twice changes nothing."""
        return self._change(ref, "retired", "retired", by, reason, suggestion_id)

    def restore(self, ref: str, *, by: str, note: str | None = None) -> Lesson:
        """Put a retired lesson back in use: its Q&A is searchable again."""
        return self._change(ref, "active", "restored", by, note, None)

    def revise(
        self, ref: str, fix: str, *, by: str, suggestion_id: str | None = None, note: str | None = None
    ) -> Lesson:
        """A new version whose fix is `fix` (an analyst's edited answer, redacted), with provenance; re-rendered."""
        text = clip(scrub(fix, ()), MAX_FIX_CHARS) if fix.strip() else ""
        if len(text) < 8:
            raise InputError("the revised fix is empty or too short: give the answer as the analyst would send it")
        with self._lock:
            old = self.get(ref)
            if old.fix == text:
                return old
            new = self._next(old, change="revised", by=by, note=note, suggestion_id=suggestion_id, fix=text)
            self._put(new)
            self.publish(new)
            log.info("lesson %s v%d revised by %s", new.id, new.version, new.changed_by)
            return new

    def _change(
        self,
        ref: str,
        status: LessonStatus,
        change: LessonChange,
        by: str,
        note: str | None,
        suggestion_id: str | None,
    ) -> Lesson:
        with self._lock:
            old = self.get(ref)
            if old.status == status:
                return old
            new = self._next(old, change=change, by=by, note=note, suggestion_id=suggestion_id, status=status)
            self._put(new)
            self.publish(new)
            log.info("lesson %s v%d %s by %s", new.id, new.version, change, new.changed_by)
            return new

    def _next(
        self,
        old: Lesson,
        *,
        change: LessonChange,
        by: str,
        note: str | None,
        suggestion_id: str | None,
        **fields: object,
    ) -> Lesson:
        who = scrub(by, ())[:100].strip() or "analyst"
        why = clip(scrub(note, ()), MAX_NOTE_CHARS) if note and note.strip() else None
        update: dict[str, object] = {
            "version": old.version + 1, "change": change, "changed_by": who, "note": why,
            "suggestion_id": suggestion_id.strip()[:100] if suggestion_id else None, "updated_at": self._clock(),
            **fields,
        }  # fmt: skip
        return old.model_copy(update=update)
