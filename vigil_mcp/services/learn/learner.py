"""Turn each resolved case into a searchable Q&A item and a skill change."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from vigil_mcp.config import Settings
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import KnowledgeService, item_id
from vigil_mcp.services.learn.extract import Extractor, Lesson, extract
from vigil_mcp.services.learn.skill_writer import SkillChange, SkillWriter, no_change
from vigil_mcp.services.skills.library import SkillLibrary
from vigil_mcp.services.tickets import ResolvedCase

log = logging.getLogger(__name__)

NO_SKILLS = no_change("skills are not learned here")


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning from one case did."""

    ticket_id: str
    lesson: Lesson | None
    knowledge_id: str | None
    changed: bool  # False when the same case had been learned before (nothing written)
    reason: str
    seconds: float
    skill: SkillChange = NO_SKILLS
    extract_seconds: float = 0.0
    skill_seconds: float = 0.0


def qa_source(ticket_id: str) -> str:
    """The knowledge source of the Q&A learned from a ticket."""
    return f"ticket:{ticket_id}"


class Learner:
    """The self-improvement routine: one generalized Q&A per resolved case, then its skill change."""

    def __init__(
        self, knowledge: KnowledgeService, *, extractor: Extractor = extract, skills: SkillWriter | None = None
    ) -> None:
        self.knowledge = knowledge
        self.extractor = extractor
        self.skills = skills
        self.history: list[Learned] = []

    def learn(self, case: ResolvedCase) -> Learned:
        """Extract the case's lesson, upsert it as a `qa` item, then fold it into the skills (idempotent)."""
        started = time.perf_counter()
        lesson = self.extractor(case.ticket.id, case.messages, case.resolution_seqs)
        extracted = time.perf_counter()
        if lesson is None:
            done = Learned(case.ticket.id, None, None, False, "no customer question with an analyst answer",
                           extracted - started, no_change("nothing learned"), extracted - started)  # fmt: skip
            self.history.append(done)
            return done
        source = qa_source(case.ticket.id)
        tag = case.ticket.id.split("/", 1)[0] if "/" in case.ticket.id else "ticket"
        doc = Document(source=source, title=lesson.title, chunks=[Chunk(lesson.title, "", lesson.body())], tags=(tag,))
        report = self.knowledge.add_documents([doc], kind="qa")
        changed = bool(report.added or report.updated or report.removed)
        skill_started = time.perf_counter()
        skill = self._skill_change(lesson)
        finished = time.perf_counter()
        done = Learned(
            case.ticket.id, lesson, item_id(source, "", 1), changed,
            "learned" if changed else "already learned", finished - started, skill,
            extracted - started, finished - skill_started,
        )  # fmt: skip
        self.history.append(done)
        log.info("ticket %s: %s (%s); skill: %s", case.ticket.id, done.reason, done.knowledge_id, skill.reason)
        return done

    def _skill_change(self, lesson: Lesson) -> SkillChange:
        if self.skills is None:
            return NO_SKILLS
        try:
            return self.skills.apply(lesson)
        except Exception as exc:  # the Q&A is stored either way; a skill bug must not lose it
            log.exception("ticket %s: writing the skill change failed", lesson.ticket_id)
            return no_change(f"skill change failed: {type(exc).__name__}: {exc}")


def build_learner(
    settings: Settings,
    knowledge: KnowledgeService,
    library: SkillLibrary,
    tool_names: Callable[[], Collection[str]] = lambda: (),
) -> Learner:
    """The learner the settings ask for: Anthropic extraction with a key (offline as fallback), skills in git."""
    extractor: Extractor = extract
    if settings.engine == "anthropic" and settings.anthropic_api_key:
        from vigil_mcp.services.learn.anthropic_extract import AnthropicExtractor

        extractor = AnthropicExtractor(
            api_key=settings.anthropic_api_key,
            model=settings.anthropic_model,
            timeout=settings.llm_timeout,
            fallback=extract,
        )
    writer = SkillWriter(
        library,
        knowledge,
        min_cases=settings.skill_min_cases,
        branch=settings.skills_branch,
        author=settings.skills_git_author,
        commit=settings.skills_commit,
        tool_names=tool_names,
    )
    return Learner(knowledge, extractor=extractor, skills=writer)
