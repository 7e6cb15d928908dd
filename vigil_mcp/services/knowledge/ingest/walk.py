"""Finding and reading the files to ingest: folders walked, formats told apart, size limits kept.

Nothing here writes: it yields documents and reports what it skipped (file, line, reason), so one
bad file or line never stops the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.ingest import html, jsonl, markdown, openapi
from vigil_mcp.services.knowledge.ingest.document import Parsed, Walk

# Markdown and JSONL are read whole; this only keeps a stray disk image out.
MAX_TEXT_BYTES = 256 * 1024 * 1024
_SNIFF_BYTES = 8192


def _markdown(path: Path, data: bytes) -> Parsed:
    parsed = Parsed()
    text = _utf8(path, data, parsed)
    if text is not None:
        doc = markdown.markdown_document(path, text)
        if doc.chunks:
            parsed.documents.append(doc)
        else:
            parsed.skipped.append(SkippedInput(path=str(path), reason="empty document"))
    return parsed


def _jsonl(path: Path, data: bytes) -> Parsed:
    probe = Parsed()
    text = _utf8(path, data, probe)
    return probe if text is None else jsonl.jsonl_documents(path, text)


def _utf8(path: Path, data: bytes, parsed: Parsed) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.skipped.append(
            SkippedInput(path=str(path), reason=f"not UTF-8 (byte {exc.start}); re-save the file as UTF-8")
        )
        return None


@dataclass(frozen=True, slots=True)
class Format:
    """One input format: which files, how big at most, how to read them, and the kind of its items."""

    name: str
    suffixes: frozenset[str]
    max_bytes: int
    parser: str  # recorded with each file's hash: a new parser version re-reads old files
    kind: str  # the kind its items get unless the caller names one
    read: Callable[[Path, bytes], Parsed]


FORMATS: tuple[Format, ...] = (
    Format("Markdown", markdown.SUFFIXES, MAX_TEXT_BYTES, markdown.PARSER, "runbook", _markdown),
    Format("JSONL", jsonl.SUFFIXES, MAX_TEXT_BYTES, jsonl.PARSER, "runbook", _jsonl),
    Format("HTML", html.SUFFIXES, html.MAX_BYTES, html.PARSER, "doc", html.html_document),
    Format("OpenAPI", openapi.SUFFIXES, openapi.MAX_BYTES, openapi.PARSER, "doc", openapi.openapi_document),
)
_BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
_WHAT = "Markdown (.md), JSONL (.jsonl), HTML (.html) or OpenAPI (.json, .yaml)"


def format_of(path: Path) -> Format | None:
    """The format a file is read as, by its suffix."""
    return _BY_SUFFIX.get(path.suffix.lower())


def find_files(paths: Sequence[Path]) -> tuple[list[Path], list[SkippedInput]]:
    """The files to read under `paths` (folders searched, hidden entries left out), and what is not usable."""
    files: list[Path] = []
    skipped: list[SkippedInput] = []
    for path in paths:
        if not path.exists():
            skipped.append(SkippedInput(path=str(path), reason="no such file or folder"))
        elif path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and format_of(p) is not None
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                skipped.append(SkippedInput(path=str(path), reason=f"folder holds no {_WHAT} files"))
            files.extend(found)
        elif format_of(path) is None:
            skipped.append(SkippedInput(path=str(path), reason=f"not {_WHAT}"))
        else:
            files.append(path)
    return files, skipped


@dataclass(frozen=True, slots=True)
class FileBytes:
    """A file's content and its sha256."""

    path: Path
    data: bytes
    sha256: str


def read_file(path: Path) -> FileBytes | SkippedInput:
    """The bytes of a file within its format's size limit, or why they cannot be used."""
    fmt = format_of(path)
    limit = fmt.max_bytes if fmt is not None else MAX_TEXT_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            return SkippedInput(path=str(path), reason=_too_big(fmt, size, limit))
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        return SkippedInput(path=str(path), reason=f"cannot read: {exc.strerror or exc}")
    if len(data) > limit:
        return SkippedInput(path=str(path), reason=_too_big(fmt, len(data), limit))
    if b"\x00" in data[:_SNIFF_BYTES] and not html.starts_with_utf16_bom(data):
        return SkippedInput(path=str(path), reason=f"binary file (contains NUL bytes); give {_WHAT}")
    return FileBytes(path, data, hashlib.sha256(data).hexdigest())


def _too_big(fmt: Format | None, size: int, limit: int) -> str:
    name = fmt.name if fmt is not None else "a text"
    return f"file is {size:,} bytes; the limit for {name} files is {limit:,} (split it into smaller files)"


def parse_file(file: FileBytes) -> Parsed:
    """The documents in a file that `read_file` returned."""
    fmt = format_of(file.path)
    if fmt is None:
        return Parsed(skipped=[SkippedInput(path=str(file.path), reason=f"not {_WHAT}")])
    return fmt.read(file.path, file.data)


def walk_paths(paths: Sequence[Path]) -> Walk:
    """Every document under `paths` (folders are searched for every format above)."""
    walk = Walk()
    files, walk.skipped = find_files(paths)
    for path in files:
        loaded = read_file(path)
        if isinstance(loaded, SkippedInput):
            walk.skipped.append(loaded)
            continue
        parsed = parse_file(loaded)
        walk.documents.extend(parsed.documents)
        walk.skipped.extend(parsed.skipped)
        walk.notes.extend(parsed.notes)
    return walk
