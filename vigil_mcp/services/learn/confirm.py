"""Whether a customer turn confirms that a fix worked, and how strongly.

Finer than the `thanks` kind of `identify.identify`: "that worked, thanks" confirms a fix; "thanks" alone
is polite and usually means it helped; "thanks, I'll try that", "thanks anyway" or "thanks, but it still
fails" confirm nothing. Only a confirmation resolves a ticket by signal, and only the turns it follows
can be a lesson's fix. A confirmation the customer takes back ("thanks" and then "no, still nothing")
is no confirmation (`taken_back`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from vigil_mcp.models import Message
from vigil_mcp.services.text import content_words

Strength = Literal["worked", "thanks"]
MAX_THANKS_WORDS = 12  # content words; a longer turn with a "thanks" in it is about something else
TAKE_BACK_TURNS = 3  # the customer's turns after a confirmation that can still take it back

# It worked: the customer reports the outcome.
_WORKED = re.compile(
    r"\b(?:(?:that|it|this|which|you)\s+(?:worked|works|did\s+it|did\s+the\s+trick|fixed\s+it|solved\s+it|helped)"
    r"|works?\s+(?:now|great|fine|perfectly|again)|working\s+(?:now|again|fine)|(?:all\s+)?(?:fixed|solved|sorted)"
    r"(?:\s+(?:it|now))?\b|problem\s+solved|got\s+it\s+(?:working|going|to\s+work)|is\s+back|it'?s\s+back"
    r"|that\s+was\s+it|(?:it'?s|it\s+is|that'?s|thats)\s+(?:installing|running|up|working)|no\s+more\s+errors?"
    r"|that\s+did\s+it"
    # What worked, named: "installing binutils worked", "the second one worked" (not "never worked", "worked before").
    r"|(?<!never\s)(?<!not\s)(?<!n't\s)\bworked)\b",
    re.IGNORECASE,
)
# An exclamation confirms only as a short turn of its own ("perfect!", "yay, thanks"); in a sentence
# ("I use VLC, which I found excellent") it is an opinion.
_EXCLAIM = re.compile(
    r"\b(?:perfect|brilliant|awesome|excellent|great\s+success|success|bingo|yay|there\s+we\s+go)\b", re.IGNORECASE
)
MAX_EXCLAIM_WORDS = 4  # content words
# It did not, or not yet: polite words that confirm nothing.
_NOT_YET = re.compile(
    r"\b(?:but|however|though|still|anyway|anyways|w/e|regardless|nevertheless|no\s+luck|not\s+(?:working|work|"
    r"fixed|solved|yet|really|quite|sure)|doesn'?t|does\s+not|didn'?t|did\s+not|"
    r"(?:i'?ll|i\s+will|will|going\s+to|gonna|let\s+me|i'?m\s+going\s+to)\s+(?:try|check|look|see|test|give|read|make\s+an\s+attempt|"
    r"come\s+back|report\s+back|get\s+back|let\s+you\s+know)|(?:thanks?|thank\s+you)\s+so\s+far|so\s+far\s+(?:thanks?|thank\s+you)"
    r"|for\s+trying|someone\s+else|somewhere\s+else|elsewhere|no\s+idea|same\s+(?:error|problem|thing)"
    r"|fails?|failed|broken|nvm|never\s*mind|figured\s+(?:it\s+)?out|on\s+my\s+own|myself|trythat"
    r"|how\s+(?:it|this|that)\s+works|until|used\s+to|all\s+the\s+time|test\s+is\s+running"
    r"|already\s+(?:knew|know|tried|did|done|have|had)"  # "I already knew that. Thank you": nothing new
    r"|worked\s+(?:before|earlier|yesterday|last\s+(?:week|night|time)))\b",  # a story of when it still worked
    re.IGNORECASE,
)
# The customer takes a confirmation back: a later turn says the fix did not work after all ("no, still nothing",
# "it still doesn't work after a reboot", "same error"). Narrower than a "no" or a "can't": those start new
# questions as often ("no, I meant the other one", "why can't I see the share").
_TAKES_BACK = re.compile(
    r"^\W*(?:no|nope|nah)\b\W*(?:it\s+|that\s+)?(?:still|doesn'?t|does\s+not|didn'?t|did\s+not|not|nothing|same|isn'?t|won'?t)\b"
    r"|\bstill\s+(?:nothing|no\s+(?:luck|sound|signal|change|go|joy)|not\s+(?:working|work|fixed|solved)|doesn'?t|does\s+not|"
    r"didn'?t|did\s+not|won'?t|can'?t|cannot|isn'?t|fails?|failing|broken|the\s+same|same|get(?:ting)?\s+(?:the\s+)?(?:same\s+)?"
    r"(?:error|problem|message))|\b(?:doesn'?t|does\s+not|didn'?t|did\s+not)\s+(?:work|help|fix|change|do\s+(?:it|anything))\b"
    r"|\bnot\s+working\b|\bno\s+luck\b|\bsame\s+(?:error|problem|issue|result|thing)\b|\bnothing\s+(?:changed|happens|happened)\b"
    # What it named is wrong or not there ("tk-dev is wrong though", "E: Couldn't find package"),
    # or the customer is still at it ("i'm still searching in google"): the step did not do it.
    r"|\b(?:is|was|are|were)\s+(?:still\s+)?(?:wrong|not\s+(?:right|correct|found|there|available))\b"
    r"|\bwrong\s+(?:package|name|command|path|file|version|one)\b|\b(?:couldn'?t|could\s+not|unable\s+to)\s+(?:find|locate)\b"
    r"|\bstill\s+(?:searching|looking|trying|stuck|struggling|waiting|seeing|getting|having)\b"
    r"|\b(?:it|that|this)\s+(?:didn'?t|did\s+not|doesn'?t|does\s+not|won'?t)\W*$",  # "I did. and it did not"
    re.IGNORECASE,
)
_THANKS = re.compile(r"\b(?:thanks?|thank\s*(?:you|u)|thx|thnx|thanx|tnx|ty|tyvm|cheers|appreciated?)\b", re.I)
_ADDRESS = re.compile(r"^\s*@?([\w\[\]\\`^{}|.-]{2,32})\s*[:,]\s+")


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A customer turn that says the fix worked: how strongly, and whom it thanks (a handle), if anyone."""

    strength: Strength
    addressed_to: str | None


def confirmation(text: str, handles: frozenset[str] = frozenset()) -> Confirmation | None:
    """The confirmation in a customer turn, or None; `handles` are the analysts' names (lower case)."""
    body = text.strip()
    if not body or len(body) > 400 or "?" in body:
        return None  # a confirmation is short and asks nothing
    addressed = _addressee(body, handles)
    if _NOT_YET.search(body):
        return None
    if _WORKED.search(body) or (_EXCLAIM.search(body) and len(content_words(body)) <= MAX_EXCLAIM_WORDS):
        return Confirmation("worked", addressed)
    if _THANKS.search(body) and len(content_words(body)) <= MAX_THANKS_WORDS:
        return Confirmation("thanks", addressed)
    return None


def takes_back(text: str) -> bool:
    """Whether a customer turn after a confirmation says the fix did not work after all ("no, still nothing")."""
    return bool(_TAKES_BACK.search(_ADDRESS.sub("", text.strip(), count=1)))


def taken_back(messages: Sequence[Message], at: int) -> bool:
    """Whether the customer takes back the confirmation at `messages[at]`: one of their next TAKE_BACK_TURNS
    turns, before they confirm again, says the fix did not work ("thanks" ... "no, still nothing").

    A rule, not a cue of the keep model: a confirmation the customer takes back confirms nothing (as a weak cue,
    `objected_after`, such a lesson was still learned at 0.74, above the floor).
    """
    author = messages[at].author
    later = [m for m in messages[at + 1 :] if m.role == "customer" and m.author == author][:TAKE_BACK_TURNS]
    for msg in later:
        if confirmation(msg.text) is not None:
            return False
        if takes_back(msg.text):
            return True
    return False


def _addressee(body: str, handles: frozenset[str]) -> str | None:
    match = _ADDRESS.match(body)
    if match and match.group(1).lower() in handles:
        return match.group(1).lower()
    lowered = body.lower()
    # The first handle the turn names (the longest where two start together): never set order, which
    # changes from run to run.
    named = [
        (found.start(), -len(handle), handle)
        for handle in handles
        if (found := re.search(rf"(?<![\w-]){re.escape(handle)}(?![\w-])", lowered))
    ]
    return min(named)[2] if named else None
