"""One customer message -> speak or not, and what to say. The stages, top to bottom:

1. identify  is it a request for help (a question, a reported problem, a request for a change)?
2. dedupe    did an analyst already answer this same question in the ticket?
3. rewrite   the retrieval query: the message plus what the ticket established, without noise
4. retrieve  passages by words (BM25) and by meaning (embeddings), fused
5. judge     the probability that each passage answers the question, updated by analysts' verdicts
             (a learned Q&A only when this customer asks the question it answered: SAME_CASE)
6. compose   the engine drafts the reply from the judged evidence (or declines)
7. dedupe    is the draft new in this ticket?

Silence is the default: every stage can end the decision with a one-line reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vigil_mcp.errors import NotFoundError, VigilError
from vigil_mcp.models import Feedback, Message, Suggestion
from vigil_mcp.services.answer.compose import answer_part
from vigil_mcp.services.answer.dedupe import repeated
from vigil_mcp.services.answer.engine.base import Draft, DraftRequest, Engine, Evidence
from vigil_mcp.services.answer.feedback import RETIRE_AFTER, FeedbackBook
from vigil_mcp.services.answer.identify import identify_turn, says_little
from vigil_mcp.services.answer.judge import (
    MIN_IDF,
    Features,
    JudgeModel,
    JudgeModels,
    asked,
    features,
    key_terms,
    load_models,
)
from vigil_mcp.services.answer.rewrite import Query, rewrite
from vigil_mcp.services.answer.runbook_steps import steps_for
from vigil_mcp.services.knowledge.chunking import SECTION_SEP
from vigil_mcp.services.knowledge.passages import says_something
from vigil_mcp.services.knowledge.service import KnowledgeService, Retrieved
from vigil_mcp.services.redact import redact
from vigil_mcp.services.similarity import Sameness, without_citation
from vigil_mcp.services.text import content_terms

log = logging.getLogger(__name__)

POOL = 30  # passages retrieved and judged per question
# What the judge decides among: the best passage of each of the best items by fused rank, this many
# learned Q&A and this many others (docs, runbooks, skills). These are the candidates the judge's
# labels were made on (eval/judge_pool.py); further down the ranking it was never fitted, and there
# it would pick on-topic words from the wrong product.
SHORTLIST_QA = 3
SHORTLIST_WRITTEN = 5
SMALL_STORE = 50
# How far back "an analyst already answered this" looks (messages): bounded, so a ticket of
# thousands of turns costs each new message the same.
ANSWERED_LOOKBACK = 40  # passages: below this, document frequencies say nothing about which words are specific
EVIDENCE_LIMIT = 5  # judged items an engine sees
CONTEXT_CHARS = 4000  # of an item's body an engine may read around the passage
CONTEXT_TURNS = 12
# Once a ticket has had ENGAGED_AFTER analyst messages that say something (`identify.says_little`), an
# engine that does not read the conversation (the offline one) drafts only a learned answer to the same
# case: the customer's turns are then mostly follow-ups on what the analyst said, which a passage found
# for their words rarely answers.
# Fitted on the labelled drafts of the shared dialogues (eval/fit_engaged.py, eval/reports/engaged.md).
ENGAGED_AFTER = 1
_ENGAGED_WHEN = "once an analyst has replied" + ("" if ENGAGED_AFTER == 1 else f" {ENGAGED_AFTER} times")
_SKILL_SOURCE = re.compile(r"^skill://([a-z0-9-]+)/")


@dataclass(frozen=True, slots=True)
class Judged:
    """One retrieved passage with the judge's verdict on it."""

    found: Retrieved
    features: Features
    probability: float  # the judge's, or how often a learned fix helps on the same case (`basis`)
    posterior: float  # after analysts' verdicts on this item
    basis: str = "judge"  # "same case": a learned Q&A this customer asks again, at SAME_CASE_HELPS

    @property
    def item_id(self) -> str:
        """The knowledge item the passage belongs to."""
        return self.found.record.item_id


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to speak, why, and the draft when speaking."""

    speak: bool
    reason: str
    draft: Draft | None = None
    skills: tuple[str, ...] = ()
    why: dict[str, float | str] = field(default_factory=dict[str, float | str])


def shortlist(retrieved: Sequence[Retrieved]) -> list[Retrieved]:
    """The candidates the judge decides among (see SHORTLIST_QA): per item its best passage by fused
    rank, then the best SHORTLIST_QA learned Q&A and SHORTLIST_WRITTEN other items, in fused order."""
    best: dict[str, Retrieved] = {}
    for found in sorted(retrieved, key=lambda r: -r.fused):
        if found.record.form == "given" or says_something(found.record.text, found.record.form):
            best.setdefault(found.record.item_id, found)
    ranked = list(best.values())
    learned = [r for r in ranked if r.record.kind == "qa"][:SHORTLIST_QA]
    written = [r for r in ranked if r.record.kind != "qa"][:SHORTLIST_WRITTEN]
    return sorted(learned + written, key=lambda r: -r.fused)


def analyst_messages(history: Sequence[Message]) -> int:
    """How many analyst messages that say more than a greeting, an acknowledgement or "looking at it"
    the ticket has had, counted up to ENGAGED_AFTER (a long ticket costs the same)."""
    seen = 0
    participants: list[str] = []
    for msg in history:
        if msg.role == "analyst" and not says_little(msg.text, participants):
            seen += 1
            if seen >= ENGAGED_AFTER:
                break
        if msg.author not in participants:
            participants.append(msg.author)
    return seen


def _why(best: Judged, feedback: FeedbackBook) -> dict[str, float | str]:
    rec = feedback.prior(best.item_id)
    out: dict[str, float | str] = {
        "evidence": best.item_id,
        "passage": best.found.record.text[:200],
        "probability": round(best.probability, 4),
        "basis": best.basis,
        "posterior": round(best.posterior, 4),
        "adopted": rec.successes,
        "rejected": rec.rejected,
    }
    out.update(best.features.as_dict())
    return out


class AnswerService:
    """Runs the stages for a customer message against knowledge and an engine."""

    def __init__(
        self,
        knowledge: KnowledgeService,
        engine: Engine,
        judge: JudgeModels | None = None,
        feedback: FeedbackBook | None = None,
        sameness: Sameness | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.models = judge or load_models()
        self.feedback = feedback or FeedbackBook()
        self._sameness = sameness
        # Sees every judged question (evaluation and the fitting script read candidates through it).
        self.observer: Callable[[Message, Sequence[Message], Query, list[Judged]], None] | None = None
        # What to do with a learned Q&A that analysts rejected RETIRE_AFTER times, or edited:
        # the learning side owns lessons (retire: item id; revise: item id, new answer, suggestion id).
        self.on_retire: Callable[[str], object] | None = None
        self.on_revise: Callable[[str, str, str], object] | None = None

    def take_feedback(self, suggestion: Suggestion, feedback: Feedback, question: str) -> None:
        """Learn from an analyst's verdict: the items' priors, and what a learned Q&A should become."""
        self.feedback.record(suggestion, feedback, question)
        for item_id in suggestion.citations:
            try:
                kind = self.knowledge.get(item_id).kind
            except NotFoundError:
                continue
            if kind != "qa":
                continue
            try:
                if feedback.verdict == "rejected" and self.feedback.prior(item_id).rejected >= RETIRE_AFTER:
                    if self.on_retire is not None:
                        self.on_retire(item_id)
                elif feedback.verdict == "edited" and feedback.edited_text and self.on_revise is not None:
                    self.on_revise(item_id, feedback.edited_text, suggestion.id)
            except VigilError as exc:  # the verdict is stored either way; the lesson keeps its state
                log.warning("feedback on %s could not change its lesson: %s", item_id, exc)

    @property
    def sameness(self) -> Sameness:
        """The repeat test, built once the embedding model has loaded."""
        if self._sameness is None:
            self.knowledge.load()
            self._sameness = Sameness(self.knowledge.embedder)
        return self._sameness

    @property
    def judge(self) -> JudgeModel:
        """The judge for what retrieval can give: with embeddings (hybrid) or words only (lexical)."""
        self.knowledge.load()
        return self.models.for_mode(self.knowledge.embedder is not None)

    @property
    def gate(self) -> float:
        """The judge probability a candidate needs before the engine sees it."""
        recall_oriented = getattr(self.engine, "recall_oriented", False)
        return self.judge.llm_gate if recall_oriented else self.judge.threshold

    def idf(self, term: str) -> float:
        """The knowledge's idf of a term. In a store too small to tell common words from rare ones
        (fewer than SMALL_STORE passages: a new home with its first learned cases) every word that is
        not generic counts as specific, so a question can match the few items there are."""
        value = self.knowledge.idf(term)
        return max(value, MIN_IDF) if self.knowledge.n_passages < SMALL_STORE else value

    # ---- stages ------------------------------------------------------------------------------
    def _memo_idf(self) -> Callable[[str], float]:
        """`idf` remembered for one decision: the stages ask it for the same few terms thousands of times."""
        known: dict[str, float] = {}

        def idf(term: str) -> float:
            value = known.get(term)
            if value is None:
                value = known[term] = self.idf(term)
            return value

        return idf

    def _already_answered(self, history: Sequence[Message], question: str, idf: Callable[[str], float]) -> bool:
        """An earlier customer question that says the same thing got an analyst reply after it."""
        same = self.sameness
        keys = key_terms(question, idf)
        start = max(0, len(history) - ANSWERED_LOOKBACK)
        for i, msg in enumerate(history[start:], start=start):
            if msg.role != "customer" or msg.kind != "question":
                continue
            # Only questions about something this one names can be the same question (and cost an embedding).
            if not keys & content_terms(msg.text):
                continue
            if any(later.role == "analyst" for later in history[i + 1 :]) and same.same(msg.text, question):
                return True
        return False

    def judge_candidates(
        self, query: Query, retrieved: Sequence[Retrieved], ticket_id: str, idf: Callable[[str], float] | None = None
    ) -> list[Judged]:
        """The shortlisted passages (see `shortlist`; never "NA", a bare link or an image, never an item
        rejected for this question, never a learned Q&A of another question) with their probabilities,
        best first."""
        idf = idf or self._memo_idf()
        q = asked(f"{query.question}\n{query.leaned_on}".strip(), idf)
        rejected = self.feedback.rejected_for(ticket_id, query.question, self.sameness.same)
        best: dict[str, float] = {}
        for found in retrieved:
            if found.cosine is not None:
                best[found.record.item_id] = max(best.get(found.record.item_id, -1.0), found.cosine)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:2]
        out: list[Judged] = []
        answers: dict[str, str] = {}
        same = self.sameness
        # A learned Q&A's answer was given to another customer: it helps only if this one asks the same.
        allowed = [
            r for r in retrieved if r.record.item_id not in rejected
            and (r.record.kind != "qa" or same.same_case(r.cosine, query.text, r.record.text))
        ]  # fmt: skip
        for found in shortlist(allowed):
            rec = found.record
            other = next((c for item, c in ranked if item != rec.item_id), None)
            terms = self.knowledge.passage_terms(rec)
            answer = self._answer_of(rec.item_id, answers) if rec.kind == "qa" else None
            f = features(q, found, other, terms, idf, first_in_item=rec.ordinal == 1, answer=answer)
            p, basis = self.judge.probability(f), "judge"
            if rec.kind == "qa" and same.case_helps > p:  # the same case (`allowed`): as often as such fixes help
                p, basis = same.case_helps, "same case"
            out.append(Judged(found, f, p, self.feedback.posterior(p, found.record.item_id), basis))
        out.sort(key=lambda j: (-j.posterior, j.found.record.passage_no))
        return out

    def _answer_of(self, item_id: str, cache: dict[str, str]) -> str:
        """A learned Q&A's fix (what it would answer with), once per item and question."""
        if item_id not in cache:
            try:
                cache[item_id] = answer_part(self.knowledge.body(item_id))
            except NotFoundError:  # removed since the index answered
                cache[item_id] = ""
        return cache[item_id]

    def _evidence(self, judged: Sequence[Judged], question: str) -> list[Evidence]:
        """The best passage of each of the best items, with the item's body as context; a runbook
        passage that only describes the alert gives way to the runbook's steps (see runbook_steps)."""
        out: list[Evidence] = []
        seen: set[str] = set()
        for j in judged:
            rec = j.found.record
            if rec.item_id in seen:
                continue
            seen.add(rec.item_id)
            try:
                body = self.knowledge.body(rec.item_id)
            except NotFoundError:  # removed since the index answered
                continue
            skill = _SKILL_SOURCE.match(rec.source)
            section, text, form = rec.section, rec.text, rec.form
            if rec.kind == "runbook":
                steps = self._steps(question, rec.item_id, rec.title, rec.section, rec.text, body)
                if steps is not None:
                    section, text, form = steps
            out.append(
                Evidence(
                    id=skill.group(1) if rec.kind == "skill" and skill else rec.item_id, kind=rec.kind,
                    title=rec.title, section=section, text=text, score=j.posterior,
                    context=body[:CONTEXT_CHARS], form=form,
                    source=f"{rec.source}#{rec.anchor}" if rec.anchor else rec.source, coverage=j.features.coverage,
                )
            )  # fmt: skip
            if len(out) == EVIDENCE_LIMIT:
                break
        return out

    def _steps(
        self, question: str, item_id: str, title: str, section: str, text: str, body: str
    ) -> tuple[str, str, str] | None:
        """(section, text, form) of the runbook part saying what to do, when the passage does not (see
        runbook_steps.steps_for); None to keep the passage."""

        def siblings() -> list[tuple[str, str]]:
            try:
                return [(i.section, i.body) for i in self.knowledge.siblings(item_id)] if section else []
            except NotFoundError:  # removed since the index answered
                return []

        steps = steps_for(question, title, section, text, body, siblings)
        if steps is None:
            return None
        where = SECTION_SEP.join([*section.split(SECTION_SEP)[:-1], steps.heading]) if section else steps.heading
        return where.strip(), steps.text, steps.form

    # ---- the decision ------------------------------------------------------------------------
    def decide(
        self, history: Sequence[Message], message: Message, previous: Sequence[str] = (), product: str | None = None
    ) -> Decision:
        """Decide on `message` given the ticket's earlier `history` and the texts already suggested; a
        ticket with a `product` is answered only from that product's knowledge and unscoped knowledge."""
        if message.role != "customer":
            return Decision(False, f"{message.role} message")
        identified = identify_turn(history, message.author, message.text)
        if identified.kind != "question":
            return Decision(False, f"{identified.kind}: not a request for help")
        body = redact(identified.body).text
        idf = self._memo_idf()
        if self._already_answered(history, body, idf):
            return Decision(False, "an analyst already answered this question")
        query = rewrite(body, history, idf)
        if not key_terms(query.text, idf):
            return Decision(False, "nothing specific to look up")
        vector = self.sameness.vector(query.text)
        retrieved = self.knowledge.retrieve(query.text, POOL, vector=vector, product=product)
        if not retrieved:
            return Decision(False, "nothing in knowledge matches")
        judged = self.judge_candidates(query, retrieved, message.ticket_id, idf)
        if self.observer is not None:
            self.observer(message, history, query, judged)
        if not judged:
            return Decision(False, "every match was rejected by an analyst for this question")
        reads_conversation = getattr(self.engine, "uses_context", True)  # the offline engine reads only the evidence
        engaged = not reads_conversation and analyst_messages(history) >= ENGAGED_AFTER
        if engaged:
            judged = [j for j in judged if j.basis == "same case"] or judged
        best = judged[0]
        why = _why(best, self.feedback)
        if best.posterior < self.gate:
            return Decision(
                False,
                f"judge {best.posterior:.2f} below {self.gate:.2f} (best: {best.found.record.kind} "
                f"{best.item_id}, cosine {best.features.cosine:.2f}, coverage {best.features.coverage:.2f})",
                why=why,
            )
        if engaged and best.basis != "same case":
            return Decision(
                False,
                f"follow-up in an exchange an analyst leads: {_ENGAGED_WHEN}, the offline engine drafts only a "
                f"learned answer to the same case (best: {best.found.record.kind} {best.item_id}, judge "
                f"{best.posterior:.2f})",
                why=why,
            )
        context: list[str] = []
        if reads_conversation:
            context = [f"{m.role} {m.author}: {redact(m.text).text}" for m in history[-CONTEXT_TURNS:]]
        evidence = self._evidence(judged, body)
        request = DraftRequest(
            ticket_id=message.ticket_id, question=body, context=context, evidence=evidence,
            retrieval_confidence=best.posterior, previous_suggestions=list(previous), threshold=self.judge.threshold,
        )  # fmt: skip
        draft = self.engine.draft(request)
        if not draft.answerable:
            return Decision(False, draft.reason, draft, why=why)
        said = without_citation(draft.text)
        if draft.engine == "offline" and draft.text.startswith(said):
            # The reply is redacted (knowledge might quote a secret); the offline engine's citation
            # line is vigil's own metadata, where a section number like 11.5.2.2 is not an address.
            text = redact(said).text + draft.text[len(said) :]
        else:
            text = redact(draft.text).text
        # A draft from the docs made of the customer's own words tells them nothing; a learned answer
        # that confirms what the customer proposes ("yes, apt-get -f install") does.
        written = all(e.kind not in ("qa", "skill") for e in evidence if e.id in draft.citations)
        repeat = repeated(self.sameness, text, previous, history, body if written else "")
        if repeat is not None:
            return Decision(False, repeat, draft, why=why)
        skills = tuple(e.id for e in evidence if e.kind == "skill" and e.id in draft.citations)
        final = Draft(
            answerable=True, text=text, citations=tuple(c for c in draft.citations if c not in skills),
            confidence=draft.confidence, engine=draft.engine, reason=draft.reason, notes=draft.notes,
        )  # fmt: skip
        return Decision(True, f"{draft.reason} (judge {best.posterior:.2f})", final, skills, why)
