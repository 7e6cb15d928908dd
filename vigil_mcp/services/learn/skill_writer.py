"""Each learned case becomes a skill change: a new version of a similar skill, or, once enough similar
resolved cases have no skill, a new draft. Never one skill per ticket; the same case twice changes nothing.

The decision, for the lesson of a resolved ticket T:
1. T is already in some skill's `metadata.source-tickets`: nothing to do.
2. A skill in use (not retired) is similar: its description or one of its When it applies / Symptoms
   bullets is the same problem as T's (`similarity.Sameness.same_problem`). Fold T into it.
3. Otherwise look for earlier similar cases among the learned Q&A items (kind `qa`, kept in the store,
   so the pending ones survive a restart). If one of them is already in a skill in use, fold T into
   that skill; if at least `min_cases` similar cases (T included) have no skill, write a new draft
   from them; else T waits.

A skill is written only over text vigil itself wrote last (`metadata.vigil-digest`) and, when the
checked-out branch gets the commit, only when git shows no uncommitted change of its SKILL.md; else
vigil writes its version beside it, as the draft `<name>-vigil`. See docs/learning.md.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from vigil_mcp.errors import VigilError
from vigil_mcp.models import Lesson
from vigil_mcp.services.knowledge.service import KnowledgeService, index_text
from vigil_mcp.services.learn.lessons import QA_SOURCE, LessonBook, qa_passage, qa_title
from vigil_mcp.services.learn.skill_target import DEFAULT_AUTHOR, SkillTarget
from vigil_mcp.services.learn.skill_text import (
    Composed,
    candidate_lines,
    derive_name,
    fold,
    new_skill,
    sibling_name,
    ticket_ref,
)
from vigil_mcp.services.similarity import Idf, Problem, Sameness, problem, smoothed_idf
from vigil_mcp.services.skills.library import Clock, SkillLibrary
from vigil_mcp.services.skills.model import GeneratedBy, Skill, Status, split_tickets
from vigil_mcp.services.text import tokenize

log = logging.getLogger(__name__)

CANDIDATES = 20  # learned Q&A items (BM25 over the question) compared with a new case
MAX_CLUSTER = 8  # cases a new draft is written from
# Problem statements (lessons', skills' lines) whose embeddings the writer keeps: each is embedded once,
# not again for every later case it is compared with (the embedder's own cache is shared with the
# answer path, which pushes them out between two resolutions). 1.5 KB each.
PROBLEM_VECTORS = 16384

ChangeKind = Literal["new-draft", "new-version", "none"]


@dataclass(frozen=True, slots=True)
class SkillChange:
    """What learning one case did to the skills."""

    kind: ChangeKind
    reason: str
    name: str | None = None
    version: int | None = None
    tickets: tuple[str, ...] = ()  # the source tickets of the version written
    changes: tuple[str, ...] = ()  # what the version changed (symptom variant, steps, source ticket, ...)
    commit: str | None = None
    ref: str | None = None  # the git ref the commit is on ("HEAD" or refs/heads/<review branch>)
    path: str | None = None  # the SKILL.md written: a file, or <branch>:<path> on a review branch


def no_change(reason: str) -> SkillChange:
    """A SkillChange that wrote nothing, and why."""
    return SkillChange("none", reason)


@dataclass(slots=True)
class _Lines:
    key: int
    lines: list[Problem] = field(default_factory=list[Problem])


class SkillWriter:
    """Decides and writes the skill change for each learned case; one case at a time."""

    def __init__(
        self,
        library: SkillLibrary,
        knowledge: KnowledgeService,
        lessons: LessonBook,
        *,
        min_cases: int = 2,
        branch: str | None = None,
        author: str = DEFAULT_AUTHOR,
        commit: bool | None = None,
        tool_names: Callable[[], Collection[str]] = lambda: (),
        clock: Clock | None = None,
        home: Path | None = None,
        repo: Path | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.lessons = lessons
        self.min_cases = max(2, min_cases)
        self.tool_names = tool_names
        self.target = SkillTarget(
            library, knowledge, branch=branch, author=author, commit=commit, clock=clock, home=home, repo=repo
        )
        self._lock = threading.Lock()
        self._line_cache: dict[str, _Lines] = {}
        self._vectors: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()
        self.embedded = 0  # problem statements embedded (a test counts them)

    # ---- the decision --------------------------------------------------------------------
    def apply(self, lesson: Lesson) -> SkillChange:
        """Fold the case into a skill, add it to a new draft, or leave it pending; never raises VigilError."""
        with self._lock:
            try:
                return self._apply(lesson)
            except VigilError as exc:
                log.warning("ticket %s: skill not written: %s", lesson.ticket_id, exc)
                return no_change(f"skill not written: {exc}")

    def _apply(self, lesson: Lesson) -> SkillChange:
        view = self.target.view()
        ref = ticket_ref(lesson.ticket_id)
        owners = _owners(view)
        if ref in owners:
            return no_change(f"ticket {ref} is already in skill {owners[ref]}")
        # The knowledge service loads the model after the writer is built; BM25-only mode has none.
        same = Sameness(self.knowledge.embedder)
        case = self._embedded(_problem(lesson), same)
        match = self._best_skill(view, case, same)
        if match is not None:
            return self._fold(view[match], lesson, view, f"similar to skill {match}")
        similar = self._similar_cases(lesson, case, same)
        in_use = [owners[t] for t in (ticket_ref(c.ticket_id) for c in similar) if t in owners]
        in_use = [name for name in in_use if view[name].status != "retired"]
        if in_use:
            name = Counter(in_use).most_common(1)[0][0]
            return self._fold(view[name], lesson, view, f"similar to a case in skill {name}")
        free = [c for c in similar if ticket_ref(c.ticket_id) not in owners][: MAX_CLUSTER - 1]
        if len(free) + 1 < self.min_cases:
            return no_change(
                f"pending: {len(free) + 1} of {self.min_cases} similar resolved cases needed for a new skill"
            )
        return self._new_draft([lesson, *free], view)

    def _embedded(self, found: Problem, same: Sameness) -> Problem:
        """The problem with its statement's embedding, computed once per statement (None without a model)."""
        if same.embedder is None or found.vector is not None or not found.terms:
            return found
        key = hashlib.sha1(found.text.encode()).digest()
        vector = self._vectors.get(key)
        if vector is None:
            vector = same.embedder.embed_one(found.text)
            self.embedded += 1
            self._vectors[key] = vector
            while len(self._vectors) > PROBLEM_VECTORS:
                self._vectors.popitem(last=False)
        else:
            self._vectors.move_to_end(key)
        return replace(found, vector=vector)

    def _idf(self, term: str) -> float:
        index = self.knowledge.index
        return smoothed_idf(index.n_docs, index.df(term))

    def _best_skill(self, view: dict[str, Skill], case: Problem, same: Sameness) -> str | None:
        if not case.terms:
            return None
        idf: Idf = self._idf
        best: tuple[float, str] | None = None
        for name, skill in view.items():
            if skill.status == "retired":
                continue
            for line in self._lines(skill, same):
                score = same.same_problem(case, line, idf)
                if score is not None and (best is None or score > best[0]):
                    best = (score, name)
        return best[1] if best else None

    def _lines(self, skill: Skill, same: Sameness) -> list[Problem]:
        key = hash((skill.text, same.embedder is not None))
        cached = self._line_cache.get(skill.name)
        if cached is None or cached.key != key:
            lines = candidate_lines(skill.front_matter.description, skill.body)
            cached = _Lines(key, [self._embedded(p, same) for p in (problem(line) for line in lines) if p.terms])
            self._line_cache[skill.name] = cached
        return cached.lines

    def _similar_cases(self, lesson: Lesson, case: Problem, same: Sameness) -> list[Lesson]:
        """Earlier active lessons with the same problem, most similar first."""
        if not case.terms:
            return []
        tickets: list[str] = []
        # Lessons of another product are never the same case (the ticket's product scopes the search).
        # With a model the candidates are ranked by meaning too, so another wording of the problem is found.
        query = qa_passage(lesson)
        dense = same.embedder is not None
        for found in self.knowledge.retrieve(query, CANDIDATES, kind="qa", dense=dense, product=lesson.product):
            rec = found.record
            ticket = rec.source.removeprefix(QA_SOURCE)
            if rec.source.startswith(QA_SOURCE) and ticket != lesson.ticket_id:
                tickets.append(ticket)
        idf: Idf = self._idf
        scored: list[tuple[float, Lesson]] = []
        for other in self.lessons.by_tickets(tickets).values():
            same_product = None in (lesson.product, other.product) or lesson.product == other.product
            if other.status != "active" or not same_product:
                continue
            score = same.same_problem(case, self._embedded(_problem(other), same), idf)
            if score is not None:
                scored.append((score, other))
        scored.sort(key=lambda pair: (-pair[0], pair[1].ticket_id))
        return [other for _, other in scored]

    # ---- the changes -----------------------------------------------------------------------
    def _new_draft(self, lessons: list[Lesson], view: dict[str, Skill]) -> SkillChange:
        newest = lessons[0]
        # A word of the title that only these cases' own Q&A items hold (a typo, a nickname) names nothing.
        own = Counter(
            t for lesson in lessons for t in set(tokenize(index_text(qa_title(lesson), "", qa_passage(lesson))))
        )
        index = self.knowledge.index
        name = derive_name(
            lessons, self._idf, lambda n: self.target.taken(n, view), known=lambda t: index.df(t) > own[t]
        )
        composed = new_skill(name, lessons)
        tickets = [ticket_ref(lesson.ticket_id) for lesson in lessons]
        message = (
            f"skills: add draft {name} learned from {len(tickets)} resolved tickets\n\n"
            f"Tickets: {', '.join(tickets)}\nGenerated by: {newest.generated_by}\n"
        )
        why = f"{len(lessons)} similar resolved cases had no skill"
        return self._write(name, composed, "draft", _generator(newest), tickets, "new-draft", why, message)

    def _fold(self, skill: Skill, lesson: Lesson, view: dict[str, Skill], why: str) -> SkillChange:
        base = self.target.base(skill.name, skill)
        if base is None:  # deleted since the library loaded it: not brought back
            return no_change(f"skill {skill.name} has no SKILL.md in {self.target.library.root} any more")
        ref = ticket_ref(lesson.ticket_id)
        protected = self.target.protected(base)
        if protected is not None:
            return self._beside(base, lesson, view, protected)
        meta = base.front_matter.metadata
        author: GeneratedBy = "human" if meta.get("generated-by", "human") == "human" else _generator(lesson)
        composed = fold(base.front_matter.description, base.body, lesson, add_answer=author != "human")
        tickets = [*split_tickets(meta.get("source-tickets", "")), ref]
        version = base.version + 1
        message = (
            f"skills: {skill.name} v{version} from ticket {ref}\n\n"
            f"Changes: {', '.join(composed.changes)}.\nTickets: {ref}\n"
        )
        return self._write(skill.name, composed, base.status, author, tickets, "new-version", why, message, base)

    def _beside(self, base: Skill, lesson: Lesson, view: dict[str, Skill], protected: str) -> SkillChange:
        """Write the new version as a draft beside a skill a person edited (or skip, saying why)."""
        name = sibling_name(base.name)
        if name is None:
            log.warning("skill %s %s; ticket %s not written into it", base.name, protected, lesson.ticket_id)
            return no_change(f"skill {base.name} {protected}; nothing written")
        if name in view:
            return self._fold(view[name], lesson, view, f"{base.name} {protected}")
        ref = ticket_ref(lesson.ticket_id)
        note = (
            f"vigil's proposed update of `{base.name}`, written beside it because {base.name} {protected}. "
            f"Merge what helps into {base.name} by hand, then retire this draft."
        )
        composed = fold(base.front_matter.description, base.body, lesson, add_answer=True, note=note)
        tickets = [*split_tickets(base.front_matter.metadata.get("source-tickets", "")), ref]
        message = (
            f"skills: add draft {name} beside {base.name} from ticket {ref}\n\n"
            f"{base.name} {protected}, so vigil does not write over it.\n"
            f"Changes: {', '.join(composed.changes)}.\nTickets: {ref}\n"
        )
        log.warning("skill %s %s; writing ticket %s into %s instead", base.name, protected, ref, name)
        why = f"{base.name} {protected}: written beside it"
        return self._write(name, composed, "draft", _generator(lesson), tickets, "new-draft", why, message)

    def _write(
        self,
        name: str,
        composed: Composed,
        status: Status,
        generated_by: GeneratedBy,
        tickets: Sequence[str],
        kind: ChangeKind,
        why: str,
        message: str,
        base: Skill | None = None,
    ) -> SkillChange:
        tickets = list(dict.fromkeys(tickets))
        written = self.target.write(
            name, description=composed.description, body=composed.body, status=status, generated_by=generated_by,
            tickets=tickets, message=message, base=base,
        )  # fmt: skip
        skill = written.skill
        log.info("skill %s v%d written (%s): %s", name, skill.version, kind, ", ".join(composed.changes))
        return SkillChange(
            kind, f"{why}; {written.problem}" if written.problem else why, name, skill.version, tuple(tickets),
            composed.changes, written.commit, written.ref, written.path,
        )  # fmt: skip


def _problem(lesson: Lesson) -> Problem:
    """A lesson's problem: its statement, with the terms of its Q&A passage (the problem and the symptoms)."""
    return problem(lesson.problem, qa_passage(lesson))


def _owners(view: dict[str, Skill]) -> dict[str, str]:
    """Ticket -> the skill whose source-tickets hold it (retired skills count: their cases are taken)."""
    owners: dict[str, str] = {}
    for name in sorted(view):
        for ticket in split_tickets(view[name].front_matter.metadata.get("source-tickets", "")):
            owners.setdefault(ticket, name)
    return owners


def _generator(lesson: Lesson) -> GeneratedBy:
    return "vigil-anthropic" if lesson.generated_by == "vigil-anthropic" else "vigil-offline"
