"""One resolved case -> a lesson row -> its Q&A item and a skill change, or the reason nothing was learned."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from vigil_mcp.config import Settings
from vigil_mcp.models import LearnResult, Lesson, Message
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.services.learn.extract import Extraction, Extractor, NoLesson, extract
from vigil_mcp.services.learn.hostile import hostile_turns
from vigil_mcp.services.learn.lessons import LessonBook
from vigil_mcp.services.learn.skill_writer import SkillChange, SkillWriter, no_change
from vigil_mcp.services.skills.library import SkillLibrary
from vigil_mcp.services.tickets import ResolvedCase
from vigil_mcp.storage.base import LearningStore

log = logging.getLogger(__name__)

NO_SKILLS = no_change("skills are not learned here")
Flagger = Callable[[str, Sequence[str]], object]


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning from one case did, with timings (the bench reads them)."""

    ticket_id: str
    result: LearnResult
    lesson: Lesson | None = None
    skill: SkillChange = NO_SKILLS
    seconds: float = 0.0
    extract_seconds: float = 0.0
    skill_seconds: float = 0.0


def evidence_refs(messages: Sequence[Message], seqs: Sequence[int]) -> list[str]:
    """Message ids (the sender's, else #seq) of the given messages, in order."""
    wanted = set(seqs)
    return [m.message_id or f"#{m.seq}" for m in messages if m.seq in wanted]


@dataclass(slots=True)
class Learner:
    """The self-improvement routine, run by the learning worker for each resolved case (idempotent)."""

    lessons: LessonBook
    store: LearningStore
    extractor: Extractor = extract
    skills: SkillWriter | None = None
    flag: Flagger | None = None
    history: list[Learned] = field(default_factory=list[Learned])

    def learn(self, case: ResolvedCase) -> Learned:
        """Learn from one resolved case; learning the same case again writes nothing new."""
        started = time.perf_counter()
        ticket_id = case.ticket.id
        flags = hostile_turns(case.messages)
        if flags:
            return self._refuse(case, flags, started)
        found = self.extractor(case.messages, case.resolution_seqs)
        extracted = time.perf_counter()
        if isinstance(found, NoLesson):
            old = self.lessons.by_tickets([ticket_id]).get(ticket_id)
            reason = f"nothing learned: {found.reason}"
            if old is not None:
                reason += f" (lesson {old.id} v{old.version} from an earlier resolution stays as it is)"
            done = Learned(ticket_id, LearnResult(learned=False, reason=reason), None, no_change(reason),
                           extracted - started, extracted - started)  # fmt: skip
            return self._done(done)
        seqs = [s for s in (found.fix_seqs + ((found.confirmation_seq,) if found.confirmation_seq else ())) if s]
        calls = [
            f"{tool}({args})" + ("" if ok else " failed") for tool, args, ok in self.store.diagnostics_of(ticket_id)
        ]
        lesson, changed = self.lessons.record(
            ticket_id, found, evidence_refs(case.messages, seqs), calls, product=case.ticket.product
        )
        skill_started = time.perf_counter()
        skill = self._skill_change(lesson) if lesson.status == "active" else no_change("the lesson is retired")
        if skill.name is not None:
            lesson = self.lessons.link_skill(lesson, skill.name, skill.version)
        finished = time.perf_counter()
        if lesson.status != "active":
            reason = f"lesson {lesson.id} is retired: its Q&A stays out of the index until an analyst restores it"
        elif changed:
            reason = f"learned lesson {lesson.id} v{lesson.version}"
        else:
            reason = f"already learned: lesson {lesson.id} v{lesson.version} is unchanged"
        result = LearnResult(
            learned=lesson.status == "active", reason=reason, lesson_id=lesson.id, lesson_version=lesson.version,
            knowledge_id=lesson.knowledge_id if lesson.status == "active" else None, skill=lesson.skill,
            skill_version=lesson.skill_version, skill_change=skill.kind, skill_reason=skill.reason, commit=skill.commit,
        )  # fmt: skip
        done = Learned(
            ticket_id, result, lesson, skill, finished - started, extracted - started, finished - skill_started
        )
        return self._done(done)

    def _refuse(self, case: ResolvedCase, flags: list[str], started: float) -> Learned:
        ticket_id = case.ticket.id
        if self.flag is not None:
            self.flag(ticket_id, flags)
        old = self.lessons.by_tickets([ticket_id]).get(ticket_id)
        if old is not None and old.status == "active":
            self.lessons.retire(old.id, by="vigil", reason="the ticket now carries instruction-like content")
        reason = f"not learned: instruction-like content ({flags[0]}); the ticket is flagged for review"
        result = LearnResult(learned=False, reason=reason, flags=flags)
        return self._done(Learned(ticket_id, result, None, no_change(reason), time.perf_counter() - started))

    def _done(self, done: Learned) -> Learned:
        self.history.append(done)
        del self.history[:-1000]  # the store keeps every result; this is for the process's own readers
        log.info("ticket %s: %s", done.ticket_id, done.result.reason)
        return done

    def _skill_change(self, lesson: Lesson) -> SkillChange:
        if self.skills is None:
            return NO_SKILLS
        try:
            return self.skills.apply(lesson)
        except Exception as exc:  # the lesson and its Q&A are stored either way; a skill bug must not lose them
            log.exception("ticket %s: writing the skill change failed", lesson.ticket_id)
            return no_change(f"skill change failed: {type(exc).__name__}")


def _with_floor(floor: float) -> Extractor:
    """The offline extractor with the keep-model floor the settings give (lesson_floor) instead of the fitted one."""

    def extract_with_floor(messages: Sequence[Message], resolution_seqs: Sequence[int] = ()) -> Extraction | NoLesson:
        return extract(messages, resolution_seqs, min_confidence=floor)

    return extract_with_floor


def build_learner(
    settings: Settings,
    knowledge: KnowledgeService,
    library: SkillLibrary,
    store: LearningStore,
    tool_names: Callable[[], Collection[str]] = lambda: (),
    flag: Flagger | None = None,
) -> Learner:
    """The learner the settings ask for: Anthropic extraction with a key (offline as fallback), skills in git."""
    extractor: Extractor = extract if settings.lesson_floor is None else _with_floor(settings.lesson_floor)
    offline = extractor
    if settings.engine == "anthropic" and settings.anthropic_api_key:
        from vigil_mcp.services.learn.anthropic_extract import AnthropicExtractor

        extractor = AnthropicExtractor(
            api_key=settings.anthropic_api_key,
            model=settings.anthropic_model,
            timeout=settings.llm_timeout,
            fallback=offline,
        )
    lessons = LessonBook(store, knowledge)
    writer = SkillWriter(
        library,
        knowledge,
        lessons,
        min_cases=settings.skill_min_cases,
        branch=settings.skills_branch,
        author=settings.skills_git_author,
        commit=settings.skills_commit,
        tool_names=tool_names,
        home=settings.home,
        repo=settings.skills_repo,
    )
    return Learner(lessons, store, extractor=extractor, skills=writer, flag=flag)
