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
   mark, a question word at the start of a clause, words of asking, wanting, failure, alerts and
   error output, words of answering and of feedback on a fix, and whether the turn follows someone
   else's question (then it is likely an answer).
   Its weights and threshold are fitted on labelled real turns by `eval/fit_identify.py`
   (`identify_model.py`). What is not a request is chatter when it is an ack, a joke, a typo fix
   or a farewell, otherwise a statement.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from vigil_mcp.models import Message
from vigil_mcp.services.answer import identify_model
from vigil_mcp.services.text import content_words, without_urls

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

_THANKS = re.compile(
    r"\b(thanks?|thank\s*(you|u|ya)|thankyou|thx|thnx|thanx|tnx|ty|tyvm|tk|tks|cheers|appreciated?|much obliged|"
    r"(that|it|this)\s+(worked|works|did it|did the trick|fixed it|helped)"
    r"(?=\W*$|\W*[,.!;:]|\s+(now|perfectly|great|fine|again|thanks?)\b)|"
    r"works now|working now|fixed\s+(it|now)|solved|resolved(?!\s+to\b)|got it working|all good now|"
    r"(fine|good|stable|healthy|working|back up)\s+(now|again))\b",
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
    r"\b(can|could|would)\s+(you|someone|anyone|somebody)\b",
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
    match = _THANKS.search(body)
    if match is None:
        return bool(_TA.match(body))
    if "?" in body or _MORE.search(body):
        return False
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


# ---- 3. the request model -------------------------------------------------------------------------

_WH = r"(how|what|whats|what's|wat|why|where|when|which|who|whom|whose)"
_AUX = (
    r"(is|are|am|was|were|can|could|does|do|did|should|shall|would|will|has|have|had|may|might|must|"
    r"isn'?t|aren'?t|doesn'?t|don'?t|can'?t|won'?t|shouldn'?t|wouldn'?t|couldn'?t|didn'?t)"
)
# A clause starts at the beginning, after a sentence mark, or after a filler ("ok thanks! Do you ...").
_FILLER = r"\b(?:so|but|and|ok|okay|also|then|thanks|hmm|well|now|btw|or|maybe)\b[\s,]+"
_WH_CLAUSE = re.compile(r"(?:^\W*|[.!?;:]\s+|" + _FILLER + r")" + _WH + r"\b", re.IGNORECASE)
_AUX_START = re.compile(r"^\W*" + _AUX + r"\s+\w", re.IGNORECASE)
_ASKING = re.compile(
    r"\b(any\s*(one|body)\s+(know|knows|familiar|have|has|use|used|tried|here|able|can|could|help)|"
    r"some\s*(one|body)\s+(know|help|tell|point|explain|recommend|look|from)|is\s+there\s+(a|any|an)\b|"
    r"how\s+(do|can|to|would|should|does)|i\s+was\s+wondering|wondering\s+(if|whether|how)|"
    r"not\s+sure\s+(how|why|what|whether|where)|(don'?t|dont|do\s+not)\s+(know|understand|get)\s+(how|why|what|where|whether)|"
    r"(can|could|would|will)\s+(you|someone|anyone|somebody|u)\b|help|any\s+(suggestions?|ideas?|thoughts|advice|tips|pointers|clues?)|"
    r"what\s+now|what\s+should|recommend|suggest|advi[cs]e|please|pls|plz|need\s+(some\s+)?(help|support|assistance)|"
    r"question|right\s*\?|correct\s*\?|possible)\b",
    re.IGNORECASE,
)
_WANT = re.compile(
    r"\b(i|we)\s*('d|would|want|wanna|need|needs|'m\s+trying|am\s+trying|'re\s+trying|are\s+trying|try\s+to)\b",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"\b(errors?|fail(s|ed|ing|ure|ures)?|broken|broke|breaks|crash(es|ed|ing)?|crashloop\w*|bug|"
    r"(ca|wo)n'?t|cannot|can\s*not|unable|could\s*n'?o?t|"
    r"(does|do|did|is|was|would)\s*n'?o?t\s+(work|start|boot|load|run|show|find|see|connect|respond|open|mount|"
    r"install|play|detect|recogni[sz]e|let|take|even)\w*|not\s+(working|loading|starting|booting|responding|ready|running|"
    r"found|detected|recogni[sz]ed|showing)|nothing\s+(works|happens|shows)|"
    r"stuck|denied|refused|time[sd]?\s*out|timing\s+out|hangs?|hung|freez(e|es|ing)|froze|panic\w*|"
    r"exception|traceback|segfault|declined|rejected|invalid|missing|corrupt\w*|"
    r"keeps?\s+\w+ing|no\s+such|unexpected|slow(er)?|incomplete|troubles?|problems?|issues?)\b",
    re.IGNORECASE,
)
# A "?" that ends a clause (not one inside a query string or code).
_ASKS = re.compile(r"\?+(\s|$|[)\"'.!:;,])")
_NEGATION = re.compile(r"\b(not|no|never|nothing)\b|n't\b", re.IGNORECASE)
_ALERT = re.compile(
    # Alerting words, a percentage, and the state of a service: down, unavailable, full, 503s ...
    r"(?i:\b(firing|fired|alerts?|alerting|paged|severity|critical)\b|\[firing|\b\d{1,3}(\.\d+)?\s?%|"
    r"\b(down|outage|unavailable|unreachable|notready|not\s+ready|degraded|sealed|oom\w*|flapping|full|saturated|"
    r"lagging|spiking|climbing|rising|growing|backing\s+up|dropping|[45]\d\ds?)\b)|"
    # An alert's name: a CamelCase word that names a failure (KubePodCrashLooping, etcdMembersDown).
    r"\b(?=\w*[a-z][A-Z])\w*(Down|Fail|Error|High|Low|Full|FillingUp|NotReady|Degraded|Slow|Missing|Crash|Stuck|"
    r"Stale|Lost|Unhealthy|Unavailable|Dropping|Exceed|Exhaust|Burn|Mismatch|Absent|Flapping|Halted|Rejected|"
    r"Backlog|TooLong|Critical|Warning|Expir|Outdated|Pressure|Saturat|Quota|Budget|Restart|Evict|Throttl|"
    r"Unschedulable|BackOff|Backoff|Killed|Latency|Panic|Timeout)\w*\b"
)
_ERROR_LINE = re.compile(
    r"^\W*([EW]:|(error|fatal|panic|kernel\s+pani\w*|exception|traceback|warning)\s*[:\-!])|"
    r"\b\w+(?-i:Error|Exception)\b|\brpc\s+error\b|\bstatus\s+code\b|\bexit\s+(status|code)\b|"
    r"\b(failed|unable|could\s*n'?o?t|cannot)\s+to?\s*\w+|\bno\s+such\b|\bnot\s+found\b|\bcommand\s+not\b|"
    # Telling of one: "i got this error", "it throws an exception", "gives me a warning".
    r"\b(get|gets|got|getting|receive|received|see|seeing|throws?|throwing|gives?|giving|returns?|returning|shows?|"
    r"showing|says?|spits?)\b[^.?!]{0,30}\b(errors?|exceptions?|warnings?)\b",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"\b(since|after|again|started|suddenly|anymore|any\s+more|every\s+time|whenever|each\s+time|"
    r"keeps?|always)\b",
    re.IGNORECASE,
)
_ANSWER = re.compile(
    r"^\W*(yes|yeah|yea|yep|yup|no|nope|nah|correct|right|exactly|sure|i\s+did|i\s+have|i'?m\s+using|i\s+am\s+using|"
    r"i\s+use|it\s+is|it'?s|its|that'?s|this\s+is|here\s+is|here'?s|here\s+you\s+go|i\s+think|i\s+guess|i\s+suppose|"
    r"probably|maybe|because|cause|since|not\s+yet|just|only|like|well)\b",
    re.IGNORECASE,
)
_FEEDBACK = re.compile(
    r"\b(didn'?t|did\s+not|doesn'?t|does\s+not|not)\s+(help|work|change|fix|matter)\w*|"
    r"\bsame\s+(thing|problem|issue|error|result|situation|message|here)|\bstill\s+(the\s+)?same|no\s+luck|"
    r"(to\s+)?no\s+(avail|prevail)|no\s+difference|not\s+working\s+for\s+me|i\s+(tried|did)\s+(that|it|this)|"
    r"i'?ve\s+tried|i\s+have\s+tried|already\s+tried|didn'?t\s+move",
    re.IGNORECASE,
)
# A report about a system rather than a person ("etcd: members down", "pool saturated again").
_PERSON = re.compile(r"\b(i|i'm|im|i've|i'd|i'll|me|my|we|we're|our|us|you|your|u)\b", re.IGNORECASE)
_CONTINUATION = re.compile(
    r"^[\s(]*(and|but|or|because|cause|since|like|for|with|when|if|then|which|as|to|of|in|on)\b|^[\s(]*[a-z]+\)|^\s*\*"
)
_CODE = re.compile(r"[{}();=<>\[\]|$#`\\]")

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

FEATURES: tuple[str, ...] = (
    "question_mark",
    "question_word",
    "auxiliary_start",
    "asking",
    "wanting",
    "failure",
    "negation",
    "alert",
    "error_line",
    "since",
    "answer_start",
    "feedback",
    "system_report",
    "continuation",
    "code",
    "log_line",
    "one_or_two_words",
    "terms",
    "addressed",
    "after_question",
)


def request_features(body: str, *, addressed: bool, after_question: bool) -> tuple[float, ...]:
    """The model's cues for a turn's body, in the order of FEATURES (0/1 but `code` and `terms`)."""
    plain = without_urls(body)
    n = len(content_words(plain))
    error_line = bool(_ERROR_LINE.search(plain))
    failure, alert = bool(_FAILURE.search(plain)), bool(_ALERT.search(plain))
    # Code and pasted output: the share of code characters, and a line that starts like a log or a prompt.
    code = 10.0 * len(_CODE.findall(plain)) / max(len(plain.strip()), 1)
    log_line = not error_line and body.startswith(("  ", "\t", "<", "$", "{", "[", "#", ">"))
    cues = (
        bool(_ASKS.search(plain)),
        bool(_WH_CLAUSE.search(plain)),
        bool(_AUX_START.match(plain)),
        bool(_ASKING.search(plain)),
        bool(_WANT.search(plain)),
        failure,
        bool(_NEGATION.search(plain)),
        alert,
        error_line,
        bool(_SINCE.search(plain)),
        bool(_ANSWER.match(plain)),
        bool(_FEEDBACK.search(plain)),
        (failure or alert) and not _PERSON.search(plain),
        bool(_CONTINUATION.match(body)),
    )
    context = (addressed, after_question)
    size = (float(n <= 2), math.log1p(n) / 3.0)
    return (*(float(c) for c in cues), code, float(log_line), *size, *(float(c) for c in context))


def request_probability(features: Sequence[float]) -> float:
    """The fitted model's probability that a body with these features is a request for help."""
    z = identify_model.INTERCEPT + sum(w * x for w, x in zip(identify_model.WEIGHTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def identify(text: str, participants: Sequence[str] = (), reply_to: str | None = None) -> Identified:
    """Identify one customer turn.

    `participants`: the names of whoever wrote in the ticket before (only they can be addressed);
    `reply_to`: the ticket's previous message when someone else than this turn's author wrote it.
    """
    addressed, body = split_address(text, participants)
    n = len(content_words(body))
    kind = rule_kind(body)
    score = 0.0
    if kind is None:
        cues = request_features(
            body,
            addressed=addressed is not None,
            after_question=reply_to is not None and "?" in without_urls(reply_to),
        )
        score = request_probability(cues)
        if score >= identify_model.THRESHOLD:
            kind = "question"
        elif _CHATTER.match(body) or _TYPO_FIX.match(body):
            kind = "chatter"
        else:
            kind = "statement"
    return Identified(kind=kind, addressed_to=addressed, body=body, content_terms=n, score=round(score, 4))


def identify_turn(earlier: Sequence[Message], author: str, text: str) -> Identified:
    """identify() with the participants and the message replied to read from the ticket's earlier messages."""
    participants = list(dict.fromkeys(m.author for m in earlier))
    last = earlier[-1] if earlier else None
    return identify(text, participants, last.text if last is not None and last.author != author else None)
