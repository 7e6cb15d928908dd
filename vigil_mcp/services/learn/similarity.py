"""When two customer problems are the same problem: the one rule clustering and skill matching share.

A problem is the set of its informative words: content words (`coverage_terms`) minus the words
every support question uses (`GENERIC_TERMS` and a few more) and bare numbers (versions and sizes
are environment, not the problem), links left out. Two problems are similar when

    sum(idf(t) for t in A & B) / sum(idf(t) for t in A | B) >= SIMILAR   and   |A & B| >= MIN_SHARED

an idf-weighted Jaccard index: shared rare words (`ntfs`, `grub`, `webhook`) count for much, shared
common ones for little, and a long text cannot look similar just by containing many words. The idf is
the knowledge index's, so weights follow what vigil knows, with a prior of PRIOR_DOCS documents that
contain none of the words (`smoothed_idf`): in a new, nearly empty knowledge base, where the two cases
compared are most of the documents and every word they share looks common, all words weigh about the
same and the index falls back to a plain Jaccard index. The threshold was chosen on the 877
learnable resolved cases of the shared dialogues, where it pairs "change GRUB so that windows is the
default OS" with "How do I change grub to boot to windows by default?" and leaves apart questions
that only share words such as "command line" or "version" (bench/learn_bench.py lists the pairs).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from vigil_mcp.services.answer.engine.scoring import GENERIC_TERMS, coverage_terms

Idf = Callable[[str], float]

SIMILAR = 0.35
MIN_SHARED = 2
PRIOR_DOCS = 100
# Words that say nothing about which problem it is, beyond the engine's generic ones.
_VAGUE = frozenset(
    """out than all no yes via anyway ever even again already other another same different better best good
    bad new old way ways thing stuff guys guy hi hello everyone someone anybody please thanks thank""".split()
)
_STOP = GENERIC_TERMS | _VAGUE


_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)


def without_urls(text: str) -> str:
    """The text without links: a pastebin or a docs link says nothing about which problem it is."""
    return _URL.sub(" ", text)


def problem_terms(text: str) -> frozenset[str]:
    """The informative words of a problem statement (see the module docstring)."""
    return frozenset(t for t in coverage_terms(without_urls(text)) if t not in _STOP and not t.isdigit())


def smoothed_idf(n_docs: int, df: int) -> float:
    """Lucene's idf over the index plus PRIOR_DOCS documents without the term."""
    n = n_docs + PRIOR_DOCS
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def similarity(a: Iterable[str], b: Iterable[str], idf: Idf) -> tuple[float, int]:
    """(idf-weighted Jaccard index, number of shared terms) of two term sets."""
    sa, sb = set(a), set(b)
    shared = sa & sb
    if not shared:
        return 0.0, 0
    union = sum(max(idf(t), 0.0) for t in sa | sb)
    score = sum(max(idf(t), 0.0) for t in shared) / union if union > 0 else 0.0
    return score, len(shared)


def is_similar(score: tuple[float, int]) -> bool:
    """Whether a `similarity` result makes two problems the same problem."""
    return score[0] >= SIMILAR and score[1] >= MIN_SHARED
