"""What vigil writes into a skill: a new draft from similar resolved cases, or one case folded into a skill.

Pure text functions. Every fragment that comes from a case is redacted again here (redaction is
idempotent), flattened to one line, and bounded, so no customer text can add a heading, break the
front matter or grow a skill without limit. A skill's own text (a maintainer's wording) is kept as
it is: folding only appends lines to its sections.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from vigil_mcp.services.learn.extract import Lesson
from vigil_mcp.services.learn.similarity import Idf, problem_terms, without_urls
from vigil_mcp.services.redact import redact
from vigil_mcp.services.skills.model import DESCRIPTION_CHARS, name_problem
from vigil_mcp.services.text import content_terms, token_f1

MAX_SYMPTOMS = 12
MAX_STEPS = 12  # numbered diagnosis items; past this vigil adds no more steps
MAX_ANSWERS = 5
MAX_REFERENCES = 40
MAX_ENVIRONMENT = 8
SYMPTOM_CHARS = 240
STEP_CHARS = 240
ANSWER_CHARS = 700
TITLE_CHARS = 80
NAME_WORDS = 4
NAME_CHARS = 48  # leaves room for a "-vigil" or "-12" suffix under the 64-character limit
SAME_LINE = 0.6  # token F1 at or above which a new step or answer only repeats one the skill has
SAME_SYMPTOM = 0.8  # the same for symptoms: another wording of the same problem is worth keeping
SIBLING_SUFFIX = "-vigil"

# Section keys -> headings vigil writes, and the headings (lower case) it recognises in other skills.
HEADINGS = {
    "applies": "When it applies",
    "symptoms": "Symptoms",
    "diagnosis": "Diagnosis",
    "answer": "Answer",
    "references": "References",
}
_ALIASES = {
    "applies": ("when it applies", "when to use", "when to use it", "when to use this skill"),
    "symptoms": ("symptoms", "symptom"),
    "diagnosis": ("diagnosis", "diagnosis steps", "diagnose", "steps"),
    "answer": ("answer", "resolution", "fix", "solution"),
    "references": ("references", "sources", "source tickets"),
}
_ORDER = ("applies", "symptoms", "diagnosis", "answer", "references")

# Registered diagnostic tools, the words that make each relevant, and the step that names it.
TOOL_HINTS: dict[str, tuple[frozenset[str], str]] = {
    "check_http": (
        frozenset(
            "http https url api endpoint webhook webhooks request requests response 500 502 503 504 5xx 404 "
            "gateway curl".split()
        ),
        "Reproduce the request with `check_http(url)`: the status code, headers and timings show which layer fails.",
    ),
    "lookup_dns": (
        frozenset("dns resolve resolves resolving resolver nslookup dig hostname domain nxdomain cname".split()),
        "Check name resolution with `lookup_dns(name)`: compare the answer with the address it should have.",
    ),
    "check_tcp": (
        frozenset("port ports tcp connect connection refused firewall unreachable ssh socket".split()),
        "Test the port with `check_tcp(host, port)`: refused means nothing listens, a timeout means a firewall.",
    ),
    "check_tls_certificate": (
        frozenset("ssl tls certificate certificates cert x509 handshake expired expiry".split()),
        "Read the certificate with `check_tls_certificate(host)`: expiry, issuer and names.",
    ),
    "query_prometheus": (
        frozenset("latency cpu memory metrics prometheus alert alerts slow load".split()),
        "Size it and date it with `query_prometheus(expr)` over the last hours.",
    ),
    "check_status_page": (
        frozenset("outage down degraded incident status".split()),
        "Check the vendor's status with `check_status_page(url)` before digging further.",
    ),
}

_RESERVED = ("anthropic", "claude")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_TICKET_CHARS = re.compile(r"[^A-Za-z0-9._:#/-]")


@dataclass(frozen=True, slots=True)
class Composed:
    """A skill's new description and body, and what changed (for the commit message)."""

    description: str
    body: str
    changes: tuple[str, ...]


def ticket_ref(ticket_id: str) -> str:
    """A ticket id as `metadata.source-tickets` can hold it (characters it refuses become '-')."""
    ref = _TICKET_CHARS.sub("-", ticket_id.strip())
    return ref if ref[:1].isalnum() else f"t{ref}"


def content_digest(description: str, body: str) -> str:
    """The digest vigil records of what it wrote: a later mismatch means a person edited the skill."""
    data = f"{description.strip()}\n\x00\n{body.strip()}".encode()
    return hashlib.sha256(data).hexdigest()[:16]


def one_line(text: str, limit: int) -> str:
    """Redacted, on one line, cut at a word under `limit` characters."""
    flat = " ".join(redact(text).text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def title_of(lesson: Lesson) -> str:
    """A short title for the case: the first sentence of its question that says something specific."""
    title = one_line(lesson.title, TITLE_CHARS).lstrip("#>*+-= ")  # it follows "# " on the heading line
    return title[:1].upper() + title[1:] if title else "Support case"


def _same(a: str, b: str, threshold: float = SAME_LINE) -> bool:
    return token_f1(a, b) >= threshold


def _add_unique(items: list[str], item: str, limit: int, threshold: float = SAME_LINE) -> bool:
    if not item or len(items) >= limit or any(_same(item, seen, threshold) for seen in items):
        return False
    items.append(item)
    return True


# ---- names and descriptions -----------------------------------------------------------------
def clean_name(raw: str) -> str | None:
    """A suggested name made valid (lowercase, digits, single hyphens, bounded), or None."""
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:NAME_CHARS].rstrip("-")
    return name if name and name_problem(name) is None else None


def derive_name(lessons: Sequence[Lesson], idf: Idf, taken: Callable[[str], bool], suggested: str | None = None) -> str:
    """A unique skill name from the problem: its rarest shared words, in the order the customer used them."""
    base = clean_name(suggested) if suggested else None
    if base is None:
        counts: dict[str, int] = {}
        for lesson in lessons:
            for term in problem_terms(lesson.question):
                counts[term] = counts.get(term, 0) + 1
        usable = [t for t in counts if t.isascii() and t.isalnum() and not any(r in t for r in _RESERVED)]
        first = lessons[0].question.lower() if lessons else ""

        def position(term: str) -> int:
            return first.find(term) if term in first else len(first) + 1

        best: list[str] = []
        for term in sorted(usable, key=lambda t: (-counts[t], -round(idf(t), 1), position(t), t)):
            if len(best) < NAME_WORDS and not any(term.rstrip("s") == b.rstrip("s") for b in best):
                best.append(term)  # one of "signature" and "signatures"
        best.sort(key=lambda t: (position(t), t))
        words: list[str] = []
        for term in best:
            if len("-".join([*words, term])) > NAME_CHARS:
                break
            words.append(term)
        base = clean_name("-".join(words)) or "support-case"
    name, n = base, 2
    while taken(name):
        name = f"{base}-{n}"
        n += 1
    return name


def sibling_name(name: str) -> str | None:
    """The name of the draft vigil writes beside a skill a person edited (None for a sibling itself)."""
    if name.endswith(SIBLING_SUFFIX):
        return None
    return f"{name[: 64 - len(SIBLING_SUFFIX)].rstrip('-')}{SIBLING_SUFFIX}"


def description_for(lessons: Sequence[Lesson], suggested: str | None = None) -> str:
    """What the skill handles and when to use it; no XML tags, within the length limit."""
    if suggested and suggested.strip():
        text = one_line(suggested, 600)
    else:
        title = title_of(lessons[0])
        text = (
            f'Resolve a recurring support problem: "{title}" Use it when a customer reports it again, in these or '
            f"other words (learned from {len(lessons)} resolved tickets)."
        )
    return re.sub(r"[<>]", "", text)[:DESCRIPTION_CHARS].strip()


# ---- sections --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Section:
    key: str | None  # one of HEADINGS' keys, or None for a heading vigil does not know
    heading: str  # the heading line as written
    lines: list[str] = field(default_factory=list[str])


@dataclass(slots=True)
class _Doc:
    head: list[str]
    sections: list[_Section]


def _key_of(heading: str) -> str | None:
    title = heading[3:].strip().lower().rstrip(":")
    for key, aliases in _ALIASES.items():
        if title in aliases:
            return key
    return None


def _parse(body: str) -> _Doc:
    doc = _Doc(head=[], sections=[])
    fenced = False
    for line in body.strip("\n").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            doc.sections.append(_Section(_key_of(line), line))
        elif doc.sections:
            doc.sections[-1].lines.append(line)
        else:
            doc.head.append(line)
    return doc


def _render(doc: _Doc) -> str:
    parts = ["\n".join(doc.head).strip("\n")]
    for section in doc.sections:
        content = "\n".join(section.lines).strip("\n")
        parts.append(f"{section.heading}\n{content}" if content else section.heading)
    return "\n\n".join(p for p in parts if p) + "\n"


def _section(doc: _Doc, key: str) -> _Section:
    """The section for `key`, created in its usual place when the skill has none."""
    for section in doc.sections:
        if section.key == key:
            return section
    new = _Section(key, f"## {HEADINGS[key]}")
    later = _ORDER[_ORDER.index(key) + 1 :]
    at = next((i for i, s in enumerate(doc.sections) if s.key in later), len(doc.sections))
    doc.sections.insert(at, new)
    return new


def _append(section: _Section, line: str) -> None:
    """Add a line after the section's last non-blank line."""
    end = len(section.lines)
    while end > 0 and not section.lines[end - 1].strip():
        end -= 1
    section.lines.insert(end, line)


def _items(section: _Section, pattern: re.Pattern[str]) -> list[str]:
    return [pattern.sub("", line).strip() for line in section.lines if pattern.match(line)]


def candidate_lines(description: str, body: str) -> list[str]:
    """The texts a new case is compared with: the description and each bullet of When it applies and Symptoms."""
    doc = _parse(body)
    lines = [description]
    for section in doc.sections:
        if section.key in ("applies", "symptoms"):
            lines.extend(_items(section, _BULLET))
    return [line for line in lines if line.strip()]


def relevant_tools(texts: Sequence[str], tool_names: Collection[str]) -> list[str]:
    """The registered diagnostic tools whose subject the texts talk about, in TOOL_HINTS order."""
    words: set[str] = set()
    for text in texts:
        words |= content_terms(without_urls(text))  # a pasted link is not an HTTP problem
    return [name for name, (keys, _) in TOOL_HINTS.items() if name in tool_names and words & keys]


# ---- composing -------------------------------------------------------------------------------
def new_skill(
    name: str, lessons: Sequence[Lesson], tool_names: Collection[str], description: str | None = None
) -> Composed:
    """A new draft skill from similar resolved cases (the first is the newest)."""
    title = title_of(lessons[0])
    env: list[str] = []
    symptoms: list[str] = []
    steps: list[str] = []
    answers: list[str] = []
    for lesson in lessons:
        for fact in lesson.environment:
            _add_unique(env, one_line(fact, 60), MAX_ENVIRONMENT)
        _add_unique(symptoms, one_line(lesson.question, SYMPTOM_CHARS), MAX_SYMPTOMS, SAME_SYMPTOM)
        for step in lesson.steps:
            _add_unique(steps, one_line(step, STEP_CHARS), MAX_STEPS - len(TOOL_HINTS) - 1)
        _add_unique(answers, one_line(lesson.answer, ANSWER_CHARS), MAX_ANSWERS)
    texts = [t for lesson in lessons for t in (lesson.question, lesson.answer, *lesson.steps)]
    tools = relevant_tools(texts, tool_names)
    diagnosis = ["Confirm that the customer's problem is one of the symptoms above.", *steps]
    diagnosis += [TOOL_HINTS[tool][1] for tool in tools]
    # Prose, not bullets: bullets of When it applies are what new cases are compared with.
    applies = ["A customer reports the problem under Symptoms, in these words or others."]
    if env:
        applies.append("Seen with: " + ", ".join(env) + ".")
    applies.append("Learned by vigil from resolved support tickets (see References); check each step before use.")
    refs = [f"- Resolved ticket `{ticket_ref(lesson.ticket_id)}`: {title_of(lesson)}" for lesson in lessons]
    body = "\n".join(
        [
            f"# {title}",
            "",
            f"## {HEADINGS['applies']}",
            *applies,
            "",
            f"## {HEADINGS['symptoms']}",
            *(f"- {s}" for s in symptoms),
            "",
            f"## {HEADINGS['diagnosis']}",
            *(f"{i}. {step}" for i, step in enumerate(diagnosis, start=1)),
            "",
            f"## {HEADINGS['answer']}",
            *(f"- {a}" for a in answers),
            "",
            f"## {HEADINGS['references']}",
            *refs[:MAX_REFERENCES],
        ]
    )
    summary = f"new draft from {len(lessons)} resolved tickets"
    return Composed(description_for(lessons, description), body + "\n", (summary,))


def fold(
    description: str,
    body: str,
    lesson: Lesson,
    *,
    add_answer: bool,
    tool_names: Collection[str],
    note: str | None = None,
) -> Composed:
    """The skill with one more case folded in: symptom variant, new diagnostic steps, answer, reference.

    The skill's own lines are kept as written; `add_answer` is False for skills a person wrote
    (their answer is theirs). `note` goes under the title (used for a draft written beside a skill).
    """
    doc = _parse(body)
    changes: list[str] = []
    ref = ticket_ref(lesson.ticket_id)
    if note:
        doc.head = [*[line for line in doc.head if line.strip()], "", f"> {note}"]
    symptoms = _section(doc, "symptoms")
    known = [line for s in doc.sections if s.key in ("applies", "symptoms") for line in _items(s, _BULLET)]
    symptom = one_line(lesson.question, SYMPTOM_CHARS)
    if len(_items(symptoms, _BULLET)) < MAX_SYMPTOMS and not any(_same(symptom, k, SAME_SYMPTOM) for k in known):
        _append(symptoms, f"- {symptom}")
        changes.append("symptom variant")
    diagnosis = _section(doc, "diagnosis")
    present = [line.strip() for line in diagnosis.lines if line.strip()]
    numbers = [int(m.group(1)) for line in diagnosis.lines if (m := _NUMBERED.match(line))]
    new_steps = [one_line(step, STEP_CHARS) for step in lesson.steps]
    tools = relevant_tools([lesson.question, lesson.answer, *lesson.steps], tool_names)
    new_steps += [TOOL_HINTS[tool][1] for tool in tools if f"{tool}(" not in body]  # a tool the skill names is there
    added = 0
    for step in new_steps:
        if len(numbers) >= MAX_STEPS or any(_same(step, p) for p in present):
            continue
        numbers.append(max(numbers, default=0) + 1)
        line = f"{numbers[-1]}. {step} (ticket `{ref}`)"
        _append(diagnosis, line)
        present.append(line)
        added += 1
    if added:
        changes.append(f"{added} diagnostic step{'s' if added > 1 else ''}")
    if add_answer:
        answer_section = _section(doc, "answer")
        answers = _items(answer_section, _BULLET) or [line for line in answer_section.lines if line.strip()]
        answer = one_line(lesson.answer, ANSWER_CHARS)
        if len(answers) < MAX_ANSWERS and not any(_same(answer, a) for a in answers):
            _append(answer_section, f"- {answer}")
            changes.append("answer variant")
    references = _section(doc, "references")
    if len(_items(references, _BULLET)) < MAX_REFERENCES:
        _append(references, f"- Resolved ticket `{ref}`: {title_of(lesson)}")
    changes.append(f"source ticket {ref}")
    return Composed(description.strip(), _render(doc), tuple(changes))
