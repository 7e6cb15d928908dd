"""HTML pages (a docs site, a help-centre export): the main content as sections with anchors.

A page is decoded as it declares (BOM, `<meta charset>`, XML declaration) with a noted fallback,
parsed with lxml, stripped of what is not content (scripts, styles, navigation, tables of contents,
breadcrumbs, site headers and footers, next/previous links, copyright notices), and converted to
Markdown by `html_markdown`. Each heading starts a section whose path is the headings above it;
the section's anchor is the heading's id (or its section's), so `page.html#anchor` cites it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.chunking import MAX_CHUNK_CHARS, SECTION_SEP, Chunk, pack
from vigil_mcp.services.knowledge.ingest.document import Document, Parsed
from vigil_mcp.services.knowledge.ingest.html_markdown import Block, Converter, classes, tag_of

SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PARSER = "html-1"
# The largest page of the Debian docs is 0.4 MB; lxml holds ~10x a page in memory while reading it.
MAX_BYTES = 8 * 1024 * 1024

# Elements that are never the page's content.
_DROP_TAGS = frozenset({"nav", "footer", "form", "dialog", "aside", "header"})
_DROP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar", "dialog", "complementary"}
)
# Class or id names of navigation and boilerplate in DocBook, Publican, Sphinx, MkDocs, Docusaurus
# and help-centre themes. Whole names only: "article-header" is not "header".
_DROP_NAMES = frozenset(
    {
        "navheader", "navfooter", "docnav", "navbar", "nav", "navigation", "menu", "toc", "table-of-contents",
        "list-of-tables", "list-of-figures", "list-of-examples", "breadcrumb", "breadcrumbs", "crumbs",
        "pagination", "pager", "prev-next", "prevnext", "next-prev", "pagenav", "page-nav", "skip-link",
        "skiplink", "skip-to-content", "sr-only", "visually-hidden", "screen-reader-text", "headerlink",
        "legalnotice", "copyright", "revhistory", "footnote", "footnotes", "site-header", "site-footer", "footer",
        "banner",
        "cookie", "cookies", "cookie-banner", "consent", "share", "social", "related", "related-articles",
        "article-votes", "article-relatives", "feedback", "edit-page", "edit-this-page", "editlink",
        "sphinxsidebar", "wy-nav-side", "md-sidebar", "searchbox", "search",
        # DocBook title-page metadata of a book: who, which edition, when.
        "author", "authorgroup", "editor", "othercredit", "corpauthor", "releaseinfo", "pubdate", "edition",
        "producttitle", "productname", "productnumber", "subtitle",
    }
)  # fmt: skip
# Site chrome that is dropped unless it holds the page's h1 (some themes wrap the title in it).
_CHROME_NAMES = frozenset({"header", "masthead"})
# Admonitions may be <aside>; they are content.
_KEEP_ASIDE = frozenset({"note", "tip", "caution", "warning", "important", "admonition", "callout"})
_MAIN_IDS = ("content", "main-content", "main", "primary", "article")
_LINKLIST_TAGS = frozenset({"ul", "ol", "dl", "div", "p", "table", "td"})
_SEPARATORS = set("|·•›»«‹/-–—:,.;()[]<> \t\n\xa0")
_WHATWG_AS_1252 = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1", "ascii", "us-ascii", "iso_8859-1"})
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def starts_with_utf16_bom(data: bytes) -> bool:
    """Whether the bytes are UTF-16 text (which holds NUL bytes without being binary)."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


# ---- decoding -------------------------------------------------------------------------------
def _codec(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    if label in _WHATWG_AS_1252:
        return "cp1252"  # what browsers read these labels as
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page whose bytes can hold "<meta" in ASCII is not UTF-16/32, whatever it says.
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


def declared_encoding(data: bytes) -> str | None:
    """The encoding a page declares in its first 4 KB (`<meta charset>`, http-equiv, XML declaration)."""
    head = data[:4096]
    try:
        root = lxml.html.document_fromstring(head, parser=lxml.html.HTMLParser(encoding="iso-8859-1"))
    except (etree.ParserError, ValueError):
        root = None
    if root is not None:
        for meta in root.iter("meta"):
            charset = meta.get("charset")
            if charset:
                return charset
            if (meta.get("http-equiv") or "").lower() == "content-type":
                _, sep, value = (meta.get("content") or "").lower().partition("charset=")
                if sep and value.split(";")[0].strip():
                    return value.split(";")[0].strip()
    if head.startswith(b"<?xml"):
        decl = head[: head.find(b"?>")].decode("latin-1")
        _, sep, rest = decl.partition("encoding=")
        if sep and rest[:1] in ("'", '"'):
            return rest[1:].split(rest[0], 1)[0]
    return None


def decode_html(data: bytes) -> tuple[str, str | None]:
    """The page's text and, when it could not be read as it says, a note on how it was read."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), None
    note = None
    label = declared_encoding(data)
    if label:
        codec = _codec(label)
        if codec is None:
            note = f"declares an unknown encoding {label!r}"
        else:
            try:
                return data.decode(codec), None
            except UnicodeDecodeError as exc:
                note = f"declares {label} but byte {exc.start} is not valid {label}"
    try:
        text = data.decode("utf-8")
        return text, None if note is None else f"{note}; read as UTF-8"
    except UnicodeDecodeError:
        pass
    why = note or "declares no encoding and is not UTF-8"
    return data.decode("cp1252", errors="replace"), f"{why}; read as windows-1252"


# ---- what is content ------------------------------------------------------------------------
def _names(el: HtmlElement) -> set[str]:
    return classes(el) | set((el.get("id") or "").lower().split())


def _is_link_list(el: HtmlElement) -> bool:
    """Three or more links and next to no other text: a menu, not prose."""
    links = list(el.iter("a"))
    if len(links) < 3:
        return False
    link_chars = sum(len("".join(a.text_content().split())) for a in links)
    other = sum(1 for c in el.text_content() if c not in _SEPARATORS) - link_chars
    return link_chars > 0 and other <= link_chars // 10


def _drop(el: HtmlElement, page_h1: HtmlElement | None) -> bool:
    tag = tag_of(el)
    names = _names(el)
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    if tag == "aside" or (el.get("role") or "").lower() == "complementary":
        return not names & _KEEP_ASIDE
    if tag == "header" or names & _CHROME_NAMES:
        inside_article = any(tag_of(a) in ("article", "main") for a in el.iterancestors())
        holds_title = page_h1 is not None and any(d is page_h1 for d in el.iter("h1"))
        return not (inside_article or holds_title)
    return tag in _DROP_TAGS or (el.get("role") or "").lower() in _DROP_ROLES or bool(names & _DROP_NAMES)


def _prune(root: HtmlElement, page_h1: HtmlElement | None) -> None:
    """Drop what is not content: known navigation and boilerplate first, then what is left of menus
    (blocks of links with next to no other text), judged without the tables of contents around them."""

    def menu(el: HtmlElement) -> bool:
        return tag_of(el) in _LINKLIST_TAGS and _is_link_list(el)

    def boilerplate(el: HtmlElement) -> bool:
        return _drop(el, page_h1)

    for rule in (boilerplate, menu):
        doomed = [el for el in root.iter() if isinstance(el.tag, str) and rule(el)]
        for el in doomed:
            if el.getparent() is not None:
                el.drop_tree()  # keeps the tail text, which belongs to the parent


def _main_root(body: HtmlElement) -> HtmlElement:
    for xpath in ("//main", "//*[@role='main']"):
        found = body.xpath(xpath)
        if len(found) == 1:
            return found[0]
    articles = body.xpath("//article")
    if len(articles) == 1:
        return articles[0]
    for main_id in _MAIN_IDS:
        found = body.xpath(f"//*[@id='{main_id}']")
        if len(found) == 1:
            return found[0]
    return body


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def page_title(root: HtmlElement, fallback: str) -> tuple[str, HtmlElement | None]:
    """The page's title (`<title>`, or its h1 when the title only adds the site's name) and its h1."""
    title_el = next(root.iter("title"), None)
    title = " ".join(title_el.text_content().split()) if title_el is not None else ""
    h1 = next(root.iter("h1"), None)
    h1_text = " ".join(h1.text_content().split()) if h1 is not None else ""
    if h1_text and (not title or (_norm(h1_text) in _norm(title) and _norm(h1_text) != _norm(title))):
        title = h1_text
    return title or fallback, h1


# ---- sections -------------------------------------------------------------------------------
@dataclass(slots=True)
class _Section:
    path: list[str]
    anchor: str
    blocks: list[Block] = field(default_factory=list[Block])


def _sections(blocks: list[Block], title: str) -> list[_Section]:
    top = _Section([], "")
    out = [top]
    stack: list[tuple[int, str, str]] = []
    title_seen = False
    for block in blocks:
        if block.kind != "heading":
            out[-1].blocks.append(block)
            continue
        if not block.text:
            continue
        if not title_seen and not stack and _norm(block.text) == _norm(title):
            # The page's own heading: implied by the title, and its anchor is the page's top.
            title_seen = True
            top.anchor = top.anchor or block.anchor
            continue
        while stack and stack[-1][0] >= block.level:
            stack.pop()
        anchor = block.anchor or (stack[-1][2] if stack else "")
        stack.append((block.level, block.text, anchor))
        out.append(_Section([h for _, h, _ in stack], anchor))
    return [s for s in out if s.blocks]


def _split_block(block: Block, limit: int) -> list[str]:
    """A block longer than a chunk, cut between lines; code stays fenced and tables keep their header."""
    lines = block.text.split("\n")
    if block.kind == "code":
        inner, head, tail = lines[1:-1], [lines[0]], [lines[-1]]
    elif block.kind == "table":
        inner, head, tail = lines[2:], lines[:2], []
    elif block.kind == "list":
        return _split_items(lines, limit)
    else:
        return _split_words(block.text, limit)
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    budget = max(limit - sum(len(h) + 1 for h in head) - 4, limit // 2)
    for line in inner:
        if current and size + len(line) + 1 > budget:
            pieces.append("\n".join(head + current + tail))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pieces.append("\n".join(head + current + tail))
    return pieces


def _split_items(lines: list[str], limit: int) -> list[str]:
    items: list[list[str]] = []
    for line in lines:
        if not items or (line and not line[0].isspace()):
            items.append([line])
        else:
            items[-1].append(line)
    return pack(("\n".join(i) for i in items), limit, "\n")


def _split_words(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def _bodies(blocks: list[Block], limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """A section's blocks as chunk bodies of at most about `limit` characters, cut between blocks."""
    pieces = (p for b in blocks for p in ([b.text] if len(b.text) <= limit else _split_block(b, limit)))
    return pack(pieces, limit)


def html_document(path: Path, data: bytes) -> Parsed:
    """One HTML page as a document of sections; problems are reported with the file and the reason."""
    parsed = Parsed()
    where = str(path)
    text, note = decode_html(data)
    if note:
        parsed.notes.append(SkippedInput(path=where, reason=note))
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, etree.LxmlError, ValueError) as exc:
        parsed.skipped.append(SkippedInput(path=where, reason=f"not readable as HTML: {exc}"))
        return parsed
    # libxml2 stops at 256 levels of nesting (a guard against hostile pages); say what was lost.
    truncated = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    cut = "nested more than 256 levels deep; the text past that depth was not read"
    title, h1 = page_title(root, path.stem)
    body = root.find("body")
    body = body if body is not None else root
    _prune(body, h1)
    content = _main_root(body)
    converter = Converter()
    blocks = converter.blocks(content)
    if not any(b.kind != "heading" for b in blocks) and content is not body:
        blocks = converter.blocks(body)
    chunks: list[Chunk] = []
    for section in _sections(blocks, title):
        label = SECTION_SEP.join(section.path)
        bodies = _bodies(section.blocks)
        for i, text_body in enumerate(bodies):
            part = label if len(bodies) == 1 else f"{label} (part {i + 1})".strip()
            chunks.append(Chunk(title=title, section=part, body=text_body, anchor=section.anchor))
    if not chunks:
        reason = cut if truncated else "no text in the page once navigation is removed"
        parsed.skipped.append(SkippedInput(path=where, reason=reason))
        return parsed
    if truncated:
        parsed.notes.append(SkippedInput(path=where, reason=cut))
    parsed.documents.append(Document(source=str(path.resolve()), title=title, chunks=chunks))
    return parsed
