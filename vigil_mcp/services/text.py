"""A tokenizer for support text that keeps technical tokens findable whole and by their parts.

`ERR_CONN_RESET` gives `err_conn_reset`, `err`, `conn`, `reset`; `etcdMembersDown` gives
`etcdmembersdown`, `etcd`, `members`, `down`; `--dry-run` gives `--dry-run`, `dry-run`, `dry`,
`run`; `v1.27.3` gives `v1.27.3`, `v1`, `27`, `3`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A word, optionally led by one or two dashes (CLI flags), with inner joiners kept.
_TOKEN = re.compile(r"(?<![\w-])-{1,2}(?=\w)\w+(?:[-./:@]\w+)*|\w+(?:[-./:@]\w+)*")
_JOINERS = re.compile(r"[-./:@_]+")
_NEEDS_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")

MAX_TOKEN_CHARS = 64

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "you",
        "your",
        "we",
        "our",
        "me",
        "my",
        "he",
        "she",
        "him",
        "her",
        "them",
        "do",
        "does",
        "did",
        "been",
        "being",
        "am",
        "can",
        "could",
        "would",
        "should",
    ]
)


def _parts(word: str) -> Iterator[str]:
    for piece in _JOINERS.split(word):
        if not piece:
            continue
        if _NEEDS_CAMEL.search(piece):
            sub = _CAMEL_PART.findall(piece)
            if len(sub) > 1:
                yield from sub
                continue
        yield piece


def split_words(text: str) -> Iterator[list[str]]:
    """Per word: its lowercase parts (a simple word is its own single part), stop words kept."""
    for match in _TOKEN.finditer(text):
        raw = match.group(0)[:MAX_TOKEN_CHARS]
        yield [p.lower() for p in _parts(raw)]


def tokenize(text: str) -> list[str]:
    """Split text into lowercase index terms: each technical token whole, then its parts."""
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if len(raw) > MAX_TOKEN_CHARS:
            raw = raw[:MAX_TOKEN_CHARS]
        whole = raw.lower()
        parts = [p.lower() for p in _parts(raw)]
        if len(parts) == 1 and parts[0] == whole:
            if whole not in STOPWORDS:
                out.append(whole)
            continue
        out.append(whole)
        stripped = whole.lstrip("-")
        if stripped != whole and stripped not in parts:
            out.append(stripped)
        out.extend(p for p in parts if p not in STOPWORDS)
    return out
