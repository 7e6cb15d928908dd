"""The offline engine: deterministic, no network. Speaks only above a calibrated confidence."""

from __future__ import annotations

import re

from vigil_mcp.services.answer.engine.base import Draft, DraftRequest, Evidence

MAX_ANSWER_CHARS = 700

# A sentence that asks the customer for something: a draft must never do that.
_ASKS_CUSTOMER = re.compile(
    r"\?\s*$|\b(please|pls|kindly)\s+(send|share|paste|provide|post|attach|upload|tell|give|confirm|check)\b|"
    r"\b(can|could|would|will)\s+you\b|\blet\s+(me|us)\s+know\b|\bwhat\s+(is|are)\s+your\b|\b(dm|pm)\s+me\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`$(\[])|\n{2,}")
# Learned Q&A bodies continue after the answer with context that is not part of it.
_AFTER_ANSWER = re.compile(r"(?m)^\s*(Environment|Steps tried):")
_ANSWER_MARK = re.compile(
    r"^\s*(\*\*)?answer(\*\*)?\s*:?\s*(\*\*)?\s*$|^#+\s*(answer|resolution|fix|mitigation)\b", re.I
)


def answer_part(evidence: Evidence) -> str:
    """The part of an item that answers: a Q&A's answer, a skill's Answer section, else the text."""
    text = evidence.text.strip()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _ANSWER_MARK.match(line):
            rest: list[str] = []
            for follow in lines[i + 1 :]:
                if (follow.startswith("#") or _AFTER_ANSWER.match(follow)) and rest:
                    break
                rest.append(follow)
            if "".join(rest).strip():
                return "\n".join(rest).strip()
    inline = re.search(r"(?im)^\s*answer\s*:\s*(.+)", text)
    if inline:
        rest_text = text[inline.start(1) :]
        stop = _AFTER_ANSWER.search(rest_text)
        return (rest_text[: stop.start()] if stop else rest_text).strip()
    return text


def without_requests(text: str) -> str:
    """Drop sentences that ask the customer for information or action from us."""
    kept = [s.strip() for s in _SENTENCE.split(text) if s.strip() and not _ASKS_CUSTOMER.search(s.strip())]
    return " ".join(kept) if "\n" not in text else "\n\n".join(kept)


def bounded(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Cut at a sentence or word boundary under `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind(".\n"))
    if stop > limit // 2:
        return cut[: stop + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut) + " …"


def compose(evidence: Evidence) -> str:
    """A short answer built from one piece of evidence."""
    return bounded(without_requests(answer_part(evidence)))


class OfflineEngine:
    """Answers from the best evidence when the retrieval confidence reaches the threshold."""

    name = "offline"
    uses_context = False

    def __init__(self, threshold: float = 0.6) -> None:
        self.threshold = threshold

    def draft(self, request: DraftRequest) -> Draft:
        """Speak only above the threshold, with the best evidence as the answer and its citation."""
        if not request.evidence:
            return Draft(answerable=False, engine=self.name, reason="nothing retrieved")
        conf = request.retrieval_confidence
        if conf < self.threshold:
            return Draft(
                answerable=False, confidence=conf, engine=self.name,
                reason=f"confidence {conf:.2f} below threshold {self.threshold:.2f}",
            )  # fmt: skip
        best = request.evidence[0]
        text = compose(best)
        if len(text) < 20:
            return Draft(answerable=False, confidence=conf, engine=self.name, reason="the evidence has no answer text")
        return Draft(
            answerable=True, text=text, citations=(best.id,), confidence=conf, engine=self.name,
            reason=f"answered from {best.kind} {best.id}",
        )  # fmt: skip
