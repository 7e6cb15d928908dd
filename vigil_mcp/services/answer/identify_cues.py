"""The readable cues of identify's request model: what in a customer turn says "this asks for help".

Each cue is a question about the turn that a reader can check by eye (does it end a clause with
"?", say what it needs, report a failure or an alert, paste an error, answer someone, stand in
the ticket's opening?). `request_features` turns a turn into these cues, in the order of
`FEATURES`; `identify_model.py` holds the weights fitted on labelled turns by `eval/fit_identify.py`.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from vigil_mcp.services.text import content_words, without_urls

Position = Literal["first", "opening", "later"]

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
    r"question|right\s*\?|correct\s*\?|possible|"
    # A bare call for help: "I have a small problem with ssh", "having issues with a Steam install".
    r"(i|we)\s+(have|got|had|'ve\s+got)\s+(a|an|one|some|two|few|a\s+few)\s+(\w+\s+)?(problems?|issues?|troubles?|questions?)|"
    r"(i'?m|im|we'?re|am|are)?\s*having\s+(\w+\s+){0,2}(problems?|issues?|troubles?|difficult\w*))\b",
    re.IGNORECASE,
)
# A need, a wish or an attempt: "I need to ...", "we'd like ...", "trying to ...", "looking for ...".
_WANT = re.compile(
    r"\b(i|we|i'?m|im|we'?re)\s+(really\s+|just\s+|still\s+|also\s+)?(need|needs|want|wanna|would\s+like|wish|"
    r"am\s+trying|are\s+trying|trying|tried\s+to|try\s+to|am\s+looking\s+for|are\s+looking\s+for|looking\s+for|"
    r"hoping|hope\s+to|am\s+attempting|attempting)\b|\b(i|we)'d\s+(like|love|prefer)\b|"
    r"^\W*(need|needs|want|wanna|trying|looking\s+for|hoping|attempting)\b",
    re.IGNORECASE,
)
# Asking for an action or a change: "please drain it", "can you bump ...", "we'd like maxmemory raised",
# "ok to kill it" (but "please ignore" asks nothing).
_CHANGE = re.compile(
    r"\b(please|pls|plz|kindly)\s+(?!ignore|disregard|don'?t\s+worry)(\w+\s+)?(\w+)\b|"
    r"\b(can|could|would|will)\s+(you|someone|somebody|anyone|u)\s+(please\s+)?\w+|"
    r"\b(want|need|needs|'d\s+like|would\s+like)\s+(\w+\s+){1,4}?(\w+ed|\w+en|done|set|reset|shut|put)\b|"
    r"^\W*(ok|okay|safe|fine|alright)\s+to\s+\w+",
    re.IGNORECASE,
)
# Not being able to, or not knowing how: "can't", "cannot figure out", "no idea which", "not sure how".
_INABILITY = re.compile(
    r"\b(can'?t|cant|cannot|can\s+not|could\s*n'?o?t|couldnt|unable\s+to|not\s+able\s+to|no\s+(idea|clue)|"
    r"not\s+sure|(don'?t|dont|do\s+not|didn'?t)\s+(know|understand|get|see)\s+(how|why|what|where|which|whether|if)|"
    r"fail(s|ed)?\s+to|no\s+way\s+to|struggling|lost\s+as\s+to)\b",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"\b(errors?|fail(s|ed|ing|ure|ures)?|broken|broke|breaks|crash(es|ed|ing)?|crashloop\w*|bug|"
    r"won'?t|wont\s+\w+|"
    r"(does|do|did|is|was|would|are|were)\s*n'?o?t\s+(work|start|boot|load|run|show|find|see|connect|respond|open|mount|"
    r"install|play|detect|recogni[sz]e|let|take|even|get)\w*|not\s+(working|loading|starting|booting|responding|ready|"
    r"running|found|detected|recogni[sz]ed|showing|arriving|receiving|appearing|updating|saving|accepting|getting|"
    r"picked|processed|syncing|connecting)|"
    r"nothing\s+(works|happens|shows|(has|had|is|was)\s+(been|being)\s+\w+ed)|"
    # What happens in place of what should: "shows a file listing instead of running index.php",
    # "man still shows everything in english".
    r"\w+s\s+[^.?!]{0,60}\binstead\s+of\s+\w+ing\b|\bstill\s+(shows|says|gives|does|has|is|comes|boots|uses|runs)|"
    # Symptoms: "sound stops working", "no longer boots", "the icons disappeared", "no sound", "a black screen".
    r"stop(s|ped)?\s+(working|responding)|no\s+longer|disappear\w*|vanish\w*|"
    r"no\s+(sound|audio|wifi|wireless|network|internet|connection|signal|display|video|picture|output)|"
    r"(black|blank)\s+screen|messed\s+up|screwed\s+up|out\s+of\s+(space|memory|inodes|disk)|"
    r"stuck|(stays?|remains?)\s+(in|at|on|stuck|blank|black|empty)\b|denied|refused|not\s+allowed|forbidden|unauthori[sz]ed|not\s+permitted|expired|"
    r"(lag|latency|leak\w*|backlog)\s+(of\s+)?\d|time[sd]?\s*out|timing\s+out|hangs?|hanging|hung|freez(e|es|ing)|froze|panic\w*|"
    r"exception|traceback|segfault|declined|rejected|invalid|missing|corrupt\w*|"
    r"keeps?\s+\w+ing|overwrit\w+|no\s+such|unexpected|slow(er)?|incomplete|troubles?|problems?|issues?)\b",
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
    r"Unschedulable|BackOff|Backoff|Killed|Latency|Panic|Timeout|Inactive|Missed|Offline|Unreachable|Stopped|"
    r"Blocked|Lagging|Delayed|Disconnected|Pending|Insufficient|Inconsistent|Invalid|Processed)\w*\b|"
    # Or any name of three or more capitalised parts (OVNKubernetesNorthdInactive, StorageClientHeartbeatMissed):
    # what an on-call engineer pastes; a product's own names have two (PaymentIntent, NetworkManager).
    r"\b[A-Z]+[a-z0-9]+(?:[A-Z]+[a-z0-9]+){2,}\b"
)
_ERROR_LINE = re.compile(
    r"^\W*([EW]:|(error|fatal|panic|kernel\s+pani\w*|exception|traceback|warning)\s*[:\-!])|"
    r"\b(?-i:FATAL|ERROR|Fatal|Error|E)\s*:\s|"
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
_CONTINUATION = re.compile(
    r"^[\s(]*(and|but|or|because|cause|since|like|for|with|when|if|then|which|as|to|of|in|on)\b|^[\s(]*[a-z]+\)|^\s*\*"
)
_CODE = re.compile(r"[{}();=<>\[\]|$#`\\]")


def reports_failure(text: str) -> bool:
    """Whether the text tells of a failure or a symptom ("nothing happens", "won't boot", "no sound")."""
    return bool(_FAILURE.search(text))


FEATURES: tuple[str, ...] = (
    "question_mark",
    "question_word",
    "auxiliary_start",
    "asking",
    "wanting",
    "change",
    "failure",
    "inability",
    "negation",
    "alert",
    "error_line",
    "since",
    "answer_start",
    "feedback",
    "continuation",
    "code",
    "log_line",
    "one_or_two_words",
    "terms",
    "addressed",
    "after_question",
    "first_turn",
    "opening",
    "opening_problem",
    "later_problem",
)


def request_features(
    body: str, *, addressed: bool, reply_to: str | None, position: Position = "later"
) -> tuple[float, ...]:
    """The model's cues for a turn's body, in the order of FEATURES (0/1 but `code` and `terms`).

    `reply_to`: the ticket's previous message when someone else wrote it; `position`: see position_of.
    """
    plain = without_urls(body)
    after_question = reply_to is not None and "?" in without_urls(reply_to)
    n = len(content_words(plain))
    error_line = bool(_ERROR_LINE.search(plain))
    failure, alert = bool(_FAILURE.search(plain)), bool(_ALERT.search(plain))
    wanting, inability = bool(_WANT.search(plain)), bool(_INABILITY.search(plain))
    # Code and pasted output: the share of code characters, and a line that starts like a log or a prompt.
    code = 10.0 * len(_CODE.findall(plain)) / max(len(plain.strip()), 1)
    log_line = not error_line and body.startswith(("  ", "\t", "<", "$", "{", "[", "#", ">"))
    opening = position != "later"
    cues = (
        bool(_ASKS.search(plain)),
        bool(_WH_CLAUSE.search(plain)),
        bool(_AUX_START.match(plain)),
        bool(_ASKING.search(plain)),
        wanting,
        bool(_CHANGE.search(plain)),
        failure,
        inability,
        bool(_NEGATION.search(plain)),
        alert,
        error_line,
        bool(_SINCE.search(plain)),
        bool(_ANSWER.match(plain)),
        # "didn't help", "same error": feedback on a fix, so only once someone else has written.
        not opening and bool(_FEEDBACK.search(plain)),
        bool(_CONTINUATION.match(body)),
    )
    context = (addressed, after_question)
    size = (float(n <= 2), math.log1p(n) / 3.0)
    # Before anyone answered, a problem, a need or an inability is what the customer came for; later,
    # one that does not answer a question may be a new problem or may be feedback (the fit weighs it).
    problem = failure or alert or error_line or wanting or inability
    where = (
        position == "first",
        position == "opening",
        opening and problem,
        not opening and not after_question and problem,
    )
    return (
        *(float(c) for c in cues),
        code,
        float(log_line),
        *size,
        *(float(c) for c in context),
        *(float(c) for c in where),
    )
