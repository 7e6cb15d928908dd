"""An alert report is answered with what its runbook says to do, not with what the alert means.

A runbook first describes its alert (Meaning, Impact, Summary, ...) and then says what to do
(Diagnosis, Mitigation, Resolution, ...). The describing part shares the most words with a report of
that alert ("ODFDiskUtilizationHigh on one of the OSD disks, 95 % util"), so it is often the passage
the judge likes best; but whoever pastes the alert already knows what it means, and a reply that
restates it helps nobody. When the chosen passage describes and the customer does not ask what the
describing part tells (what it means, what it affects), the reply is made from the runbook's first
part that says what to do, and cites that part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil_mcp.services.answer.compose import MAX_CHARS as REPLY_CHARS
from vigil_mcp.services.knowledge.chunking import section_parts
from vigil_mcp.services.knowledge.passages import Passage, says_something, split_passages, split_sentences

# The parts of a runbook that describe its alert, by heading (lower case, the last path component).
_DESCRIBES = re.compile(
    r"^(meaning|impact|summary|overview|background|description|introduction|intro|about|symptoms?|context|"
    r"what (is )?(this|the) alert( means)?|alert (meaning|description))$"
)
# The parts that say what to do.
_ACTS = re.compile(
    r"diagnos|mitigat|resol|troubleshoot|remedia|workaround|solution|\bfix|what to do|how to|"
    r"recommended actions?|procedure|\bsteps?\b|possible checks|\bchecks?\b|investigat|debug|recover"
)
# What a describing part answers: the customer asks what the alert means, or what it affects.
# ("what is X?", "what does X mean / indicate", "explain X"; not "what is the fix?" or "what's wrong")
_ASKS_MEANING = re.compile(
    r"\bmean(s|ing)?\b|\bexplain|\bwhat\s+does\b.*\b(say|indicate|signify)\b|"
    r"\bwhat\s+(is|are|'s)\s+(?!(?:the\s+)?(?:wrong|fix|solution|problem|issue|cause|reason|workaround|way|going)\b)"
    r"(an?\s+|the\s+|this\s+)?[\w.-]+(\s+alerts?)?\s*\??\s*$"
)
_ASKS_IMPACT = re.compile(
    r"\b(impact|affect(s|ed)?|serious|severe|dangerous|harm(ful)?|safe\s+to\s+ignore|ignore\s+it|matter|urgent)\b"
)
# A sentence that tells the reader to do something, as runbooks write their steps.
_INSTRUCTION = re.compile(
    r"^\s*(?:(?:first|then|next|also|now|finally|if\s+[^,]{1,80},)\s*)?(?:check|run|review|verify|identify|inspect|"
    r"look|log\s*in|login|restart|delete|scale|increase|decrease|add|remove|set|edit|ensure|confirm|make|use|open|"
    r"find|monitor|investigate|collect|gather|contact|escalate|follow|see|try|apply|update|upgrade|move|drain|"
    r"cordon|uncordon|reboot|wait|determine|examine|compare|query|fix|silence|disable|enable|replace|clean|free|"
    r"expand|resize|reduce|rollback|roll\s+back|revert|create|patch|obtain|get|list|describe)\b",
    re.IGNORECASE,
)
MAX_CHARS = 900  # of the steps handed to the engine (the offline compose keeps at most ~600)
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s")  # "1. Identify the outdated VMIs:" (a step of a procedure)


@dataclass(frozen=True, slots=True)
class Steps:
    """The runbook part to answer from: its heading and the passages that say something, in order."""

    heading: str
    passages: tuple[Passage, ...]

    @property
    def text(self) -> str:
        """The part's passages joined as the engine reads them, bounded at a passage."""
        out = ""
        for p in self.passages:
            if out and len(out) + len(p.text) + 1 > MAX_CHARS:
                break
            out = f"{out}\n{p.text}" if out else p.text
        return out

    @property
    def form(self) -> str:
        """The first passage's form, as the engine composes it (a step, a command, prose)."""
        return self.passages[0].kind


def leaf(section: str) -> str:
    """The last component of a section path, without a "(part n)" suffix, lower case."""
    return shown_leaf(section).lower()


def describes(heading: str, title: str) -> bool:
    """Whether a part of a runbook titled `title` under `heading` describes the alert: a describing
    heading, or the text under the runbook's own title before any part."""
    h = heading.strip().lower()
    return bool(_DESCRIBES.match(h)) or (bool(h) and h == title.strip().lower())


def acts(heading: str) -> bool:
    """Whether a part under `heading` says what to do."""
    return bool(_ACTS.search(heading.strip().lower()))


def asks_what_it_describes(question: str, heading: str) -> bool:
    """Whether the customer asks what a describing part tells: its meaning, or (for Impact) its effect."""
    q = question.lower()
    if _ASKS_MEANING.search(q):
        return True
    return leaf(heading) == "impact" and bool(_ASKS_IMPACT.search(q))


def passage_of(passages: Sequence[Passage], text: str) -> Passage | None:
    """The passage of a body whose text is `text` (a list item's stored text may start with the
    sentence introducing its list), or None when no passage of the body is it."""
    for p in passages:
        if p.text == text or (p.text and text.endswith(p.text)):
            return p
    return None


def shown_leaf(section: str) -> str:
    """The last component of a section path as written, without a "(part n)" suffix."""
    parts = section_parts(section)
    return parts[-1] if parts else ""


def instructs(passages: Sequence[Passage]) -> bool:
    """Whether a part's passages tell the reader to do something: a command, a list of steps, or a
    sentence in the imperative ("Review the logs ..."). "The RBD mirror pod is in error state" does not."""
    for p in passages:
        if p.kind in ("code", "list") or any(_INSTRUCTION.match(s) for s in split_sentences(p.text)):
            return True
    return False


def by_heading(passages: Sequence[Passage]) -> list[tuple[str, list[Passage]]]:
    """The passages grouped by the heading they sit under, in document order."""
    out: list[tuple[str, list[Passage]]] = []
    for p in passages:
        if not out or out[-1][0] != p.heading:
            out.append((p.heading, []))
        if says_something(p.text, p.kind):
            out[-1][1].append(p)
    return out


def steps_in(body: str) -> Steps | None:
    """The first part of a body that says what to do and instructs (in document order), or None."""
    for heading, inside in by_heading(split_passages(body)):
        if acts(heading) and instructs(inside):
            return Steps(heading, tuple(inside))
    return None


def steps_for(
    question: str,
    title: str,
    section: str,
    text: str,
    body: str,
    siblings: Callable[[], Sequence[tuple[str, str]]] = lambda: (),
) -> Steps | None:
    """What to answer an alert report from instead of the passage `text` of an item (`title`,
    `section`, `body`), or None to keep the passage:

    - the passage describes the alert and the customer does not ask what it describes: the runbook's
      first part that says what to do and instructs, in the same body or in one of `siblings()`
      ((section, body) of the runbook's other items, in document order; read only when needed);
    - the passage sits in a part that says what to do but does not itself instruct (a sample alert
      message, an example output): that part from its start;
    - the passage is one numbered step of such a part's procedure ("2. Verify that the `chronyd`
      service is running"): the procedure from its first step, when the steps up to the chosen one
      fit in a reply (a step on its own misses the ones before and after it; compose sends no step
      after the first on its own).
    """
    passages = split_passages(body)
    chosen = passage_of(passages, text)
    if section:
        heading, shown = leaf(section), shown_leaf(section)
    elif chosen is not None:
        heading, shown = chosen.heading, chosen.heading
    else:
        return None
    if describes(heading, title):
        if asks_what_it_describes(question, heading):
            return None
        steps = steps_in(body)
        if steps is not None:
            return steps
        for their_section, their_body in siblings():
            if acts(leaf(their_section)):
                inside = [p for p in split_passages(their_body) if says_something(p.text, p.kind)]
                if instructs(inside):
                    return Steps(shown_leaf(their_section), tuple(inside))
        return None
    if not acts(heading) or chosen is None:
        return None
    parts = by_heading(passages)
    none: list[Passage] = []
    inside = next((ps for under, ps in parts if under == chosen.heading and chosen in ps), none)
    start = inside[: inside.index(chosen) + 1] if inside else []
    if not instructs([chosen]):
        return Steps(shown, tuple(inside)) if start and start[0] is not chosen and instructs(start) else None
    if _NUMBERED.match(chosen.text) and sum(1 for p in inside if _NUMBERED.match(p.text)) > 1:
        return Steps(shown, tuple(inside)) if len("\n".join(p.text for p in start)) <= REPLY_CHARS else None
    return None
