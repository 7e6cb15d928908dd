"""What a passage contains, as the judge's coverage features read it (computed once per passage)."""

from __future__ import annotations

from dataclasses import dataclass

from vigil_mcp.services.text import content_terms, split_words


def terms_with_parts(text: str) -> frozenset[str]:
    """Every word of a text and every part of its compound words (what coverage looks for; its content
    terms are among them, since `content_terms` keeps some of these same parts)."""
    out: set[str] = set()
    for parts in split_words(text):
        out.update(parts)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class PassageTerms:
    """A passage's words with its title and section, the heading's own terms, and its lowered text."""

    words: frozenset[str]  # terms with parts of title, section and text
    title: frozenset[str]  # content terms of title and section (empty for a learned Q&A's question)
    lowered: str  # title, section and text, lowercased (for whole technical tokens)


def passage_terms(title: str, section: str, text: str, form: str) -> PassageTerms:
    """A passage's terms."""
    whole = f"{title}\n{section}\n{text}"
    heading = frozenset(content_terms(f"{title}\n{section}")) if form != "given" else frozenset[str]()
    return PassageTerms(terms_with_parts(whole), heading, whole.lower())
