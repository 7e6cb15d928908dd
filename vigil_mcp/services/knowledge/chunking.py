"""Split Markdown documents into heading sections that keep their title and section path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)

# A document at most this long stays one chunk; longer ones are split by section.
WHOLE_DOC_CHARS = 1200
# A section longer than this is split further at paragraph breaks.
MAX_CHUNK_CHARS = 4000
SECTION_SEP = " > "
_PART_SUFFIX = re.compile(r"\s*\(part \d+\)$")  # the label `markdown_chunks` gives a long section's pieces


def section_parts(section: str) -> list[str]:
    """A section path's components, the last one without the "(part n)" of a split section."""
    parts = [p.strip() for p in section.split(SECTION_SEP) if p.strip()]
    if parts:
        parts[-1] = _PART_SUFFIX.sub("", parts[-1]).strip()
    return parts


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a document."""

    title: str
    section: str
    body: str
    # Where in the source this chunk starts (an HTML anchor, an OpenAPI pointer); "" for the top.
    anchor: str = ""
    # The texts retrieval matches for this chunk, when they are not its body's passages: a learned
    # Q&A is matched on its question only. None: the body is split into passages.
    passages: tuple[str, ...] | None = None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple `key: value` YAML front matter (title, tags) and the text after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def _sections(text: str) -> list[tuple[list[str], list[str]]]:
    """(heading path, lines) per section, ignoring '#' lines inside fenced code."""
    out: list[tuple[list[str], list[str]]] = [([], [])]
    path: list[tuple[int, str]] = []
    fence: str | None = None
    for line in text.splitlines():
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)[0]
            if fence is None:
                fence = marker
            elif fence == marker:
                fence = None
        heading = None if fence else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, heading.group(2).strip()))
            out.append(([h for _, h in path], []))
        else:
            out[-1][1].append(line)
    return out


def pack(pieces: Iterable[str], limit: int = MAX_CHUNK_CHARS, sep: str = "\n\n") -> list[str]:
    """Pieces joined by `sep` into texts of at most about `limit` characters, in order; a piece
    longer than `limit` stands alone."""
    texts: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(sep) + len(piece) > limit:
            texts.append(current)
            current = ""
        current = f"{current}{sep}{piece}" if current else piece
    if current:
        texts.append(current)
    return texts


def _split_long(body: str) -> list[str]:
    if len(body) <= MAX_CHUNK_CHARS:
        return [body]
    pieces: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", body):
        if current and len(current) + len(para) + 2 > MAX_CHUNK_CHARS:
            pieces.append(current)
            current = ""
        while len(para) > MAX_CHUNK_CHARS:
            pieces.append(para[:MAX_CHUNK_CHARS])
            para = para[MAX_CHUNK_CHARS:]
        current = f"{current}\n\n{para}" if current else para
    if current.strip():
        pieces.append(current)
    return pieces


def chunk_markdown(text: str, title: str | None = None) -> list[Chunk]:
    """Chunks of a Markdown document; the title is the first H1 unless given."""
    sections = _sections(text)
    doc_title = title
    if doc_title is None:
        for path, _ in sections:
            if len(path) == 1:
                doc_title = path[0]
                break
    doc_title = (doc_title or "").strip() or "Untitled"
    stripped = text.strip()
    if not stripped:
        return []
    if len(stripped) <= WHOLE_DOC_CHARS:
        return [Chunk(title=doc_title, section="", body=stripped)]
    chunks: list[Chunk] = []
    for path, lines in sections:
        # The H1 carrying the document title is implied by `title`.
        shown = path[1:] if path and path[0] == doc_title else path
        body = "\n".join(lines).strip()
        if not body:
            continue
        section = SECTION_SEP.join(shown)
        pieces = _split_long(body)
        for i, piece in enumerate(pieces):
            label = section if len(pieces) == 1 else f"{section} (part {i + 1})".strip()  # see section_parts
            chunks.append(Chunk(title=doc_title, section=label, body=piece.strip()))
    return chunks
