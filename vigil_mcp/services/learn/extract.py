"""Offline extraction: what a resolved dialogue teaches, as a generalized Q&A.

Deterministic rules over the dialogue: the customer's problem (first question plus
clarifications), the analyst turns that resolved it (named, or inferred from the customer's
"thanks, that worked"), environment facts and the diagnostic steps tried. Everything is
redacted and stripped of nicknames before it leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vigil_mcp.models import Message
from vigil_mcp.services.answer.identify import identify
from vigil_mcp.services.redact import redact
from vigil_mcp.services.skills.model import GeneratedBy
from vigil_mcp.services.text import specific_terms

MAX_QUESTION_CHARS = 600
MAX_ANSWER_CHARS = 1200
MAX_CLARIFICATIONS = 3
MAX_STEPS = 5

_VERSION = re.compile(
    r"\b(?:(?:ubuntu|kubuntu|xubuntu|debian|fedora|centos|rhel|windows|macos|python|php|node|ruby|java|go|"
    r"kernel|nginx|apache|postgres(?:ql)?|mysql|redis|kubernetes|k8s|openshift|docker|stripe(?:-\w+)?|api)"
    r"[ /-]?v?\d+(?:\.\d+)*\w*|v\d+\.\d+(?:\.\d+)*|\d+\.\d+\.\d+|(?:dapper|edgy|feisty|gutsy|hardy|intrepid|jaunty|"
    r"karmic|lucid|maverick|natty|oneiric|precise|quantal|raring|saucy|trusty|utopic|vivid|wily|xenial|yakkety|"
    r"zesty|artful|bionic|cosmic|disco|eoan|focal|jammy|noble)(?:\s+\w+)?)\b",
    re.IGNORECASE,
)
_STEP = re.compile(
    r"(^\s*[$#]\s*\S|`[^`]+`|\b(run|try|check|type|look at|open|paste|install|remove|restart|reinstall|"
    r"edit|set|enable|disable|use|sudo|apt(-get)?|dpkg|systemctl|stripe)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Lesson:
    """What one resolved case teaches."""

    ticket_id: str
    question: str  # generalized problem statement: question plus clarifications
    answer: str  # the resolution, generalized
    environment: tuple[str, ...]
    steps: tuple[str, ...]
    resolution_seqs: tuple[int, ...]
    generated_by: GeneratedBy = "vigil-offline"
    # A skill name and description the extractor proposes (the Anthropic one does); not stored in the Q&A.
    skill_name: str | None = None
    skill_description: str | None = None

    @property
    def title(self) -> str:
        """A one-line title: the first sentence of the question that says something specific."""
        sentences = [x for x in re.split(r"(?<=[.!?])\s+", self.question) if x.strip()]
        for sentence in sentences:
            if len(specific_terms(sentence)) >= 2:
                return sentence[:160]
        return (sentences[0] if sentences else self.question)[:160]

    def body(self) -> str:
        """The knowledge item's Markdown body (what search and the engine read)."""
        parts = [f"Question: {self.question}", "", "Answer:", self.answer]
        if self.environment:
            parts += ["", "Environment: " + ", ".join(self.environment)]
        if self.steps:
            parts += ["", "Steps tried:"] + [f"- {s}" for s in self.steps]
        return "\n".join(parts)


# Reads back what `Lesson.body` wrote: the Q&A items are where lessons of earlier cases are kept.
_BODY = re.compile(
    r"(?s)^Question: (?P<question>.*?)\n\nAnswer:\n(?P<answer>.*?)"
    r"(?:\n\nEnvironment: (?P<environment>[^\n]*))?(?:\n\nSteps tried:\n(?P<steps>(?:- [^\n]*\n?)+))?$"
)


def parse_lesson(ticket_id: str, body: str) -> Lesson | None:
    """The lesson a stored Q&A body holds (the inverse of `Lesson.body`), or None for another shape."""
    match = _BODY.match(body.strip("\n"))
    if match is None:
        return None
    env = match.group("environment")
    steps = match.group("steps")
    return Lesson(
        ticket_id=ticket_id,
        question=match.group("question"),
        answer=match.group("answer"),
        environment=tuple(e for e in env.split(", ") if e) if env else (),
        steps=tuple(line[2:] for line in steps.splitlines() if line.startswith("- ")) if steps else (),
        resolution_seqs=(),
    )


class Extractor(Protocol):
    """Turns a resolved dialogue into its lesson (None: nothing to learn)."""

    def __call__(
        self, ticket_id: str, messages: Sequence[Message], resolution_seqs: Sequence[int] = ()
    ) -> Lesson | None:
        """The lesson of a resolved dialogue."""
        ...


def scrub(text: str, names: Sequence[str]) -> str:
    """Redacted text on one line, with participants' names replaced by "someone"."""
    for name in sorted({n for n in names if len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "someone", text, flags=re.IGNORECASE)
    return " ".join(redact(text).text.split())


def generalize(text: str, names: Sequence[str]) -> str:
    """Redacted text without a participant addressed at its start and with participants' names replaced."""
    return scrub(identify(text, names).body, names)


def _infer_resolution(messages: Sequence[Message]) -> list[Message]:
    """The analyst turns before the customer's first thanks after an analyst spoke; else the last ones."""
    for i, msg in enumerate(messages):
        if msg.role == "customer" and msg.kind == "thanks":
            before = [m for m in messages[:i] if m.role == "analyst"]
            if before:
                return before[-2:] if len(before[-1].text) < 80 and len(before) > 1 else before[-1:]
    analyst = [m for m in messages if m.role == "analyst"]
    return analyst[-1:] if analyst else []


def extract(ticket_id: str, messages: Sequence[Message], resolution_seqs: Sequence[int] = ()) -> Lesson | None:
    """The lesson of a resolved dialogue, or None when there is nothing to learn (no question or answer)."""
    customer_turns = [m for m in messages if m.role == "customer"]
    # The problem starts at the first customer turn that says something specific: "can anyone
    # help?" or "hi" before it is not the problem.
    questions = [m for m in customer_turns if m.kind == "question" and len(specific_terms(m.text)) >= 2]
    questions = questions or [m for m in customer_turns if m.kind == "statement" and len(specific_terms(m.text)) >= 3]
    if not questions:
        return None
    if resolution_seqs:
        chosen = [m for m in messages if m.seq in set(resolution_seqs) and m.role in ("analyst", "bot")]
    else:
        chosen = _infer_resolution(messages)
    if not chosen:
        return None
    names = sorted({m.author for m in messages})
    first = questions[0]
    resolved_at = chosen[-1].seq
    clarifications = [
        m for m in customer_turns
        if first.seq < m.seq < resolved_at and m.kind in ("question", "statement")
    ][:MAX_CLARIFICATIONS]  # fmt: skip
    question = " ".join(generalize(m.text, names) for m in [first, *clarifications])[:MAX_QUESTION_CHARS]
    answer = "\n".join(generalize(m.text, names) for m in chosen)[:MAX_ANSWER_CHARS]
    if len(answer) < 15 or len(question) < 10:
        return None
    env: list[str] = []
    for m in customer_turns:
        # From the redacted text: a version pattern must never pick three octets out of an address.
        for match in _VERSION.finditer(redact(m.text).text):
            fact = match.group(0).strip()
            if fact.lower() not in (e.lower() for e in env):
                env.append(fact)
    steps = [
        generalize(m.text, names)[:200]
        for m in messages
        if m.role == "analyst" and m.seq < resolved_at and m not in chosen and _STEP.search(m.text)
    ][:MAX_STEPS]
    return Lesson(
        ticket_id=ticket_id, question=question, answer=answer, environment=tuple(env[:6]), steps=tuple(steps),
        resolution_seqs=tuple(m.seq for m in chosen),
    )  # fmt: skip
