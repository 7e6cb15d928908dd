"""What kind of turn a customer message is: a request for help vigil may answer, or something else.

A request for help asks something, reports a problem (an error, a symptom, a firing alert, "X
returns 502 since the deploy") or asks for a change, with or without "?". Thanks, greetings,
follow-ups ("any update?") and chatter are not; neither are answers to the analyst and context.

Three steps, read top to bottom:
1. an address prefix ("karllekko: ...", "@wsw ...", "nemo - ...") is split off only when it names
   a participant of the ticket, so "etcd: members down" keeps "etcd";
2. precise rules recognise thanks (gratitude or a confirmation that it worked), greetings and
   follow-ups, which carry no request of their own;
3. a logistic model over a few readable cues decides whether the rest is a request: a question
   mark, a question word at the start of a clause, words of asking, of needing or trying ("I need
   to", "trying to"), of asking for a change ("please drain it"), of not being able to ("can't",
   "no idea how"), of failure and symptoms ("doesn't work", "won't boot", "stopped working"),
   alerts and error output, words of answering and of feedback on a fix, and where the turn stands
   in the ticket: a problem, a need or an inability in the ticket's opening (before anyone else
   wrote) is what the customer came for, while a turn that follows someone else's question is
   likely an answer. Its weights and threshold are fitted on labelled real turns by
   `eval/fit_identify.py` (`identify_model.py`). What is not a request is chatter when it is an
   ack, a joke, a typo fix or a farewell, otherwise a statement.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from vigil_mcp.models import Message
from vigil_mcp.services.answer import identify_model
from vigil_mcp.services.answer.identify_cues import Position, reports_failure, request_features
from vigil_mcp.services.text import content_words

Kind = Literal["question", "followup", "thanks", "greeting", "chatter", "statement"]
KINDS: tuple[Kind, ...] = ("question", "statement", "thanks", "greeting", "followup", "chatter")


@dataclass(frozen=True, slots=True)
class Identified:
    """A customer turn's kind, the participant it addresses, and its text without that address."""

    kind: Kind
    addressed_to: str | None
    body: str
    content_terms: int
    score: float  # the model's probability that the body is a request (0 when a rule decided)

    @property
    def request(self) -> bool:
        """Whether the turn asks for help."""
        return self.kind == "question"


# ---- 1. address prefix --------------------------------------------------------------------------

# A nick, then ":", ",", ">", or " - " (IRC, Slack and chat bridges write all four).
_PREFIX = re.compile(r"^\s*[@<]?([^\s:,>@<]{1,40})>?(?:\s*[:,>]|\s+-+)\s*")
_BARE = re.compile(r"^\s*@?([^\s:,@]{2,40})\s+(?=\S)")
_MIN_ABBREVIATION = 3


def _nick_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def _participant(name: str, participants: Iterable[str], *, abbreviated: bool) -> str | None:
    """The participant `name` refers to: same nick up to case and punctuation, or (`abbreviated`)
    a prefix of one ("fryguy:" for Fryguy--)."""
    key = _nick_key(name)
    if not key:
        return None
    best: str | None = None
    for person in participants:
        other = _nick_key(person)
        if other == key:
            return person
        if abbreviated and best is None and len(key) >= _MIN_ABBREVIATION and other.startswith(key):
            best = person
    return best


def split_address(text: str, participants: Iterable[str] = ()) -> tuple[str | None, str]:
    """(the participant the text starts by addressing, the text without the prefix).

    Only names of the ticket's participants are taken: a leading "etcd:", "nginx:" or "Error:"
    is part of the message. Several addressees in a row ("karllekko: w1zeman1p: ...") all go.
    """
    people = [p for p in participants if p.strip()]
    body = text.strip()
    addressed: str | None = None
    while people:
        match = _PREFIX.match(body)
        # Only "fryguy:" abbreviates a nick: "how, exactly ..." is no address to howard.
        abbreviated = match is not None and match.group(0).rstrip().endswith((":", ">"))
        found = _participant(match.group(1), people, abbreviated=abbreviated) if match else None
        if found is None or match is None:
            match = _BARE.match(body)
            found = _participant(match.group(1), people, abbreviated=False) if match else None
        if found is None or match is None:
            break
        addressed = addressed or found
        rest = body[match.end() :].strip()
        if not rest:
            break
        body = rest
    return addressed, body


# ---- 2. rules: thanks, greetings, follow-ups -----------------------------------------------------

_GRATITUDE = re.compile(
    r"\b(thanks?|thank\s*(you|u|ya)|thankyou|thx|thnx|thanx|tnx|ty|tyvm|tk|tks|cheers|appreciated?|much obliged)\b",
    re.IGNORECASE,
)
# A confirmation that the problem is gone: "that worked", "fixed now", "pods stable now", "alert cleared".
_CONFIRMED = re.compile(
    r"\b((that|it|this)\s+(worked|works|did it|did the trick|fixed it|helped)"
    r"(?=\W*$|\W*[,.!;:]|\s+(now|perfectly|great|fine|again|thanks?)\b)|"
    r"works now|working now|fixed\s+(it|now)|solved|resolved(?!\s+to\b)|got it working|all good now|"
    r"(fine|good|stable|healthy|working|back up)\s+(now|again)|(works?|working)\s+again|back\s+to\s+normal|"
    r"(errors?|alerts?|warnings?|drops|timeouts|crashes|restarts|[45]\d\ds)\s+(is\s+|are\s+|has\s+|have\s+)?"
    r"(gone|stopped|cleared|resolved))\b",
    re.IGNORECASE,
)
_TA = re.compile(r"^\W*(\w+\W+)?ta\W*$", re.IGNORECASE)  # "kk, ta"
# After the thanks, a turn that goes on with a contrast or a negation is not a confirmation.
_NOT_AFTER = re.compile(
    r"\b(but|however|though|although|still|except|unfortunately|not|no|nope|didn'?t|doesn'?t|isn'?t|"
    r"wasn'?t|won'?t|can'?t|cannot)\b",
    re.IGNORECASE,
)
# Before it, a negation or a hope: "still not fixed", "i sure hope it works".
_NOT_BEFORE = re.compile(r"(\bnot|\bnever|n't|\bhope|\bif|\bwhether|\buntil|\bunless)\W+(\w+\W+){0,2}$", re.IGNORECASE)
# Thanks that asks for more is a request: "any other thoughts on this appreciated".
_MORE = re.compile(
    r"\bany\s+(other|more|further)?\s*(thoughts|ideas|suggestions|advice|tips|pointers|help)\b|"
    r"\b(can|could|would)\s+(you|someone|anyone|somebody)\b|\bif\s+(you|someone|anyone|somebody)\s+(can|could|would)\b",
    re.IGNORECASE,
)
_GREETING_WORDS = frozenset(
    """hi hello hey heya hiya yo hola howdy morning evening afternoon good all everyone everybody guys folks
    people there o/ anyone anybody any someone here around awake alive online on one team channel
    greetings sup how are you ya doing ai alguien""".split()
)
_FOLLOWUP = re.compile(
    r"^\W*(any\s+(update|news|progress|word)s?(\s+on\s+(this|that|it))?|still\s+waiting(\s+on\s+(this|that|it))?|"
    r"(are\s+you\s+|you\s+)?still\s+there|ping|bump|p+l+e+a+s+e+|any\s+help)\W*$|"
    r"^\W*(anyone|anybody|any\s*one|someone|hello+|hel+o+\s+any\s*one|so|and|well)\s*\?+\W*$|^\s*\?+\s*$",
    re.IGNORECASE,
)


def _is_thanks(body: str) -> bool:
    gratitude, confirmed = _GRATITUDE.search(body), _CONFIRMED.search(body)
    if gratitude is None and confirmed is None:
        return bool(_TA.match(body))
    if "?" in body or _MORE.search(body):
        return False
    # "nothing happens ... in a terminal it works" reports a failure: no confirmation.
    if gratitude is None and confirmed is not None and reports_failure(body[: confirmed.start()]):
        return False
    match = min((m for m in (gratitude, confirmed) if m is not None), key=lambda m: m.start())
    return not _NOT_AFTER.search(body[match.end() :]) and not _NOT_BEFORE.search(body[: match.start()])


def _is_greeting(body: str) -> bool:
    words = [w for w in re.split(r"[^\w/']+", body.casefold()) if w]
    return bool(words) and all(w in _GREETING_WORDS for w in words)


def rule_kind(body: str) -> Kind | None:
    """The kind the rules give a body on their own (None: the model decides)."""
    if not body:
        return "chatter"
    if _FOLLOWUP.match(body):
        return "followup"
    if _is_greeting(body):
        return "greeting"
    if _is_thanks(body):
        return "thanks"
    return None


# ---- 3. the request model (its cues: identify_cues.py) -------------------------------------------

# What is not a request and only acknowledges, jokes, apologises or leaves is chatter.
_CHATTER = re.compile(
    r"^\W*((ok(ay)?|k+|alright|aight|sure|cool|co+l|great|nice|awesome|perfect|ah+|oh+|hm+|uh+|um+|lol|lmao|rofl|"
    r"heh|ha(ha)+|he(he)+|xd|wow|damn|argh+|a+r+g+h+|w+o+o+t+|yay|omg|oops|ups|sorry|ack|np|anyway|hu+m+|also|"
    r"indeed|true|fair(\s+enough)?|huge)\b\W*)*"
    r"(|(just\s+)?(got\s+it|i\s+see|understood|makes\s+sense|noted|roger|copy\s+that|will\s+do|done|looking|checking|"
    r"rebooting|trying|on\s+it|(let\s+me|lemme|i'?ll|i\s+will|i\s+am\s+going\s+to|gonna)\s+(check|try|see|look|rephrase|"
    r"test|do\s+(it|that)|give\s+it\s+a\s+(try|shot)|let\s+you\s+know)\w*(\s+\w+){0,8}|let\s+me\s+know|"
    r"one\s+sec(ond)?)|((i'?ll|ill|will)\s+)?(brb|be\s+(right\s+)?back)|bye|cya|gotta\s+go|(need|have)\s+to\s+go|good\s+good|fingers\s+crossed|just\s+fyi|fyi|"
    r"i'?m\s+joking|just\s+kidding|of\s+course(\s+it\s+is)?|no\s+problem|same\s+here|me\s+too|"
    r"(i\s+)?(sure\s+)?hope\s+(it|this|that|so)\b.*)"
    r"(\W+(now|then|thanks|thx|lol|again|man|guys|bye|:\)|:\(|:p|:d))*\W*$",
    re.IGNORECASE,
)
_TYPO_FIX = re.compile(r"^\s*(\*\s*\S+(\s+\S+)?|\S+(\s+\S+)?\s*\*)\s*$")


def position_of(participants: Sequence[str], author: str | None) -> Position:
    """Where a turn stands in its ticket: the `first` turn, in the `opening` (only its author wrote
    before, as when a customer spreads the problem over several lines), or `later` (someone else
    wrote before: the turn may answer them). Without the author, a turn after others is `later`."""
    if not participants:
        return "first"
    if author is not None and all(_nick_key(p) == _nick_key(author) for p in participants):
        return "opening"
    return "later"


def request_probability(features: Sequence[float]) -> float:
    """The fitted model's probability that a body with these features is a request for help."""
    z = identify_model.INTERCEPT + sum(w * x for w, x in zip(identify_model.WEIGHTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def identify(
    text: str, participants: Sequence[str] = (), reply_to: str | None = None, *, author: str | None = None
) -> Identified:
    """Identify one customer turn.

    `participants`: the names of whoever wrote in the ticket before (only they can be addressed;
    none means this is the ticket's first turn); `reply_to`: the ticket's previous message when
    someone else than this turn's author wrote it; `author`: this turn's author, so that a turn
    in the ticket's opening (nobody else wrote yet) is known as one.
    """
    addressed, body = split_address(text, participants)
    n = len(content_words(body))
    kind = rule_kind(body)
    score = 0.0
    if kind is None:
        cues = request_features(
            body,
            addressed=addressed is not None,
            reply_to=reply_to,
            position=position_of(participants, author),
        )
        score = request_probability(cues)
        if score >= identify_model.THRESHOLD:
            kind = "question"
        elif _CHATTER.match(body) or _TYPO_FIX.match(body):
            kind = "chatter"
        else:
            kind = "statement"
    return Identified(kind=kind, addressed_to=addressed, body=body, content_terms=n, score=round(score, 4))


# A helper saying they are on it ("looking at it now", "give me a minute"): it leads nothing yet.
_ON_IT = re.compile(
    r"^\W*(?:(?:i'?m|i\s+am|we'?re|we\s+are)\s+)?(?:looking|checking)\s+(?:at|into)\s+(?:it|this|that|your)\b"
    r"|^\W*(?:(?:sure|ok(?:ay)?)\W+)?(?:give\s+me|gimme|wait|hold\s+on)\s+a\s+(?:sec|second|moment|minute|min|bit)\b",
    re.IGNORECASE,
)


def says_little(text: str, participants: Iterable[str] = ()) -> bool:
    """Whether a helper's turn only greets, thanks, acknowledges or says they are on it ("Hi, looking at
    it now."): such a turn does not yet lead the exchange (`pipeline.ENGAGED_AFTER` counts the others)."""
    body = split_address(text, participants)[1]
    words = body.split()
    while words and words[0].casefold().strip(",.!:;-") in _GREETING_WORDS:
        words.pop(0)
    rest = " ".join(words).lstrip(",.!:;- ")  # after "Hi," / "Good morning,"
    return not rest or any(
        rule_kind(part) in ("greeting", "thanks") or bool(_CHATTER.match(part)) or bool(_ON_IT.match(part))
        for part in (body, rest)
    )


def identify_turn(earlier: Sequence[Message], author: str, text: str) -> Identified:
    """identify() with the participants, the replied-to message and the author read from the earlier messages."""
    participants = list(dict.fromkeys(m.author for m in earlier))
    last = earlier[-1] if earlier else None
    replied = last.text if last is not None and last.author != author else None
    return identify(text, participants, replied, author=author)
