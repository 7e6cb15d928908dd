"""Compose the reply an analyst would send from one judged passage (the offline engine's writing).

A reply is the sentences or the command that answer the question, not a raw section: from a doc or
runbook passage, its 1-4 sentences (with the command that follows a step), reflowed and bounded;
from an API field, one sentence naming the field; from a learned Q&A, its fix; from a skill, its
answer. Then one citation line an analyst can check. Sentences asking the customer for something are
dropped (the analyst asks if they want to), except in a runbook, whose questions are checks. A passage
that is step 2 or later of a numbered procedure, on its own, is no reply (it misses the steps before it;
a runbook's procedure is answered from its first step, see runbook_steps).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vigil_mcp.services.answer.engine.base import Evidence
from vigil_mcp.services.knowledge.chunking import section_parts

MAX_CHARS = 600
MAX_SENTENCES = 4
MIN_CHARS = 20
# A learned fix was kept by the keep model: "gunzip" or "sudo dpkg -i <.deb>" is the whole answer.
MIN_LEARNED_CHARS = 3

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`$(\[\"'])")
_MARKER_TAIL = re.compile(r"(?:^|\n)\s*(\d{1,3}[.)])\s*$")  # a list number left at the end of a piece
_LIST_ITEM = re.compile(r"\d{1,3}[.)]\s")
# A reply that opens on step 2 or later of a numbered procedure misses the steps it relies on ("4. Edit
# /etc/passwd in the root partition …" without booting a rescue system and mounting that partition).
_LATER_STEP = re.compile(r"^\s*(?:[2-9]|[1-9]\d{1,2})[.)]\s")
_ASKS_CUSTOMER = re.compile(
    r"\?\s*$|\b(please|pls|kindly)\s+(send|share|paste|provide|post|attach|upload|tell|give|confirm|check)\b|"
    r"\b(can|could|would|will)\s+you\b|\blet\s+(me|us)\s+know\b|\bwhat\s+(is|are)\s+your\b|\b(dm|pm)\s+me\b",
    re.IGNORECASE,
)
# Learned Q&A bodies continue after the answer with context that is not part of it.
_AFTER_ANSWER = re.compile(r"(?m)^\s*(Environment|Steps tried|Seen with|Evidence|Source tickets?)\s*:")
_ANSWER_MARK = re.compile(
    r"^\s*(\*\*)?(answer|fix)(\*\*)?\s*:?\s*(\*\*)?\s*$|^#+\s*(answer|resolution|fix|mitigation)\b", re.IGNORECASE
)
# "- `end` (integer (unix-time), nullable): ..." (type notes hold one level of parentheses)
_FIELD_LINE = re.compile(r"^-\s+`([^`]+)`\s+\(((?:[^()]|\([^()]*\))*)\)(?::\s*(.*))?$", re.DOTALL)
_INLINE_ANSWER = re.compile(r"(?im)^\s*(?:\*\*)?(?:answer|fix)(?:\*\*)?\s*:\s*(.+)")


def answer_part(text: str) -> str:
    """The part of a Q&A or skill body that answers: its Answer/Fix section, else the whole text."""
    lines = text.strip().splitlines()
    for i, line in enumerate(lines):
        if _ANSWER_MARK.match(line):
            rest: list[str] = []
            for follow in lines[i + 1 :]:
                if (follow.startswith("#") or _AFTER_ANSWER.match(follow)) and rest:
                    break
                rest.append(follow)
            if "".join(rest).strip():
                return "\n".join(rest).strip()
    inline = _INLINE_ANSWER.search(text)
    if inline:
        rest_text = text[inline.start(1) :]
        stop = _AFTER_ANSWER.search(rest_text)
        return (rest_text[: stop.start()] if stop else rest_text).strip()
    return text.strip()


def reflow(text: str) -> str:
    """Join hard-wrapped prose lines; code blocks keep their lines, and an open fence is closed."""
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if prose:
            out.append(" ".join(prose))
            prose.clear()

    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line.rstrip())
            if match and match.group(1)[0] == fence[0]:
                fence = None
            continue
        if match:
            flush()
            fence = match.group(1)
            out.append(line.strip())
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            if out and out[-1] != "":
                out.append("")
            continue
        if re.match(r"^([-*+•]|\d{1,3}[.)])\s", stripped):
            flush()
        prose.append(stripped)
    flush()
    if fence is not None:
        out.append(fence)
    return "\n".join(out).strip()


def without_requests(text: str, drop: bool = True) -> str:
    """Drop prose sentences that ask the customer for something (all are kept when not `drop`); code
    blocks are kept whole, and blocks are joined by one line break."""
    kept: list[str] = []
    for block in re.split(r"(```.*?```)", text, flags=re.DOTALL):
        if block.startswith("```"):
            kept.append(block)
            continue
        sentences = [s.strip() for s in _SENTENCE.split(block) if s.strip()]
        kept.append(" ".join(s for s in sentences if not (drop and _ASKS_CUSTOMER.search(s))))
    return "\n".join(k for k in kept if k.strip()).strip()


def first_sentences(text: str, limit: int = MAX_SENTENCES) -> str:
    """At most `limit` sentences of prose (code blocks count as one).

    A list item's number ("3.") stays with its step, never ends the reply on its own; a step, a code
    block and what follows a code block start on their own line, so fences stay fences.
    """
    pieces: list[str] = []
    marker = ""
    for piece in _SENTENCE.split(text):
        piece, marker = marker + piece, ""
        tail = _MARKER_TAIL.search(piece)
        if tail:  # "```\n3." or a bare "1.": the number belongs to the next sentence
            piece, marker = piece[: tail.start()], tail.group(1) + " "
        if piece.strip():
            pieces.append(piece.strip())
    out = ""
    for piece in pieces[:limit]:
        own_line = piece.startswith(("```", "~~~")) or _LIST_ITEM.match(piece) or out.endswith(("```", "~~~"))
        sep = "\n" if own_line else " "
        out = f"{out}{sep}{piece}" if out else piece
    return out


def bounded(text: str, limit: int = MAX_CHARS) -> str:
    """Cut at a sentence, line or word boundary under `limit` characters, keeping code fences closed."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("\n\n"))
    out = cut[: stop + 1] if stop > limit // 2 else cut[: max(cut.rfind(" "), limit // 2)] + " …"
    if out.count("```") % 2:
        out = out.rstrip(" …") + "\n```"
    return out.strip()


def _following_code(evidence: Evidence) -> str:
    """The code block right after the passage in its item, when the passage introduces a command."""
    body = evidence.context
    where = body.find(evidence.text[:80]) if evidence.text else -1
    if where < 0:
        return ""
    after = body[where + len(evidence.text) :].lstrip("\n")
    match = re.match(r"(```[^\n]*\n.*?\n```)", after, flags=re.DOTALL)
    if match and len(match.group(1)) <= MAX_CHARS // 2 and evidence.text.rstrip().endswith(":"):
        return match.group(1)
    return ""


def _where(section: str) -> tuple[str, str]:
    """("object" | "operation" | "", its name) from an API item's section path."""
    parts = section_parts(section)
    if len(parts) < 2:
        return "", ""
    name = parts[-1]
    return ("object" if parts[0] == "Objects" else "operation" if parts[0] == "Operations" else ""), name


def field_of(evidence: Evidence) -> tuple[str, str, str] | None:
    """(field name, type notes, description) of an API field passage."""
    match = _FIELD_LINE.match(" ".join(evidence.text.split()))
    return (match.group(1), match.group(2), match.group(3) or "") if match else None


def _field_sentence(evidence: Evidence) -> str:
    """An API field passage as a sentence: the field, on which object or operation, and what it is."""
    found = field_of(evidence)
    if found is None:
        return " ".join(evidence.text.split())
    name, notes, description = found
    where, what = _where(evidence.section)
    description = description.rstrip(".") + "." if description else ""
    typed = "" if description else f" ({notes})"  # the type matters only when nothing else is said
    if where == "operation":
        head = f"`{what}` takes `{name}`{typed}"
    elif where == "object":
        head = f"`{name}` on the `{what}` object{typed}"
    else:
        head = f"`{name}`{typed}"
    return f"{head}: {description}" if description else f"{head}."


def with_operation(evidence: Evidence, others: Sequence[Evidence]) -> str:
    """An object field's sentence, plus the operation that sets it when the evidence has one."""
    text = _field_sentence(evidence)
    found = field_of(evidence)
    if found is None or _where(evidence.section)[0] != "object":
        return text
    leaf = found[0].split(".")[-1]
    for other in others:
        theirs = field_of(other) if other.form == "field" else None
        where, route = _where(other.section)
        if theirs and where == "operation" and theirs[0].split(".")[-1] == leaf and route.startswith(("POST", "PUT")):
            return f"{text} Set it with `{route}` (`{theirs[0]}`)."
    return text


def reply_text(evidence: Evidence, others: Sequence[Evidence] = ()) -> str:
    """What to say from one piece of evidence (no citation); `others`: the rest of the evidence."""
    if evidence.kind in ("qa", "skill"):
        return bounded(without_requests(reflow(answer_part(evidence.context or evidence.text))))
    if evidence.form == "code":
        return bounded(reflow(evidence.text))
    if evidence.form == "field":
        return bounded(with_operation(evidence, others))
    # A runbook speaks to the on-call engineer reading it: its questions are checks to make ("Are
    # metrics being reported from the relevant queues?"), not requests to a customer.
    text = first_sentences(without_requests(reflow(evidence.text), drop=evidence.kind != "runbook"))
    if _LATER_STEP.match(text):  # a step out of the middle of a procedure: nothing to send on its own
        return ""
    code = _following_code(evidence)
    if code:
        text = f"{text}\n\n{code}"
    return bounded(text)


def compose(evidence: Evidence, others: Sequence[Evidence] = ()) -> str:
    """The reply with its citation line, or "" when the evidence has nothing to say."""
    text = reply_text(evidence, others)
    if len(text) < (MIN_LEARNED_CHARS if evidence.kind in ("qa", "skill") else MIN_CHARS):
        return ""
    return f"{text}\n\nSource: {evidence.citation}"
