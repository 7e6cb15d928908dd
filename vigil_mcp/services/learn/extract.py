"""Offline extraction: what a resolved dialogue teaches, or why it teaches nothing.

Deterministic rules over the dialogue: the problem (the customer's first specific question, normalised),
its symptoms (the customer's words, redacted), the fix (`fix.find_fix`: the content-carrying analyst
turns the customer's confirmation follows, or the turns an analyst named), what analysts checked
before it, and the environment the customer named. Everything is redacted and stripped of names and
invisible characters before it leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vigil_mcp.models import Message
from vigil_mcp.services.learn.fix import Found, find_confirmation, find_fix, named_fix
from vigil_mcp.services.learn.keep import FEATURE_NAMES, keep_features, keep_model
from vigil_mcp.services.learn.turn_content import body_of, is_diagnostic
from vigil_mcp.services.redact import redact, strip_invisible
from vigil_mcp.services.skills.model import GeneratedBy
from vigil_mcp.services.text import problem_terms, specific_terms

MAX_PROBLEM_CHARS = 300
MAX_SYMPTOM_CHARS = 240
MAX_FIX_CHARS = 1200
MAX_SYMPTOMS = 4
MAX_TRIED = 5
MAX_TRIED_CHARS = 200
MAX_ENVIRONMENT = 6
# Informative words a problem needs to be recognised again: with one, it is a fragment ("delete what?").
# 2 rather than 3 on the fit labels (eval/labels/lessons/fit.jsonl): 3 dropped two lessons worth keeping.
MIN_PROBLEM_TERMS = 2
# The signal a found fix needs (fix.find_fix): 0.55 is a plain thanks to nobody in particular after an
# answer with no command, setting or link. Fitted on eval/labels/lessons/fit.jsonl with
# `bench/lesson_labels.py threshold`: kept share 69% with no floor, 76% from 0.60 (see docs/learning.md).
# Every labelled lesson was sampled above it, so the keep model (keep.py) is fitted on lessons above it too.
MIN_SIGNAL = 0.6

_VERSION = re.compile(
    r"\b(?:(?:ubuntu|kubuntu|xubuntu|debian|fedora|centos|rhel|windows|macos|python|php|node|ruby|java|go|"
    r"kernel|nginx|apache|postgres(?:ql)?|mysql|redis|kubernetes|k8s|openshift|docker|stripe(?:-\w+)?|api)"
    r"[ /-]?v?\d+(?:\.\d+)*\w*|v\d+\.\d+(?:\.\d+)*|\d+\.\d+\.\d+|(?:dapper|edgy|feisty|gutsy|hardy|intrepid|jaunty|"
    r"karmic|lucid|maverick|natty|oneiric|precise|quantal|raring|saucy|trusty|utopic|vivid|wily|xenial|yakkety|"
    r"zesty|artful|bionic|cosmic|disco|eoan|focal|jammy|noble)(?:\s+\w+)?)\b",
    re.IGNORECASE,
)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_PREAMBLE = re.compile(
    r"^(?:(?:hi|hello|hey|heya|hiya|yo|greetings|good\s+(?:morning|afternoon|evening))(?:\s+(?:all|everyone|everybody|"
    r"guys|folks|there|people|team|support))?[\s,!.:;-]*|(?:can|could)\s+(?:any|some)(?:one|body)\s+help(?:\s+me)?"
    r"(?:\s+(?:please|pls|plz))?\s*(?:[,!.?:;-]+\s*|$)|i\s+(?:need|could\s+use)\s+(?:a\s+(?:little\s+|bit\s+of\s+)?)?help"
    r"(?:\s+(?:please|pls|plz))?[\s,!.:;-]*|(?:a\s+)?quick\s+question[\s,!.:;-]*|question[\s,:;-]+|"
    r"i\s+(?:would|'d)\s+like\s+(?:if\s+)?(?:any|some)(?:one|body)\s+(?:can|could|to)\s+help\s+me(?:\s+to)?\s+)+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one resolved case teaches, before it becomes a lesson row."""

    problem: str
    symptoms: tuple[str, ...]
    environment: tuple[str, ...]
    tried: tuple[str, ...]
    fix: str
    fix_seqs: tuple[int, ...]
    confirmation_seq: int | None
    confirmed_by: str
    confidence: float
    generated_by: GeneratedBy = "vigil-offline"
    # The keep model's cues (keep.FEATURE_NAMES order) when the offline rules found the fix themselves.
    features: tuple[float, ...] = ()
    signal: float = 0.0  # fix.find_fix's confidence in the thanks (MIN_SIGNAL applies to it)
    # A skill name and description the extractor proposes (the Anthropic one does).
    skill_name: str | None = None
    skill_description: str | None = None


@dataclass(frozen=True, slots=True)
class NoLesson:
    """Why a resolved case teaches nothing."""

    reason: str


class Extractor(Protocol):
    """Turns a resolved dialogue into what it teaches, or the reason it teaches nothing."""

    def __call__(self, messages: Sequence[Message], resolution_seqs: Sequence[int] = ()) -> Extraction | NoLesson:
        """The extraction of a resolved dialogue."""
        ...


def scrub(text: str, names: Sequence[str]) -> str:
    """Redacted text on one line, without invisible characters or HTML comments, participants' names replaced."""
    text = _HTML_COMMENT.sub(" ", strip_invisible(text))
    for name in sorted({n for n in names if len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "someone", text, flags=re.IGNORECASE)
    return " ".join(redact(text).text.split())


def clip(text: str, limit: int) -> str:
    """Cut at a word boundary under `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def normalise_problem(text: str, names: Sequence[str]) -> str:
    """A customer's problem statement without addressing, greetings, "can anyone help?", names or secrets."""
    flat = scrub(body_of(text), names)
    flat = _PREAMBLE.sub("", flat).strip()
    flat = flat[:1].upper() + flat[1:]
    return clip(flat, MAX_PROBLEM_CHARS)


# "You mean it's not an active one?": a clarifying reply in a thread that started elsewhere, not a problem.
_CLARIFIES = re.compile(r"^\W*(?:(?:so|oh|ah|ok)\W+)?(?:(?:do|did)\s+)?(?:you|u)\s+mean\b", re.IGNORECASE)


# A statement that says something has a subject, a verb, a negation or a word of trouble ("my wifi drops", "it
# won't boot", "sound stopped after the update", "payments failing since today"); one with none is pasted output
# or a title ("adm dialout cdrom floppy audio", "Unsupported type of task operation", "Cpu[2 x AMD Phenom(tm) II
# X2 550 Processor]"): not a problem a later customer would state.
_SAYS = re.compile(
    r"\b(?:i|i'?m|im|i'?ve|ive|my|me|we|our|us|you|it|its|it'?s|is|are|was|were|be|been|am|can|could|do|does|did|"
    r"will|would|should|has|have|had|(?:is|are|was|were|has|have|had|do|does|did|ca|could|would|should|wo)n'?t|"
    r"cannot|not|no|never|nothing|how|what|why|where|when|which|who|need|want|"
    r"trying|try|tried|get|gets|got|getting|keeps?|seems?|there|this|that|help|please|any\w*|after|since|until|"
    r"because|but|then|fail\w*|error\w*|broke\w*|stuck|missing|crash\w*|stop\w*|work\w*|drop\w*|freez\w*|hang\w*|"
    r"wrong|lost|slow)\b",
    re.IGNORECASE,
)


def _problem_turns(messages: Sequence[Message]) -> list[Message]:
    """The customer's requests for help that name something, else statements that say enough (identify
    misses some problem reports); a clarifying reply ("you mean …?") or pasted output is neither."""
    customer = [m for m in messages if m.role == "customer" and not _CLARIFIES.match(body_of(m.text))]
    questions = [m for m in customer if m.kind == "question" and len(specific_terms(m.text)) >= 2]
    return questions or [
        m
        for m in customer
        if m.kind == "statement" and len(specific_terms(m.text)) >= 3 and _SAYS.search(body_of(m.text))
    ]


def extract(
    messages: Sequence[Message], resolution_seqs: Sequence[int] = (), *, min_confidence: float | None = None
) -> Extraction | NoLesson:
    """The lesson of a resolved dialogue, or why there is none (no problem, no confirmation, no fix).

    A fix the rules found (no `resolution_seqs`) needs the keep model's probability to reach
    `min_confidence` (default: the fitted floor); it becomes the lesson's confidence.
    """
    if not any(m.role in ("analyst", "bot") for m in messages):
        return NoLesson("no analyst turn in the dialogue")
    problems = _problem_turns(messages)
    if not problems:
        return NoLesson("no customer question or problem statement that says what is wrong")
    found: Found | None
    if resolution_seqs:
        found = named_fix(messages, resolution_seqs)
        if found is None:
            return NoLesson(
                "the messages named as the resolution carry no fix (greetings, acknowledgements or questions back)"
            )
    else:
        confirmed = find_confirmation(messages)
        if confirmed is None:
            return NoLesson(
                "no customer confirmation that a fix worked; name the analyst turns that solved it with "
                "resolution_message_ids"
            )
        found = find_fix(messages, problems[0].author, confirmed)
        if found is None:
            return NoLesson(
                "the customer's confirmation follows no analyst turn with content (a step, command, setting, link "
                "or explanation)"
            )
        if found.confidence < MIN_SIGNAL:
            return NoLesson(
                f"too weak a signal (confidence {found.confidence:.2f} < {MIN_SIGNAL:.2f}): a plain thanks, "
                "not to the analyst who answered, after an answer with no step in it"
            )
    names = sorted({m.author for m in messages})
    fix_start = found.fix[0].seq
    problems = [m for m in problems if m.seq < fix_start] or [
        m
        for m in messages
        if m.role == "customer" and m.seq < fix_start and m.kind == "question" and not _CLARIFIES.match(body_of(m.text))
    ]  # the problem comes before its fix; a remark after it is not the problem, nor is a clarifying reply
    if not problems:
        return NoLesson("no customer question or problem statement before the fix")
    # The problem this fix answers: the question it follows when that says enough, else the first problem.
    asked = next((m for m in problems if m.seq == found.asked_seq), None)

    def says_enough(m: Message) -> bool:
        return len(problem_terms(normalise_problem(m.text, names))) >= MIN_PROBLEM_TERMS

    told = [m for m in problems if m.seq < fix_start and says_enough(m)]
    first = asked if asked is not None and says_enough(asked) else None
    first = first or (told[0] if told else problems[0])
    later = [m for m in messages if m.role == "customer" and first.seq < m.seq < fix_start and m in problems]
    symptoms = [clip(scrub(m.text, names), MAX_SYMPTOM_CHARS) for m in [first, *later]][:MAX_SYMPTOMS]
    # The same factoid called twice is one step.
    fix = clip("\n".join(dict.fromkeys(scrub(body_of(m.text), names) for m in found.fix)), MAX_FIX_CHARS)
    problem = normalise_problem(first.text, names)
    if len(fix) < 3 or len(problem) < 10:
        return NoLesson("the problem or the fix is too short to teach anything")
    if len(problem_terms(problem)) < MIN_PROBLEM_TERMS:
        return NoLesson("the customer's problem statement is too vague to match a later case")
    confidence, features = found.confidence, ()
    if not resolution_seqs:
        cues = keep_features(messages, found, first, problem)
        features = tuple(cues[name] for name in FEATURE_NAMES)
        confidence = round(keep_model().probability(cues), 2)
        floor = keep_model().floor if min_confidence is None else min_confidence
        if confidence < floor:
            return NoLesson(
                f"an analyst would likely not keep this fix (keep model {confidence:.2f} < {floor:.2f}): "
                "a vague problem, or a fix that guesses, asks back, answers a later question or gives no step"
            )
    fixed = {m.seq for m in found.fix}
    tried = [
        clip(scrub(body_of(m.text), names), MAX_TRIED_CHARS)
        for m in messages
        if m.role == "analyst" and first.seq < m.seq < fix_start and m.seq not in fixed and is_diagnostic(m.text)
    ][:MAX_TRIED]
    env: list[str] = []
    for m in messages:
        if m.role != "customer":
            continue
        # From the redacted text: a version pattern must never pick three octets out of an address.
        for match in _VERSION.finditer(scrub(m.text, names)):
            fact = match.group(0).strip()
            if fact.lower() not in (e.lower() for e in env):
                env.append(fact)
    confirm = found.confirmation
    return Extraction(
        problem=problem, symptoms=tuple(dict.fromkeys(symptoms)), environment=tuple(env[:MAX_ENVIRONMENT]),
        tried=tuple(dict.fromkeys(tried)), fix=fix, fix_seqs=tuple(m.seq for m in found.fix),
        confirmation_seq=confirm.seq if confirm else None,
        confirmed_by="customer" if confirm else "analyst", confidence=confidence, features=features,
        signal=found.confidence,
    )  # fmt: skip
