"""The retrieval query for one customer message: the message, plus what the ticket already established.

What a customer writes is full of things no document contains: object ids, hashes, timestamps,
nicknames, links with tokens. Those are removed. What the ticket established earlier (the first
problem statement when this message leans on it, error codes, alert and API names) is added, so
"still failing after that, what now?" is looked up as the problem it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from vigil_mcp.models import Message
from vigil_mcp.services.answer.judge import key_terms, technical_tokens
from vigil_mcp.services.text import specific_terms

Idf = Callable[[str], float]

MAX_QUERY_CHARS = 1200
LEANS_ON_CONTEXT = 3  # a message with fewer key terms than this is read with the ticket's first problem
MAX_CARRIED = 6  # technical tokens carried over from earlier customer turns

_URL = re.compile(r"\b(?:https?|ftp)://([^\s/?#]+)([^\s?#]*)\S*", re.IGNORECASE)
_NOISE = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"  # uuids
    r"|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{10,}\b"  # hashes, commit ids
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"  # dates, timestamps
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"  # clock times
    r"|\b\d{6,}\b"  # long numbers: order ids, epoch seconds
    r"|\[(?:REDACTED|redacted)[^\]]*\]",  # what redaction left
    re.IGNORECASE,
)
# Object ids such as pi_1FXyZ2abc or cus_G2kd9x: the prefix names the object, the rest is noise.
_OBJECT_ID = re.compile(r"\b([a-z]{2,8}_)(?:test_|live_)?[A-Za-z0-9]{8,}\b")


@dataclass(frozen=True, slots=True)
class Query:
    """What retrieval looks up, and the question it stands for."""

    text: str  # message plus established context, cleaned
    question: str  # the message alone, cleaned: what the judge compares candidates with
    leaned_on: str = ""  # the earlier problem statement that was added, if any


def _without_names(text: str, names: Collection[str]) -> str:
    for name in sorted({n for n in names if len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    return text


def clean(text: str, names: Collection[str] = ()) -> str:
    """The words of a message that documents could contain."""
    text = _URL.sub(lambda m: f" {m.group(1)} {m.group(2).replace('/', ' ')} ", text)
    text = _OBJECT_ID.sub(lambda m: m.group(1), text)
    text = _NOISE.sub(" ", text)
    text = _without_names(text, names)
    return " ".join(text.split())


def _first_problem(history: Sequence[Message]) -> Message | None:
    for msg in history:
        if msg.role == "customer" and msg.kind == "question" and len(specific_terms(msg.text)) >= 2:
            return msg
    return None


def rewrite(body: str, history: Sequence[Message], idf: Idf) -> Query:
    """The query for `body` (the customer's message without an address prefix) in its ticket."""
    names = {m.author for m in history} | {m.author for m in history if m.role == "customer"}
    question = clean(body, names)
    parts = [question]
    leaned = ""
    if len(key_terms(question, idf)) < LEANS_ON_CONTEXT:
        first = _first_problem(history)
        if first is not None:
            leaned = clean(first.text, names)
            if leaned and leaned != question:
                parts.append(leaned)
    seen = {t for p in parts for t in technical_tokens(p)}
    carried: list[str] = []
    for msg in history:
        if msg.role != "customer":
            continue
        for token in sorted(technical_tokens(clean(msg.text, names))):
            if token not in seen and len(carried) < MAX_CARRIED:
                seen.add(token)
                carried.append(token)
    if carried:
        parts.append(" ".join(carried))
    text = "\n".join(parts)[:MAX_QUERY_CHARS]
    return Query(text=text, question=question, leaned_on=leaned)
