"""The one place where text becomes terms, and where two texts are compared by their terms.

A tokenizer for support text that keeps technical tokens findable whole and by their parts.

`ERR_CONN_RESET` gives `err_conn_reset`, `err`, `conn`, `reset`; `etcdMembersDown` gives
`etcdmembersdown`, `etcd`, `members`, `down`; `--dry-run` gives `--dry-run`, `dry-run`, `dry`,
`run`; `v1.27.3` gives `v1.27.3`, `v1`, `27`, `3`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator

# A word, optionally led by one or two dashes (CLI flags), with inner joiners kept.
_TOKEN = re.compile(r"(?<![\w-])-{1,2}(?=\w)\w+(?:[-./:@]\w+)*|\w+(?:[-./:@]\w+)*")
_JOINERS = re.compile(r"[-./:@_]+")
_NEEDS_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")

MAX_TOKEN_CHARS = 64
TERMS_CACHE = 4096  # texts whose content terms are remembered
TERMS_CACHE_CHARS = 4000  # longer texts (documents, pastes) are not

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


# ---- terms: what a text is about -------------------------------------------------------------

# Words every support question uses; they never make a question specific.
GENERIC_TERMS = frozenset(
    """help helps helping issue issues problem problems question questions error errors anyone anybody someone
    somebody work works working worked way thing things something anything please need needs want wants know
    get gets getting got use using used try trying tried make makes made find found see look looking like
    just still also really now here one some any ok okay hi hello hey thanks thank guys people channel
    able doing done going go cant dont doesnt does isnt wont wrong right good new sure how what why where when
    which who whom whose is are am was were do did would could should will shall may might must ubuntu linux
    computer machine system install installed installing run running file files rid""".split()
)

# Words that say nothing about which problem it is, beyond the engine's generic ones.
_VAGUE = frozenset(
    """out than all no yes via anyway ever even again already other another same different better best good
    bad new old way ways thing stuff guys guy hi hello everyone someone anybody please thanks thank""".split()
)
_PROBLEM_STOP = GENERIC_TERMS | _VAGUE
# Chat and filler around a problem, not the problem: laughter, "tell me", "I'm new", "every",
# misspellings of "someone". Only names leave them out (`name_terms`); problem_terms keeps them, so
# the keep model's cues and the same-problem rule, fitted on problem_terms, stay as they were.
FILLER_TERMS = frozenset(
    """lol lmao rofl heh hehe haha hmm im ive id ill youre tell told telling say says said wonder wondering
    guess think thinks plz pls thx ty btw imo ur ya yeah yep nope own newbie noob newb somone someon somebody
    anyone anybody everyone every each much many very lot lots bit kinda sorta maybe perhaps actually
    basically""".split()
)
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)

Idf = Callable[[str], float]


def _content_terms(text: str) -> frozenset[str]:
    return frozenset(term for parts in split_words(text) for term in parts if term not in STOPWORDS and len(term) > 1)


_remembered_terms = functools.lru_cache(maxsize=TERMS_CACHE)(_content_terms)


def content_terms(text: str) -> frozenset[str]:
    """Lowercase words that carry meaning: compounds count by their parts, stop words and single letters dropped.

    Learning and the answer path ask for the same turns' terms many times, so a message-sized text's
    terms are remembered (TERMS_CACHE texts, the most recently used).
    """
    return _remembered_terms(text) if len(text) <= TERMS_CACHE_CHARS else _content_terms(text)


def content_words(text: str) -> list[str]:
    """Index terms that carry meaning, repeats kept (no stop words, no one-letter parts)."""
    return [t for t in tokenize(text) if t not in STOPWORDS and len(t) > 1]


def specific_terms(text: str) -> frozenset[str]:
    """Content words that are not the generic vocabulary of every support question."""
    return content_terms(text) - GENERIC_TERMS


def without_urls(text: str) -> str:
    """The text without links: a pastebin or a docs link says nothing about which problem it is."""
    return _URL.sub(" ", text)


def problem_terms(text: str) -> frozenset[str]:
    """The informative words of a problem statement: specific words, no links, no bare numbers."""
    return frozenset(t for t in content_terms(without_urls(text)) if t not in _PROBLEM_STOP and not t.isdigit())


def name_terms(text: str) -> list[str]:
    """A problem statement's informative words (`problem_terms`) in the order it uses them, without chat words:
    what a skill's name is made of."""
    informative = problem_terms(text)
    words = (t for parts in split_words(without_urls(text)) for t in parts)
    return [t for t in dict.fromkeys(words) if t in informative and t not in FILLER_TERMS]


# ---- similarity of term sets -------------------------------------------------------------------


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def token_f1(a: str, b: str) -> float:
    """F1 of the two texts' content-term sets."""
    ta, tb = content_terms(a), content_terms(b)
    common = len(ta & tb)
    if not common:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def weighted_jaccard(a: Iterable[str], b: Iterable[str], idf: Idf) -> tuple[float, int]:
    """(idf-weighted Jaccard index, number of shared terms) of two term sets."""
    sa, sb = set(a), set(b)
    shared = sa & sb
    if not shared:
        return 0.0, 0
    union = sum(max(idf(t), 0.0) for t in sa | sb)
    score = sum(max(idf(t), 0.0) for t in shared) / union if union > 0 else 0.0
    return score, len(shared)


def smoothed_idf(n_docs: int, df: int, prior_docs: int = 100) -> float:
    """Lucene's idf over an index plus `prior_docs` documents without the term (steady on tiny indexes)."""
    n = n_docs + prior_docs
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
