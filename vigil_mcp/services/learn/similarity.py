"""When two customer problems are the same problem: the one rule clustering and skill matching share.

A problem is the set of its informative words: content words (`text.content_terms`) minus the words
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

from vigil_mcp.services.text import Idf, problem_terms, smoothed_idf, weighted_jaccard, without_urls

SIMILAR = 0.35
MIN_SHARED = 2
PRIOR_DOCS = 100

__all__ = [
    "MIN_SHARED",
    "PRIOR_DOCS",
    "SIMILAR",
    "Idf",
    "is_similar",
    "problem_terms",
    "similarity",
    "smoothed_idf",
    "without_urls",
]

similarity = weighted_jaccard


def is_similar(score: tuple[float, int]) -> bool:
    """Whether a `similarity` result makes two problems the same problem."""
    return score[0] >= SIMILAR and score[1] >= MIN_SHARED
