"""Passages: the pieces of a chunk's body that an answer can quote.

A passage is a few sentences of one paragraph (long paragraphs are cut into groups of one to three
sentences, never inside one), one list item with its nested items, one code block (whole and
fenced), one table row with the table's header (or a small table whole), or one OpenAPI field
line. Prose is reflowed (no hard wraps). A short section without headings is one passage.

The body's block structure comes from markdown-it-py (CommonMark plus tables), so lists, fences
and tables are read as a Markdown renderer reads them; sentences are found here, since no
library at hand knows that `e.g.` or `v1.2` or `sources.list` do not end one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from vigil_mcp.services.knowledge.ingest.html_markdown import hang, table_row

# Recorded with each ingested file (beside its parser): a change to how bodies become passages
# re-reads files whose content did not change.
SPLITTER = "passages-2"

PassageKind = Literal["prose", "list", "code", "table", "field"]

# Sizes in characters. A paragraph of at most MAX_SENTENCES sentences and MAX_PROSE_CHARS stays
# whole; longer ones are cut into groups near TARGET_CHARS. These are reading sizes (two to four
# lines of a reply), not fitted numbers; the distribution they give is in README.md.
TARGET_CHARS = 320
MAX_PROSE_CHARS = 600
MAX_SENTENCES = 3
# A section without headings this short is quoted whole; a table this short stays one passage.
SHORT_SECTION_CHARS = 600
SMALL_TABLE_CHARS = 600
# A bold-only paragraph this short is a label ("**Table 2.1. Package tools**") for the next block.
MAX_LABEL_CHARS = 160
# The sentences just before a code block (up to this long) are quoted with it: "To list the
# files of a package, run:" and the command are one answer.
MAX_LEAD_CHARS = 300
# A passage says something when it has at least this many words outside links, images and markup;
# "NA", "1. CloudFront", "</details>", a bare link or "Returns `charge` (200)." answer nothing.
MIN_WORDS = 3
# A paragraph that starts in lower case after a code block finishes the sentence the code sits in.
_CONTINUES = re.compile(r"^[a-z]")


@dataclass(frozen=True, slots=True)
class Passage:
    """One quotable piece: its Markdown text, what kind of block it is, the heading or label inside
    the body it sits under, and for a list item or table row the sentence that introduces the list."""

    text: str
    kind: PassageKind
    heading: str = ""
    context: str = ""


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    # Only the block structure is needed; inline tokens keep their raw text in `content`.
    md.core.ruler.disable(["inline", "text_join"])
    return md


_MD = _parser()

# ---- sentences ------------------------------------------------------------------------------
# Words whose final period never ends a sentence, lower-cased.
_ABBREVIATIONS = frozenset(
    """e.g. i.e. cf. vs. viz. approx. ca. resp. incl. esp. mr. mrs. ms. dr. prof. st. no. nos. fig. figs.
    sec. ch. vol. pp. p. ed. eds. al. jr. sr. ver. min. max.""".split()
)
_END = re.compile(r"""[.!?…]+["'”’)\]»]*\s+(?=[\["'“‘(«`*_]*[A-Z0-9])""")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INITIAL = re.compile(r"[A-Z]\.")
_FIELD = re.compile(r"- `[^`\n]+` \(")
_LABEL = re.compile(r"\*\*([^*\n]+)\*\*:?")
_NOT_WORDS = re.compile(r"!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|<[^>]+>|https?://\S+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def split_sentences(text: str) -> list[str]:
    """The sentences of one reflowed paragraph, in order; the text joined by spaces again is `text`."""
    protected = [(m.start(), m.end()) for m in _CODE_SPAN.finditer(text)]
    out: list[str] = []
    start = 0
    for match in _END.finditer(text):
        cut = match.end()
        if any(a < match.start() < b for a, b in protected):
            continue
        punct_end = match.start() + len(match.group().rstrip())
        word = text[text.rfind(" ", 0, match.start()) + 1 : punct_end].strip("([\"'“‘«”’)]»")
        if word.lower() in _ABBREVIATIONS or _INITIAL.fullmatch(word):
            continue
        out.append(text[start:cut].strip())
        start = cut
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _group(sentences: list[str]) -> list[str]:
    """Consecutive groups of one to MAX_SENTENCES sentences whose lengths stay near TARGET_CHARS."""
    n = len(sentences)
    lengths = [len(s) + 1 for s in sentences]
    best: list[float] = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for size in range(1, min(MAX_SENTENCES, end) + 1):
            start = end - size
            length = sum(lengths[start:end])
            over = max(0, length - MAX_PROSE_CHARS) if size > 1 else 0
            cost = best[start] + (length - TARGET_CHARS) ** 2 + 100 * over**2
            if cost < best[end]:
                best[end], back[end] = cost, start
    groups: list[str] = []
    end = n
    while end > 0:
        groups.append(" ".join(sentences[back[end] : end]))
        end = back[end]
    return groups[::-1]


def prose_passages(text: str) -> list[str]:
    """A paragraph reflowed, cut into passages of whole sentences when it is long."""
    flat = " ".join(text.split())
    if not flat:
        return []
    sentences = split_sentences(flat)
    if len(sentences) <= MAX_SENTENCES and len(flat) <= MAX_PROSE_CHARS:
        return [flat]
    return _group(sentences)


# ---- rendering blocks back to Markdown ---------------------------------------------------------
def _inline(node: SyntaxTreeNode) -> str:
    return " ".join(" ".join(c.content.split()) for c in node.children if c.type == "inline")


def _code(node: SyntaxTreeNode) -> str:
    content = node.content if node.content.endswith("\n") or not node.content else node.content + "\n"
    if node.type == "fence":
        return f"{node.markup}{node.info}\n{content}{node.markup}"
    fence = "````" if "```" in content else "```"
    return f"{fence}\n{content}{fence}"


def _rows(node: SyntaxTreeNode) -> list[tuple[bool, list[str]]]:
    rows: list[tuple[bool, list[str]]] = []
    for part in node.children:
        for tr in part.children:
            rows.append((part.type == "thead", [_inline(cell) for cell in tr.children]))
    return rows


def _table(rows: list[tuple[bool, list[str]]]) -> str:
    if not rows:
        return ""
    head = rows[0][1]
    lines = [table_row(head), table_row(["---"] * len(head))]
    return "\n".join(lines + [table_row(cells) for _, cells in rows[1:]])


def render(node: SyntaxTreeNode) -> str:
    """A block node as Markdown text: prose reflowed, code kept exactly, lists and tables rebuilt."""
    kind = node.type
    if kind == "paragraph":
        return _inline(node)
    if kind == "heading":
        return f"**{_inline(node)}**"
    if kind in ("fence", "code_block"):
        return _code(node)
    if kind in ("bullet_list", "ordered_list"):
        return "\n".join(_item(item, i, node) for i, item in enumerate(node.children))
    if kind == "table":
        return _table(_rows(node))
    if kind == "blockquote":
        inner = "\n\n".join(render(child) for child in node.children)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind == "html_block":
        return node.content.strip()
    return ""


def _item(item: SyntaxTreeNode, index: int, parent: SyntaxTreeNode) -> str:
    if parent.type == "ordered_list":
        number = item.info if item.info.isdigit() else str(int(str(parent.attrs.get("start", 1))) + index)
        marker = f"{number}{item.markup or '.'} "
    else:
        marker = "- "
    body = ""
    for i, child in enumerate(item.children):
        text = render(child)
        if not text:
            continue
        if i:
            body += "\n" if child.type in ("bullet_list", "ordered_list") else "\n\n"
        body += text
    return hang(marker, body) if body else marker.rstrip()


# ---- passages -------------------------------------------------------------------------------
def _label(node: SyntaxTreeNode) -> str:
    """The text of a paragraph that is only a bold label, or ""."""
    if node.type != "paragraph":
        return ""
    text = _inline(node)
    match = _LABEL.fullmatch(text)
    return match.group(1).strip() if match and len(text) <= MAX_LABEL_CHARS else ""


def _block_passages(node: SyntaxTreeNode, heading: str, context: str = "") -> Iterator[Passage]:
    kind = node.type
    if kind == "paragraph":
        for text in prose_passages(_inline(node)):
            yield Passage(text, "prose", heading)
    elif kind in ("fence", "code_block"):
        yield Passage(_code(node), "code", heading)
    elif kind in ("bullet_list", "ordered_list"):
        for i, item in enumerate(node.children):
            text = _item(item, i, node)
            if text.strip(" -*+0123456789.)"):
                yield Passage(text, "field" if _FIELD.match(text) else "list", heading, context)
    elif kind == "table":
        rows = _rows(node)
        whole = _table(rows)
        if len(whole) <= SMALL_TABLE_CHARS or len(rows) <= 2:
            yield Passage(whole, "table", heading, context)
        else:
            for row in rows[1:]:
                yield Passage(_table([rows[0], row]), "table", heading, context)
    elif kind == "blockquote":
        for child in node.children:
            yield from _block_passages(child, heading)
    elif kind == "html_block":
        for text in prose_passages(node.content):
            yield Passage(text, "prose", heading)


def says_something(text: str, kind: str = "prose") -> bool:
    """Whether a passage has content to answer with: code with any letters, or MIN_WORDS words of text.

    Every passage stays searchable; the answer path only speaks from those that say something.
    """
    if kind == "code":
        return _WORD.search(text) is not None
    return len(_WORD.findall(_NOT_WORDS.sub(" ", text))) >= MIN_WORDS


def split_passages(body: str) -> list[Passage]:
    """The passages of a chunk body, in order (see the module docstring)."""
    if not body.strip():
        return []
    tree = SyntaxTreeNode(_MD.parse(body))
    blocks = tree.children
    if len(body.strip()) <= SHORT_SECTION_CHARS and not any(b.type == "heading" for b in blocks):
        rendered = [render(b) for b in blocks]
        text = "\n\n".join(r for r in rendered if r)
        kinds: set[PassageKind] = {p.kind for b in blocks for p in _block_passages(b, "")}
        kind: PassageKind = kinds.pop() if len(kinds) == 1 else "prose"
        return [Passage(text, kind)] if text else []
    passages: list[Passage] = []
    heading = label = ""
    previous: SyntaxTreeNode | None = None
    for block in blocks:
        if block.type == "heading":
            heading, label, previous = _inline(block), "", None
            continue
        found = _label(block)
        if found:
            label, previous = found, None
            continue
        context = ""
        if block.type == "paragraph" and previous is not None and previous.type in ("fence", "code_block"):
            tail = _inline(block)
            if _CONTINUES.match(tail) and passages and passages[-1].kind == "code" and len(tail) <= MAX_LEAD_CHARS:
                # "… use the" + `lsb_release -a` + "command. It will display …": one sentence around the code.
                passages[-1] = Passage(f"{passages[-1].text}\n\n{' '.join(tail.split())}", "code", passages[-1].heading)
                label, previous = "", block
                continue
        if previous is not None and previous.type == "paragraph" and passages and passages[-1].kind == "prose":
            lead = passages[-1].text
            if block.type in ("fence", "code_block") and len(lead) <= MAX_LEAD_CHARS:
                passages.pop()
                passages.append(Passage(f"{lead}\n\n{_code(block)}", "code", label or heading))
                label, previous = "", block
                continue
            context = split_sentences(lead)[-1] if lead.endswith(":") else ""
        passages.extend(_block_passages(block, label or heading, context))
        label, previous = "", block
    return passages
