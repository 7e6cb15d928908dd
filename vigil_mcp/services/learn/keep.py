"""Would an analyst keep this lesson? A logistic model over readable cues of the problem, the fix and the thanks.

The offline extractor's rules find a fix; this model says how likely an on-call analyst would keep it
(eval/labels/lessons/GUIDE.md), from cues any support chat has: how specific the problem is, whether the
fix gives a step, hedges, talks about the helper, asks back or refers elsewhere, whether the customer said
it worked and to whom, what the customer said between the fix and the thanks (and whether it was a fix of
their own), how far the fix is from the problem and the thanks, and whether it answers the first problem or
a later one. Weights and the floor a lesson needs are fitted on the labelled lessons by
`eval/fit_lessons.py` and shipped in `vigil_mcp/data/lesson_keep.json`.

Pure functions; the model file is read once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from vigil_mcp.models import Message
from vigil_mcp.services.learn.fix import Found, customer_terms
from vigil_mcp.services.learn.turn_content import (
    FIRST_PERSON,
    asks_about,
    asks_back,
    body_of,
    carries_content,
    deflects,
    gives_step,
    hedges,
)
from vigil_mcp.services.text import problem_terms, specific_terms

FEATURE_NAMES = (
    "worked",  # the customer said it worked ("that worked", "fixed"), not only thanks
    "thanked_author",  # the thanks names the fix's author
    "thanked_other",  # the thanks names someone else (the fix is another helper's)
    "step",  # the fix gives a command, a setting or path, or a telling link
    "fix_words",  # log of the fix's length in words
    "fix_short",  # four words or fewer ("disable ra", "go cd Desktop")
    "hedged",  # a guess or preference anywhere in the fix
    "asks_back",  # the fix asks the customer something (a question that proposes a step does not)
    "first_person",  # the helper talks about themselves ("I deployed radius", "I've not used")
    "bot",  # the fix is a bot's factoid
    "problem_terms",  # informative words in the problem, up to 10, over 10
    "problem_asks",  # the problem asks ("?", how/what/why/where/can ...)
    "problem_continues",  # the problem opens like a reply ("ok...", "so", "whereas") or leans on another turn ("this")
    "problem_first",  # no customer request comes before the problem (it is the first, asked or reported)
    "problem_overlap",  # share of the fix's informative words that the problem (or its question) used
    "span",  # log of the turns from the problem to the fix (a helper's "looking at it" or "hi" does not count)
    "gap",  # log of the turns from the fix to the thanks
    "customer_between",  # the customer wrote between the fix and the thanks (log of the turns)
    "objected",  # ... and one of those turns says no or that it still fails
    "deflect_before",  # the last helper turn before the thanks deflects ("not sure, ask in #networking")
    "earlier_thanks",  # the customer had thanked someone before the answer (the fix may repeat or follow it)
    "later_questions",  # log of the customer's new questions between the problem and the fix (a side question?)
    "other_answers",  # log of other helpers' content turns between the problem and the fix (the answer elsewhere?)
    "opinion",  # "usually", "should be able to", "that is what I do": a habit or a belief, not a step
    "objected_after",  # the confirmation, or one of the customer's next turns after it, says no or that it still fails
    "refers",  # the fix sends the customer elsewhere: support, an issue tracker, a forum, a list, another channel
    "self_fixed",  # the customer says what they did themselves, naming what the fix did not ("I deleted the plugin")
)
# The direction each cue's meaning gives it (+1 more likely kept, -1 less, 0 either): the fit may not turn a
# cue against its meaning. On a few hundred noisy labels a free fit did ("the customer said it worked" and "a
# specific problem" weighed against keeping, -0.22 and -0.33), so that a textbook case (a specific problem, one
# step, "That worked, thanks!") scored below the floor; a weight the labels push past zero is set to zero.
DIRECTION: dict[str, int] = {
    "worked": 1, "thanked_author": 1, "thanked_other": -1, "step": 1, "fix_words": 0, "fix_short": 0,
    "hedged": -1, "asks_back": -1, "first_person": -1, "bot": 0, "problem_terms": 1, "problem_asks": 0,
    "problem_continues": -1, "problem_first": 1, "problem_overlap": 1, "span": -1, "gap": -1,
    "customer_between": -1, "objected": -1, "deflect_before": -1, "earlier_thanks": -1, "later_questions": -1,
    "other_answers": -1, "opinion": -1, "objected_after": -1, "refers": -1, "self_fixed": -1,
}  # fmt: skip
_ASKS = re.compile(r"\?|^\W*(?:how|what|why|where|which|when|who|can|could|is|are|does|do|should|will|would)\b", re.I)
_CONTINUES = re.compile(
    r"^\W*(?:ok(?:ay)?|so|and|but|also|then|yes|yeah|no|well|oh|ah|hmm+|uhm+|um+|or|plus|whereas|where\s+as|because|"
    r"cause|except|otherwise|instead|iirc|not\s+(?:an?|the|that|this|really|quite|exactly)|"
    r"that(?:'?s|s|\s+(?:was|is|did|does|didn'?t|doesn'?t|won'?t|isn'?t|wasn'?t|would|will|makes|means|sounds|seems|works?|worked)))\b",
    re.I,
)  # a reply or the middle of a thought: "where as this payment intent shows as failed", "not an option. these ...",
# or a reaction to another turn ("that was what happened when i typed groups", "thats sad :( ... but")
# A short problem that leans on what it does not say: "can I change this behaviour?", "what does that do?",
# "delete what?", "I got this error <link>": its object is in another turn (or a screenshot).
_LEANS = re.compile(
    r"\b(?:this|that|these|those|such)\b(?:\s+\w+)?\W*$|\b(?:what|which|where)\s+(?:does|do|is|are)\s+(?:that|this|it)\b|"
    r"^\W*\w+\s+what\b|\b(?:this|that)\s+(?:behaviou?r|error|problem|issue|thing|one|message|stuff)\b",
    re.I,
)
_LEANS_TERMS = 3  # informative words at most: a longer problem says enough around its "this"
_OBJECTS = re.compile(
    r"^\W*(?:no|nope|nah)\b|\b(?:doesn'?t|does\s+not|didn'?t|did\s+not|not\s+work\w*|still|same\s+(?:error|problem)|"
    r"there\s+is\s+no|isn'?t|can'?t|cannot|nothing)\b",
    re.IGNORECASE,
)
_AFTER = 3  # customer turns after the confirmation that still tell whether the fix held
_ACKNOWLEDGES = re.compile(
    r"^\W*(?:\w+\W+)?(?:ok(?:ay)?|i\s+see|got\s+it|that'?s\s+clear|makes\s+sense|thanks?|thank\s+you|thx)\b", re.I
)  # a problem that opens by acknowledging an earlier answer ("ouh ok, that's clear now, so ...") is a reply
_REFERS = re.compile(
    r"\b(?:write\s+(?:in|into|to)|reach\s+out\s+to|contact\s+(?:support|us|the|your)|e-?mail\s+(?:support|us)|"
    r"(?:open|file|raise|submit|report)\s+(?:(?:a|an)\s+)?(?:\w+\s+)?(?:issue|bug|ticket)|bug\s+report|"
    r"forums?|mailing\s+list|support\s+(?:team|channel)|/issues\b|support\.\w|"
    r"(?:ask|try|join|support|discuss\w*|help|question)\s+(?:\w+\s+){0,3}(?:in|on|at)\s+#\w|"
    r"better\s+(?:question|place|asked)\s+(?:for|in|on|at)|(?:is|are)\s+where\s+(?:the\s+)?(?:users|people|folks))",
    re.IGNORECASE,
)  # "Support in #ubuntu+1", "try in #ubuntu+1, that's where users of 14.10 are", "a better question for Support"
# The customer did it themselves: "I deleted the 1.4 GNU plugin", "I managed ... using winscp", "this worked for me:
# -exec sh -c ...". Counted only when the words after it name something the fix and the problem did not, so
# "I installed it, works now" (the fix, applied) is not.
_SELF_FIX = re.compile(
    r"\b(?:i|i'?ve|i\s+have|i\s+had\s+to|we)\s+(?:just\s+|finally\s+|then\s+|also\s+|simply\s+|actually\s+)?"
    r"(?:managed|fixed\s+it\s+(?:by|with)|solved\s+it\s+(?:by|with)|got\s+it\s+(?:to\s+work|working)\s+(?:by|with)|deleted|"
    r"removed|reset|ran|installed|reinstalled|uninstalled|changed|added|edited|switched|used|replaced|rebooted|restarted|"
    r"updated|upgraded|downgraded|disabled|enabled|created|moved|renamed|compiled|built|typed|killed|purged|unplugged|"
    r"plugged|chose|selected|went\s+with|found\s+(?:a|the|my)\s+(?:fix|solution|answer|way|culprit))\b|"
    r"\b(?:this|what|that)\s+(?:finally\s+)?worked\s+for\s+me\b|\bi'?m\s+using\b|\bim\s+using\b",
    re.IGNORECASE,
)
_THANKS = re.compile(r"\b(?:thanks?|thank\s*(?:you|u)|thx|ty|cheers)\b", re.IGNORECASE)
_OPINION = re.compile(
    r"\b(?:usually|generally|normally|typically|should(?:n'?t)?\s+(?:be\s+able|be\s+necessary|work)|"
    r"(?:that'?s|that\s+is|is)\s+what\s+i\s+(?:do|use|did)|i\s+(?:use|prefer|like|love|recommend)|"
    r"(?:is|are)\s+(?:good|nice|better|great|best)|a\s+good\s+idea)\b",
    re.IGNORECASE,
)


def _log_scale(n: int, top: int) -> float:
    """log(1 + n) / log(1 + top), capped at 1."""
    return min(1.0, math.log1p(max(0, n)) / math.log1p(top))


def keep_features(messages: Sequence[Message], found: Found, problem: Message, problem_text: str) -> dict[str, float]:
    """The cues of one lesson: its dialogue, the fix `found`, the customer turn it answers and its normalised text."""
    fix = found.fix
    text = "\n".join(body_of(m.text) for m in fix)
    seqs = [m.seq for m in messages]
    at_fix, at_last = seqs.index(fix[0].seq), seqs.index(fix[-1].seq)
    confirm = found.confirmation
    at_confirm = seqs.index(confirm.seq) if confirm is not None else at_last + 1
    between = [m for m in messages[at_last + 1 : at_confirm] if m.role == "customer"]
    helpers = [m for m in messages[at_last + 1 : at_confirm] if m.role in ("analyst", "bot")]
    after = [m for m in messages[at_confirm + 1 :] if m.role == "customer"][:_AFTER]
    reaction = ([confirm] if confirm is not None else []) + after
    authors = {m.author.lower() for m in fix}
    thanked = _thanked(confirm, messages)
    fix_terms = set(specific_terms(text))
    asked = set(specific_terms(problem.text)) | set(problem_terms(problem_text))
    customer = [m for m in messages if m.role == "customer"]
    requests = [m for m in customer if m.kind == "question"]
    words = len(text.split())
    before = messages[seqs.index(problem.seq) + 1 : at_fix]
    vocabulary = customer_terms(messages)
    helper_turns = [m for m in before if m.role in ("analyst", "bot") and m.author.lower() not in authors]

    def carries(m: Message) -> bool:
        return carries_content(m.text, m.role, vocabulary)

    others = [m for m in helper_turns if carries(m)]
    return {
        "worked": float(found.strength == "worked"),
        "thanked_author": float(thanked is not None and thanked in authors),
        "thanked_other": float(thanked is not None and thanked not in authors),
        "step": float(any(gives_step(m.text) for m in fix)),
        "fix_words": _log_scale(words, 100),
        "fix_short": float(words <= 4),
        "hedged": float(any(hedges(m.text) for m in fix)),
        "asks_back": float(any(asks_back(m.text) for m in fix)),
        "first_person": float(len(FIRST_PERSON.findall(text)) >= 1),
        "bot": float(all(m.role == "bot" for m in fix)),
        "problem_terms": min(len(problem_terms(problem_text)), 10) / 10,
        "problem_asks": float(bool(_ASKS.search(problem_text))),
        "problem_continues": float(_continues(body_of(problem.text), problem_text)),
        "problem_first": float(not any(m.seq < problem.seq for m in requests)),
        "problem_overlap": len(fix_terms & asked) / len(fix_terms) if fix_terms else 0.0,
        "span": _log_scale(1 + sum(1 for m in before if m.role == "customer" or carries(m)), 40),
        "gap": _log_scale(at_confirm - at_last - 1, 20),
        "customer_between": _log_scale(len(between), 10),
        "objected": float(any(_OBJECTS.search(body_of(m.text)) for m in between)),
        "deflect_before": float(bool(helpers) and deflects(helpers[-1].text)),
        "earlier_thanks": float(any(_THANKS.search(m.text) for m in customer if problem.seq < m.seq < fix[0].seq)),
        "later_questions": _log_scale(sum(1 for m in before if asks_about(m)), 10),
        "other_answers": _log_scale(len(others), 10),
        "opinion": float(bool(_OPINION.search(text))),
        "objected_after": float(any(_OBJECTS.search(body_of(m.text)) for m in reaction)),
        "refers": float(bool(_REFERS.search(text))),
        "self_fixed": float(_self_fixed(messages[at_last + 1 : at_confirm + 1] if confirm else [], fix_terms | asked)),
    }


def _continues(body: str, problem_text: str) -> bool:
    """Whether the problem opens like a reply or the middle of a thought, or is short and leans on another turn."""
    if _CONTINUES.match(body) or _ACKNOWLEDGES.match(body):
        return True
    return bool(_LEANS.search(problem_text)) and len(problem_terms(problem_text)) <= _LEANS_TERMS


def _self_fixed(turns: Sequence[Message], known: set[str]) -> bool:
    """Whether a customer turn from the fix to the confirmation says what the customer did themselves, naming
    something the fix and the problem did not (`known`)."""
    for m in turns:
        if m.role != "customer":
            continue
        body = body_of(m.text)
        said = _SELF_FIX.search(body)
        if said is not None and any(t not in known for t in specific_terms(body[said.end() :])):
            return True
    return False


def _thanked(confirm: Message | None, messages: Sequence[Message]) -> str | None:
    """The helper the confirmation names first (its "nick:" prefix or a handle in it), lower case, or None.

    Handles are a set: the choice must not depend on its order (it did, and a lesson's cues changed from run
    to run with the hash seed)."""
    if confirm is None:
        return None
    handles = {m.author.lower() for m in messages if m.role in ("analyst", "bot")}
    lowered = confirm.text.lower()
    named: list[tuple[int, int, str]] = []  # (where, -length, handle): the first named, the longest at a tie
    for handle in handles:
        found = re.search(rf"(?<![\w-]){re.escape(handle)}(?![\w-])", lowered) if len(handle) > 1 else None
        if found is not None:
            named.append((found.start(), -len(handle), handle))
    return min(named)[2] if named else None


class KeepModelError(ValueError):
    """The model file is not what `eval/fit_lessons.py` writes."""


@dataclass(frozen=True, slots=True)
class KeepModel:
    """Logistic weights over `FEATURE_NAMES` and the probability floor a lesson needs (both fitted)."""

    bias: float
    weights: Mapping[str, float]
    floor: float
    source: str = ""

    def probability(self, features: Mapping[str, float]) -> float:
        """P(an analyst would keep the lesson)."""
        z = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def parse_keep_model(data: Any, origin: str) -> KeepModel:
    """A KeepModel from decoded JSON, or KeepModelError naming what is wrong."""
    if not isinstance(data, dict):
        raise KeepModelError(f"{origin}: not a JSON object")
    raw = cast(dict[str, Any], data)
    try:
        weights = {str(k): float(v) for k, v in cast(dict[str, Any], raw["weights"]).items()}
        model = KeepModel(float(raw["bias"]), weights, float(raw["floor"]), str(raw.get("source", origin)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KeepModelError(f"{origin}: the keep model needs bias, weights and floor ({exc})") from exc
    if set(weights) != set(FEATURE_NAMES):
        raise KeepModelError(f"{origin}: weights must be exactly {', '.join(FEATURE_NAMES)}")
    if not 0.0 <= model.floor < 1.0:
        raise KeepModelError(f"{origin}: need 0 <= floor < 1")
    return model


@cache
def keep_model() -> KeepModel:
    """The fitted model shipped with vigil (vigil_mcp/data/lesson_keep.json)."""
    text = (resources.files("vigil_mcp") / "data" / "lesson_keep.json").read_text(encoding="utf-8")
    return parse_keep_model(json.loads(text), "vigil_mcp/data/lesson_keep.json")
