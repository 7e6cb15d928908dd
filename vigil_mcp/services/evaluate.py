"""Evaluation: replay dialogues in time order and measure what vigil said, window by window.

Per window of dialogues: coverage (share of customer questions that got a suggestion), a
precision proxy (share of suggestions whose token F1 against the later human resolution is at
least 0.3), interventions on messages that were not questions, and what was learned so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from vigil_mcp.errors import VigilError
from vigil_mcp.models import Message, Suggestion
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.services.learn.lessons import qa_source
from vigil_mcp.services.replay import Dialogue
from vigil_mcp.services.text import token_f1
from vigil_mcp.services.tickets import TicketService

HELPFUL_F1 = 0.3
EVAL_PREFIX = "eval:"


def fresh_ids(dialogue: Dialogue) -> Dialogue:
    """The dialogue under a ticket id no earlier replay used."""
    tid = EVAL_PREFIX + dialogue.id
    return replace(dialogue, id=tid, turns=tuple(replace(t, ticket_id=tid) for t in dialogue.turns))


@dataclass(slots=True)
class Window:
    """Figures for one window of consecutive dialogues."""

    first: int
    last: int
    questions: int = 0
    suggestions: int = 0
    helpful: int = 0
    judged: int = 0  # suggestions with a later human answer to compare against
    non_question_interventions: int = 0
    labelled_non_requests: int = 0  # customer turns a reader labelled "not a request for help"
    labelled_non_request_interventions: int = 0  # ... that got a suggestion anyway
    knowledge_items: int = 0
    skills: int = 0

    @property
    def coverage(self) -> float:
        """Share of customer questions that got a suggestion."""
        return self.suggestions / self.questions if self.questions else 0.0

    @property
    def precision(self) -> float | None:
        """Share of judged suggestions that match the later human answer (F1 >= 0.3)."""
        return self.helpful / self.judged if self.judged else None

    @property
    def intervention_rate(self) -> float | None:
        """Share of labelled non-requests that got a suggestion."""
        return (
            self.labelled_non_request_interventions / self.labelled_non_requests if self.labelled_non_requests else None
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        out = asdict(self)
        out["coverage"] = round(self.coverage, 4)
        rate = self.intervention_rate
        out["intervention_rate_on_labelled_non_requests"] = None if rate is None else round(rate, 4)
        out["precision_proxy"] = None if self.precision is None else round(self.precision, 4)
        return out


@dataclass(frozen=True, slots=True)
class Sample:
    """One suggestion beside what the human said."""

    dialogue_id: str
    question: str
    suggestion: str
    confidence: float
    citations: tuple[str, ...]
    human: str
    f1: float
    message_id: str = ""  # the turn's idx in the dialogues file
    context: tuple[str, ...] = ()  # the turns just before, "role author: text"
    why: dict[str, float | str] = field(default_factory=dict[str, float | str])


@dataclass(slots=True)
class Run:
    """One evaluation run (with or without learning)."""

    learn: bool
    windows: list[Window] = field(default_factory=list[Window])
    samples: list[Sample] = field(default_factory=list[Sample])
    seconds: float = 0.0

    def totals(self) -> Window:
        """All windows added up (knowledge and skills: at the end)."""
        total = Window(
            first=self.windows[0].first if self.windows else 0, last=self.windows[-1].last if self.windows else 0
        )
        for w in self.windows:
            total.questions += w.questions
            total.suggestions += w.suggestions
            total.helpful += w.helpful
            total.judged += w.judged
            total.non_question_interventions += w.non_question_interventions
            total.labelled_non_requests += w.labelled_non_requests
            total.labelled_non_request_interventions += w.labelled_non_request_interventions
        if self.windows:
            total.knowledge_items = self.windows[-1].knowledge_items
            total.skills = self.windows[-1].skills
        return total


def later_human_answer(dialogue: Dialogue, message: Message, resolution_text: str | None) -> str | None:
    """The human resolution when it comes after the message, else the next analyst turn."""
    ids = [t.message_id for t in dialogue.turns]
    position = ids.index(message.message_id) if message.message_id in ids else -1
    if resolution_text and dialogue.resolution_message_id in ids[position + 1 :]:
        return resolution_text
    for turn in dialogue.turns[position + 1 :]:
        if turn.role == "analyst":
            return turn.text
    return None


def evaluate(
    tickets: TicketService,
    knowledge: KnowledgeService,
    dialogues: Sequence[Dialogue],
    *,
    learn: bool,
    window: int = 500,
    skills_count: Callable[[], int] = lambda: 0,
    on_dialogue: Callable[[int], None] | None = None,
    learn_now: Callable[[], object] = lambda: None,
    requests: Mapping[tuple[str, str], bool] | None = None,
) -> Run:
    """Replay `dialogues` (already in time order) and measure each window.

    `requests` holds readers' labels, (dialogue id, turn idx) -> is it a request for help, so
    suggestions on turns labelled as not a request can be counted against the label, not the classifier.
    """
    labels = requests or {}
    run = Run(learn=learn)
    # Answers learned from these very dialogues before (an earlier replay) would be read back
    # as knowledge: forget them, and replay under fresh ticket ids.
    knowledge.add_documents([Document(source=qa_source(d.id), title="", chunks=[]) for d in dialogues], kind="qa")
    dialogues = [fresh_ids(d) for d in dialogues]
    started = time.perf_counter()
    current = Window(first=1, last=0)
    with tickets.batch():
        for n, dialogue in enumerate(dialogues, start=1):
            try:
                _, steps = tickets.observe_dialogue(dialogue.turns)
            except VigilError:
                continue
            history: list[Message] = []
            for message, _, suggestion in steps:
                if message.role == "customer":
                    if message.kind == "question":
                        current.questions += 1
                    labelled = labels.get((dialogue.id.removeprefix(EVAL_PREFIX), message.message_id or ""))
                    if labelled is False:
                        current.labelled_non_requests += 1
                        current.labelled_non_request_interventions += int(suggestion is not None)
                    if suggestion is not None:
                        _count(run, current, dialogue, message, suggestion, history)
                history.append(message)
            if learn and dialogue.resolved:
                try:
                    tickets.resolve(dialogue.id, None, trigger="replay")  # vigil finds the fix itself
                    tickets.flush()  # the job is stored with the ticket, then learned before the next dialogue
                    learn_now()
                except VigilError:
                    pass
            current.last = n
            if n % window == 0 or n == len(dialogues):
                counts = knowledge.counts()
                current.knowledge_items = sum(counts.values())
                current.skills = skills_count()
                run.windows.append(current)
                current = Window(first=n + 1, last=n)
            if on_dialogue is not None:
                on_dialogue(n)
    run.seconds = time.perf_counter() - started
    return run


def _count(
    run: Run, current: Window, dialogue: Dialogue, message: Message, suggestion: Suggestion, history: list[Message]
) -> None:
    current.suggestions += 1
    if message.kind != "question":
        current.non_question_interventions += 1
    human = later_human_answer(dialogue, message, dialogue.resolution_text)
    f1 = token_f1(suggestion.text, human) if human else 0.0
    if human:
        current.judged += 1
        current.helpful += int(f1 >= HELPFUL_F1)
    run.samples.append(
        Sample(
            dialogue.id.removeprefix(EVAL_PREFIX), message.text, suggestion.text, suggestion.confidence,
            tuple(suggestion.citations + suggestion.skills), human or "", round(f1, 3), message.message_id or "",
            tuple(f"{m.role} {m.author}: {m.text}" for m in history[-3:]), dict(suggestion.why),
        )
    )  # fmt: skip
