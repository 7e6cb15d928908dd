"""What kind of turn a customer message is: a question vigil may answer, or something else.

Rules, not a model: they are cheap, explainable, and the proactive engine only needs to tell
questions and requests for help from thanks, greetings, follow-ups and chatter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from vigil_mcp.services.text import content_words

Kind = Literal["question", "followup", "thanks", "greeting", "chatter", "statement"]

# "nick: text" or "nick, text" at the start of an IRC/Slack line addresses someone.
_ADDRESS = re.compile(r"^\s*@?([\w\[\]\\`^{}|.-]{2,32})\s*[:,]\s+(?=\S)")
_THANKS = re.compile(
    r"\b(thanks?|thank\s*(you|u)|thx|thnx|thanx|tnx|ty|tyvm|cheers|appreciated?|much obliged|"
    r"(that|it|this)\s+(worked|works|did it|fixed it)|works now|working now|solved|fixed it|got it working)\b",
    re.IGNORECASE,
)
_GREETING_WORDS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "heya",
        "hiya",
        "yo",
        "hola",
        "howdy",
        "morning",
        "evening",
        "afternoon",
        "good",
        "all",
        "everyone",
        "everybody",
        "guys",
        "folks",
        "people",
        "there",
        "o/",
        "anyone",
        "anybody",
        "someone",
        "here",
        "around",
        "awake",
        "alive",
        "ping",
    ]
)
_FOLLOWUP = re.compile(
    r"^\s*(any\s+(update|news|progress|luck|idea)s?|still\s+waiting|still\s+there|anyone\??|anybody\??|hello\?+|"
    r"well\??|ping|bump|\?+|so\??|and\??|any\s+word)\W*$|\b(any\s+updates?|still\s+waiting|any\s+news)\b",
    re.IGNORECASE,
)
_INTERROGATIVE = re.compile(
    r"^\s*(how|what|why|where|when|which|who|whom|whose|is|are|am|was|were|can|could|does|do|did|should|would|"
    r"will|has|have|had|may|might|shall|isn't|aren't|doesn't|don't|can't|won't|any\s+(idea|way|one|body)|"
    r"anyone|anybody|someone|somebody|is\s+there|is\s+it)\b",
    re.IGNORECASE,
)
_HELP = re.compile(
    r"\b(help|error|errors|fail(s|ed|ing|ure)?|broken|broke|crash(es|ed|ing)?|problem|issue|bug|"
    r"(does|do|did|is|was|wo|ca|could)n'?t\s+\w+|cannot|can\s*not|unable|not\s+(work|working|able|found|loading|starting)|"
    r"stuck|denied|refused|timeout|timed\s+out|hangs?|freez(e|es|ing)|won'?t|declined|rejected|trashed|missing|"
    r"wrong|invalid|exception|traceback|segfault|5\d\d|4\d\d)\b",
    re.IGNORECASE,
)
_CONTENT_MIN = 3


@dataclass(frozen=True, slots=True)
class Classified:
    """A message's kind, who it addresses, and its text without the address prefix."""

    kind: Kind
    addressed_to: str | None
    body: str
    content_terms: int


def classify(text: str) -> Classified:
    """Classify one customer message."""
    addressed_to: str | None = None
    body = text.strip()
    match = _ADDRESS.match(body)
    if match and not _INTERROGATIVE.match(match.group(1)):
        addressed_to = match.group(1)
        body = body[match.end() :].strip()
    n = len(content_words(body))
    words = [w.strip("!.,:;?()") for w in body.lower().split()]
    has_q = "?" in body

    def out(kind: Kind) -> Classified:
        return Classified(kind=kind, addressed_to=addressed_to, body=body, content_terms=n)

    if not body:
        return out("chatter")
    if _FOLLOWUP.search(body) and n <= 4:
        return out("followup")
    if _THANKS.search(body) and not has_q and n <= 12:
        return out("thanks")
    if words and all(w in _GREETING_WORDS or not w for w in words):
        return out("greeting")
    asks = has_q or bool(_INTERROGATIVE.match(body))
    if asks and n >= _CONTENT_MIN:
        return out("question")
    if _HELP.search(body) and n >= _CONTENT_MIN + 1:
        return out("question")
    if n < _CONTENT_MIN:
        return out("chatter")
    return out("statement")
