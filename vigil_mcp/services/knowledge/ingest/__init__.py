"""Read files into documents to index: Markdown, runbook JSONL, HTML pages and OpenAPI 3 specs.

One module per format (`markdown`, `jsonl`, `html`, `openapi`), the HTML-to-Markdown converter
they share (`html_markdown`), and the folder walk (`walk`) that tells formats apart and keeps
size limits. Nothing here writes to the store.
"""

from vigil_mcp.services.knowledge.ingest.document import Document, Parsed, Walk
from vigil_mcp.services.knowledge.ingest.jsonl import SUFFIXES as JSONL_SUFFIXES
from vigil_mcp.services.knowledge.ingest.markdown import SUFFIXES as MARKDOWN_SUFFIXES
from vigil_mcp.services.knowledge.ingest.markdown import markdown_document
from vigil_mcp.services.knowledge.ingest.walk import (
    FORMATS,
    MAX_TEXT_BYTES,
    FileBytes,
    Format,
    find_files,
    format_of,
    parse_file,
    read_file,
    walk_paths,
)

MAX_FILE_BYTES = MAX_TEXT_BYTES

__all__ = [
    "FORMATS",
    "JSONL_SUFFIXES",
    "MARKDOWN_SUFFIXES",
    "MAX_FILE_BYTES",
    "Document",
    "FileBytes",
    "Format",
    "Parsed",
    "Walk",
    "find_files",
    "format_of",
    "markdown_document",
    "parse_file",
    "read_file",
    "walk_paths",
]
