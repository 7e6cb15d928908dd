"""Decide, for one customer message, whether vigil speaks, and draft what it says.

Silence is the default. vigil speaks only on a question or request for help that no analyst has
answered yet, when what it retrieved covers the question well enough (a calibrated confidence),
the engine agrees, and the draft is new in this ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil_mcp.models import Message
from vigil_mcp.services.answer.engine.base import Draft, DraftRequest, Engine, Evidence
from vigil_mcp.services.answer.engine.scoring import Features, confidence, features, informative_count, min_idf
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.knowledge.service import KnowledgeService, index_text
from vigil_mcp.services.redact import redact
from vigil_mcp.services.text import GENERIC_TERMS, content_terms, jaccard, token_f1, tokenize
from vigil_mcp.storage.base import DocRecord

EVIDENCE_LIMIT = 5
EVIDENCE_CHARS = 4000
TERM_CACHE = 20_000
CONTEXT_TURNS = 12
SAME_QUESTION = 0.5  # Jaccard of terms above which two questions are the same question
SAME_ANSWER = 0.5  # token F1 above which a draft repeats an earlier answer or suggestion
_SKILL_SOURCE = re.compile(r"^skill://([a-z0-9-]+)/")
_QA_QUESTION = re.compile(r"(?s)^\s*Question:\s*(.*?)\s*(?:\n\s*Answer:|\Z)")
MIN_OWN_TERMS = 3  # informative, non-generic terms a question needs to be answerable on its own


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to speak, why, and the draft when speaking."""

    speak: bool
    reason: str
    draft: Draft | None = None
    skills: tuple[str, ...] = ()


def qa_question(body: str) -> str:
    """The question part of a learned Q&A body ("Question: ... Answer: ...")."""
    match = _QA_QUESTION.search(body)
    return match.group(1) if match else body


def _already_answered(history: Sequence[Message], question: set[str]) -> bool:
    """An earlier customer question like this one got an analyst reply after it."""
    for i, msg in enumerate(history):
        if msg.role != "customer" or jaccard(content_terms(msg.text), question) < SAME_QUESTION:
            continue
        if any(later.role == "analyst" for later in history[i + 1 :]):
            return True
    return False


class ProactiveService:
    """Runs the decision for a customer message against knowledge and an engine."""

    def __init__(self, knowledge: KnowledgeService, engine: Engine, *, floor: float = 0.2) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.floor = floor  # below this retrieval confidence no engine is even asked
        # Sees every scored question (calibration and evaluation read features through it).
        self._terms: dict[str, tuple[DocRecord, set[str], set[str]]] = {}
        self.observer: Callable[[Message, list[tuple[float, Evidence, Features]]], None] | None = None

    def _terms_of(self, rec: DocRecord) -> tuple[set[str], set[str]]:
        """What a record is about, and its title's terms; cached while the record is unchanged.

        A learned Q&A is about its question only (its answer and steps name other things), so a
        customer's question is compared with the earlier customer's question: same object,
        symptom and conditions.
        """
        cached = self._terms.get(rec.id)
        if cached is not None and cached[0] is rec:
            return cached[1], cached[2]
        if rec.kind == "qa":
            asked = content_terms(qa_question(rec.body))
            terms = (asked, asked)
        else:
            text = index_text(rec.title, rec.section, rec.body[:EVIDENCE_CHARS])
            terms = (content_terms(text), content_terms(rec.title))
        if len(self._terms) >= TERM_CACHE:
            self._terms.pop(next(iter(self._terms)))
        self._terms[rec.id] = (rec, *terms)
        return terms

    def decide(self, history: Sequence[Message], message: Message, previous: Sequence[str] = ()) -> Decision:
        """Decide on `message` given the ticket's earlier `history` and suggestion texts."""
        if message.role != "customer":
            return Decision(False, f"{message.role} message")
        classified = identify_turn(history, message.author, message.text)
        if classified.kind != "question":
            return Decision(False, f"{classified.kind}: not a question")
        body = redact(classified.body).text
        question = content_terms(body)
        if _already_answered(history, question):
            return Decision(False, "an analyst already answered this question")
        floor = min_idf(self.knowledge.index.n_docs)
        own = informative_count(question - GENERIC_TERMS, self.knowledge.idf, floor)
        if own < MIN_OWN_TERMS:
            return Decision(False, f"too vague to answer ({own} informative terms)")
        query = body
        if informative_count(question, self.knowledge.idf, floor) < 3:
            earlier = [m.text for m in history if m.role == "customer" and m.kind == "question"]
            if earlier:  # a short follow-up question leans on the ticket's first question
                query = f"{redact(earlier[0]).text}\n{body}"
                question = content_terms(query)
        ranked = self.knowledge.retrieve(tokenize(query), EVIDENCE_LIMIT)
        if not ranked:
            return Decision(False, "nothing in knowledge matches")
        scores = [score for _, score in ranked]
        evidence: list[tuple[float, Evidence, Features]] = []
        for rank, (rec, score) in enumerate(ranked):
            # Stored knowledge was redacted when it was learned; only customer text is redacted here.
            text = rec.body[:EVIDENCE_CHARS]
            doc_terms, title_terms = self._terms_of(rec)
            f = features(
                question,
                doc_terms,
                title_terms,
                scores[rank:],
                rec.kind,
                self.knowledge.idf,
                floor,
            )
            skill = _SKILL_SOURCE.match(rec.source)
            ev = Evidence(
                id=skill.group(1) if rec.kind == "skill" and skill else rec.id,
                kind=rec.kind, title=rec.title, section=rec.section, text=text, score=score, coverage=f.coverage,
            )  # fmt: skip
            evidence.append((confidence(f), ev, f))
        evidence.sort(key=lambda e: -e[0])
        if self.observer is not None:
            self.observer(message, evidence)
        best_conf, _, best_features = evidence[0]
        why = best_features.explain()
        if best_conf < self.floor:
            return Decision(False, f"confidence {best_conf:.2f} too low ({why})")
        context: list[str] = []
        if getattr(self.engine, "uses_context", True):  # the offline engine reads only the evidence
            context = [f"{m.role} {m.author}: {redact(m.text).text}" for m in history[-CONTEXT_TURNS:]]
        request = DraftRequest(
            ticket_id=message.ticket_id, question=body, context=context, evidence=[e for _, e, _ in evidence],
            retrieval_confidence=best_conf, previous_suggestions=list(previous),
        )  # fmt: skip
        draft = self.engine.draft(request)
        if not draft.answerable:
            return Decision(False, f"{draft.reason} ({why})", draft)
        text = redact(draft.text).text
        if any(token_f1(text, p) >= SAME_ANSWER for p in previous):
            return Decision(False, "already suggested in this ticket", draft)
        if any(m.role == "analyst" and token_f1(text, m.text) >= SAME_ANSWER for m in history):
            return Decision(False, "an analyst already said this", draft)
        skills = tuple(e.id for _, e, _ in evidence if e.kind == "skill" and e.id in draft.citations)
        final = Draft(
            answerable=True, text=text, citations=tuple(c for c in draft.citations if c not in skills),
            confidence=draft.confidence, engine=draft.engine, reason=f"{draft.reason}; {why}", notes=draft.notes,
        )  # fmt: skip
        return Decision(True, final.reason, final, skills)
