"""HTML as Markdown blocks: the one HTML-to-text converter, for pages and for OpenAPI descriptions.

It walks an lxml tree in document order and yields blocks: headings (with their anchor), paragraphs
(inline markup flattened to text, inline code kept as `code`), code blocks (fenced, whitespace kept
exactly), lists (nesting kept) and tables (a Markdown table when it has a header row). Deciding what
is navigation or boilerplate is the page reader's job (`html.py`); this module only converts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import lxml.html
from lxml.etree import ParserError
from lxml.html import HtmlElement, defs

BlockKind = Literal["heading", "para", "code", "list", "table", "quote"]

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose text is never content.
_SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link", "base", "img", "picture",
        "source", "track", "svg", "canvas", "object", "embed", "iframe", "frame", "frameset", "audio", "video",
        "map", "area", "input", "select", "option", "optgroup", "textarea", "button", "datalist", "progress",
        "meter", "wbr",
    }
)  # fmt: skip
# Preformatted text; `screen`, `programlisting`, `literallayout` and `synopsis` are DocBook's, met
# when DocBook elements are left unconverted in a page.
_CODE_BLOCKS = frozenset(
    {"pre", "listing", "xmp", "plaintext", "screen", "programlisting", "literallayout", "synopsis"}
)
_INLINE_CODE = frozenset({"code", "tt", "kbd", "samp"})
# Containers that start and end a paragraph (the rest are inline).
_BLOCKISH = frozenset(defs.block_tags) | {
    "section", "article", "main", "aside", "header", "footer", "figure", "figcaption", "details", "summary",
    "address", "hgroup", "nav", "center", "legend", "fieldset", "caption", "body", "html",
}  # fmt: skip
_KNOWN_TAGS = frozenset(defs.tags) | _CODE_BLOCKS | {"main", "section", "article", "figure", "summary"}
# DocBook and common docs generators mark admonitions by class.
ADMONITIONS = frozenset({"note", "tip", "caution", "warning", "important", "danger", "admonition", "sidebar"})
# Beyond this nesting the rest of a subtree is read as plain text, so a hostile page cannot exhaust
# the stack (libxml2 itself stops at 256 levels).
MAX_DEPTH = 160
_BR = "\ue000"  # stands for <br> until a paragraph is cleaned
_LINE_START_SPECIAL = ("#", "-", "+", "*", ">", "|", "```", "~~~", "=")


@dataclass(frozen=True, slots=True)
class Block:
    """One Markdown block; headings carry their level and anchor."""

    kind: BlockKind
    text: str
    level: int = 0
    anchor: str = ""


def classes(el: HtmlElement) -> set[str]:
    """The class names of an element, lower-cased."""
    return set((el.get("class") or "").lower().split())


def tag_of(el: HtmlElement) -> str:
    """The element's tag, lower-cased and without a namespace ("" for comments and the like)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def code_span(text: str) -> str:
    """Inline code, with a fence longer than any backtick run inside it."""
    content = " ".join(text.split())
    if not content:
        return ""
    fence = "`" * (_longest_run(content, "`") + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def _longest_run(text: str, char: str) -> int:
    best = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        best = max(best, run)
    return best


def _clean_paragraph(raw: str) -> str:
    """Collapse HTML whitespace, keep <br> as a line break, and escape what Markdown would misread."""
    lines = (" ".join(part.split()) for part in raw.split(_BR))
    return "\n".join(_escape_line_start(line) for line in lines if line)


def _escape_line_start(line: str) -> str:
    if line.startswith(_LINE_START_SPECIAL):
        return "\\" + line
    digits = len(line) - len(line.lstrip("0123456789"))
    if 0 < digits <= 9 and line[digits : digits + 2] in (". ", ") "):
        return line[:digits] + "\\" + line[digits:]
    return line


def heading_anchor(h: HtmlElement) -> str:
    """The id a link to this heading would use: its own, an anchor inside it or just before it, or
    the id of the section it opens."""
    own = h.get("id")
    if own:
        return own
    for a in h.iter("a"):
        target = a.get("id") or a.get("name")
        if target:
            return target
    prev = h.getprevious()
    if prev is not None and tag_of(prev) == "a" and not prev.text_content().strip():
        target = prev.get("id") or prev.get("name")
        if target:
            return target
    parent = h.getparent()
    while parent is not None and tag_of(parent) not in ("body", "html"):
        sid = parent.get("id")
        if sid:
            first = next(parent.iter(*HEADINGS), None)
            return sid if first is h else ""
        parent = parent.getparent()
    return ""


class _Flow:
    """Blocks of one container, with the inline text not yet closed into a paragraph."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._inline: list[str] = []

    def text(self, s: str) -> None:
        self._inline.append(s)

    def flush(self) -> None:
        if not self._inline:
            return
        para = _clean_paragraph("".join(self._inline))
        self._inline.clear()
        if para[:1] in ".,;:" and para[1:2] in (" ", ""):
            # The rest of a sentence that a code block interrupted ("run <pre>...</pre>. Then ...").
            para = para[1:].lstrip()
        if para:
            self.blocks.append(Block("para", para))

    def add(self, block: Block | None) -> None:
        self.flush()
        if block is not None and block.text:
            self.blocks.append(block)


class Converter:
    """HTML elements to Markdown blocks.

    `literal_unknown`: render tags that are not HTML as text (`<api_key>` in an OpenAPI description
    is a placeholder, not markup); pages leave it off so custom elements just pass their text through.
    """

    def __init__(self, *, literal_unknown: bool = False) -> None:
        self.literal_unknown = literal_unknown

    # ---- entry points ----------------------------------------------------------------------
    def blocks(self, el: HtmlElement, depth: int = 0) -> list[Block]:
        """The blocks of an element's content, headings included."""
        flow = _Flow()
        self._children(el, flow, depth)
        flow.flush()
        return flow.blocks

    def inline(self, el: HtmlElement, *, code_marks: bool = True) -> str:
        """An element's content as one line of text (inline code in backticks unless `code_marks` is off)."""
        parts = [b.text for b in self.blocks(el)] if code_marks else [el.text_content()]
        return " ".join(" ".join(p.split()) for p in parts if p).strip()

    # ---- the walk --------------------------------------------------------------------------
    def _children(self, el: HtmlElement, flow: _Flow, depth: int) -> None:
        if el.text:
            flow.text(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self._element(child, flow, depth + 1)
            if child.tail:
                flow.text(child.tail)

    def _element(self, el: HtmlElement, flow: _Flow, depth: int) -> None:
        tag = tag_of(el)
        if tag in _SKIP:
            return
        if depth > MAX_DEPTH:
            flow.text(f" {el.text_content()} ")
            return
        if tag in HEADINGS:
            flow.add(Block("heading", self.inline(el, code_marks=False), int(tag[1]), heading_anchor(el)))
        elif tag in _CODE_BLOCKS:
            flow.add(code_block(el))
        elif tag in ("ul", "ol", "dir", "menu"):
            flow.add(self._list(el, depth, ordered=tag == "ol"))
        elif tag == "dl":
            flow.add(self._definitions(el, depth))
        elif tag == "table":
            flow.flush()
            for block in self._table(el, depth):
                flow.add(block)
        elif tag == "br":
            flow.text(_BR)
        elif tag == "hr":
            flow.flush()
        elif tag == "blockquote":
            inner = self._rendered(self.blocks(el, depth))
            flow.add(Block("quote", "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())))
        elif tag in _INLINE_CODE:
            flow.text(code_span(el.text_content()))
        elif classes(el) & ADMONITIONS and tag in _BLOCKISH:
            flow.flush()
            for block in self._admonition(el, depth):
                flow.add(block)
        elif tag == "p" and "title" in classes(el):
            # DocBook's title of an example, table, figure or sidebar: a label, not a section.
            flow.add(Block("para", f"**{self.inline(el, code_marks=False)}**"))
        elif tag in _BLOCKISH:
            flow.flush()
            self._children(el, flow, depth)
            flow.flush()
        elif self.literal_unknown and tag not in _KNOWN_TAGS:
            flow.text(f"<{tag}>")
            self._children(el, flow, depth)
        else:
            self._children(el, flow, depth)

    def _rendered(self, blocks: list[Block]) -> str:
        return "\n\n".join(f"**{b.text}**" if b.kind == "heading" else b.text for b in blocks)

    def _list(self, el: HtmlElement, depth: int, *, ordered: bool) -> Block:
        start = _int_attr(el, "start", 1) if ordered else 1
        items: list[str] = []
        number = start
        for li in el:
            if not isinstance(li.tag, str) or tag_of(li) in _SKIP:
                continue
            marker = f"{number}. " if ordered else "- "
            number += 1
            body = self._item_body(self.blocks(li, depth + 1))
            if body:
                items.append(hang(marker, body))
        return Block("list", "\n".join(items))

    def _definitions(self, el: HtmlElement, depth: int) -> Block:
        entries: list[tuple[str, list[Block]]] = []
        for child in el:
            tag = tag_of(child)
            if tag == "dt":
                entries.append((self.inline(child, code_marks=False), []))
            elif tag == "dd":
                if not entries:
                    entries.append(("", []))
                entries[-1][1].extend(self.blocks(child, depth + 1))
        items: list[str] = []
        for term, blocks in entries:
            label = f"**{term}**" if term else ""
            if blocks and blocks[0].kind == "para" and label:
                blocks = [Block("para", f"{label}: {blocks[0].text}"), *blocks[1:]]
            elif label:
                blocks = [Block("para", label), *blocks]
            body = self._item_body(blocks)
            if body:
                items.append(hang("- ", body))
        return Block("list", "\n".join(items))

    def _item_body(self, blocks: list[Block]) -> str:
        out = ""
        for i, block in enumerate(blocks):
            text = f"**{block.text}**" if block.kind == "heading" else block.text
            if i:
                out += "\n" if block.kind == "list" else "\n\n"
            out += text
        return out

    def _admonition(self, el: HtmlElement, depth: int) -> list[Block]:
        """A note, tip or warning: its label leads its first paragraph ("**Note:** ...").

        A table directly inside it only lays out an icon beside the text (DocBook's admonitions).
        """
        flow = _Flow()
        if el.text:
            flow.text(el.text)
        for child in el:
            if tag_of(child) == "table":
                flow.flush()
                for _, cells in _rows(child):
                    for cell in cells:
                        for block in self.blocks(cell, depth + 2):
                            flow.add(block)
            elif isinstance(child.tag, str):
                self._element(child, flow, depth + 1)
            if child.tail:
                flow.text(child.tail)
        flow.flush()
        blocks = [Block("para", f"**{b.text}**") if b.kind == "heading" else b for b in flow.blocks]
        if len(blocks) >= 2 and blocks[0].kind == "para" and blocks[1].kind == "para":
            label = blocks[0].text.strip("*").strip()
            if len(label) <= 80 and not label.endswith((".", "!", "?")):
                return [Block("para", f"**{label.rstrip(':')}:** {blocks[1].text}"), *blocks[2:]]
        return blocks

    def _table(self, el: HtmlElement, depth: int) -> list[Block]:
        out: list[Block] = []
        caption = next((c for c in el if tag_of(c) == "caption"), None)
        if caption is not None:
            text = self.inline(caption, code_marks=False)
            if text:
                out.append(Block("para", f"**{text}**"))
        rows = list(_rows(el))
        if not rows:
            return out
        width = max(len(cells) for _, cells in rows)
        if _is_layout(el, rows, width):
            for _, cells in rows:
                for cell in cells:
                    out.extend(self.blocks(cell, depth + 1))
            return out
        texts = [(header, [self._cell(c, depth) for c in cells]) for header, cells in rows]
        texts = [(h, cells) for h, cells in texts if any(cells)]
        if not texts:
            return out
        if texts[0][0]:
            head = texts[0][1] + [""] * (width - len(texts[0][1]))
            lines = [table_row(head), table_row(["---"] * width)]
            lines += [table_row(cells + [""] * (width - len(cells))) for _, cells in texts[1:]]
            out.append(Block("table", "\n".join(lines)))
        else:
            sep = ": " if width == 2 else " | "
            out.append(Block("list", "\n".join("- " + sep.join(c for c in cells if c) for _, cells in texts)))
        return out

    def _cell(self, cell: HtmlElement, depth: int) -> str:
        text = " ".join(" ".join(b.text.split()) for b in self.blocks(cell, depth + 1))
        return text.replace("|", "\\|")


def code_block(el: HtmlElement) -> Block:
    """A preformatted element as a fenced block; its text is kept exactly, bar blank edge lines."""
    text = el.text_content().replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return Block("code", "")
    body = "\n".join(line.rstrip() for line in lines)
    fence = "`" * max(3, _longest_run(body, "`") + 1)
    return Block("code", f"{fence}{_language(el)}\n{body}\n{fence}")


def _language(el: HtmlElement) -> str:
    candidates = [el, *(c for c in el if tag_of(c) == "code")]
    for node in candidates:
        for cls in classes(node):
            for prefix in ("language-", "lang-", "highlight-"):
                if cls.startswith(prefix) and cls[len(prefix) :].isidentifier():
                    return cls[len(prefix) :]
    return ""


def hang(marker: str, body: str) -> str:
    """A Markdown list item: the marker on the first line, the rest indented under it."""
    pad = " " * len(marker)
    lines = body.split("\n")
    return "\n".join([marker + lines[0], *((pad + line) if line else "" for line in lines[1:])])


def _int_attr(el: HtmlElement, name: str, default: int) -> int:
    try:
        return int(el.get(name) or default)
    except ValueError:
        return default


def _rows(table: HtmlElement) -> Iterator[tuple[bool, list[HtmlElement]]]:
    """(is a header row, cells) of a table's own rows, not those of tables nested in it."""
    for child in table:
        tag = tag_of(child)
        if tag == "tr":
            yield _row(child, False)
        elif tag in ("thead", "tbody", "tfoot"):
            for tr in child:
                if tag_of(tr) == "tr":
                    yield _row(tr, tag == "thead")


def _row(tr: HtmlElement, in_head: bool) -> tuple[bool, list[HtmlElement]]:
    cells = [c for c in tr if tag_of(c) in ("td", "th")]
    return in_head or (bool(cells) and all(tag_of(c) == "th" for c in cells)), cells


_LAYOUT_INSIDE = ("pre", "ul", "ol", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote")


def _is_layout(table: HtmlElement, rows: list[tuple[bool, list[HtmlElement]]], width: int) -> bool:
    """A table used to place things on the page rather than to hold data."""
    if (table.get("role") or "").lower() in ("presentation", "none") or width <= 1:
        return True
    return any(next(cell.iter(*_LAYOUT_INSIDE), None) is not None for _, cells in rows for cell in cells)


def table_row(cells: list[str]) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(cells) + " |"


def fragment_markdown(fragment: str, converter: Converter | None = None) -> str:
    """An HTML fragment (an OpenAPI description, say) as Markdown text; plain text passes through."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return fragment.strip()
    conv = converter or Converter(literal_unknown=True)
    return "\n\n".join(f"**{b.text}**" if b.kind == "heading" else b.text for b in conv.blocks(root))
