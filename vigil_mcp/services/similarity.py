"""Are two texts the same? Every rule vigil uses to decide it, with its constant, in one place.

The terms and term-set measures come from `services/text.py`; this module holds the decisions.

**Same problem** (learning: clustering resolved cases into a skill, matching a skill, `Sameness.
same_problem`): would one skill, one procedure, serve both customers? With an embedding model, two
problems are the same when the cosine of the embeddings of the two problem statements (a lesson's
normalised problem; a skill's description or one of its When it applies / Symptoms lines) reaches
SAME_PROBLEM, or when the word rule below holds (so adding a model never parts two cases the words
join). Fitted like dedupe's (best F0.5 for "same" on the fit part: a skill that mixes two
problems teaches the wrong procedure and a maintainer has to retire it, a skill not written leaves the
Q&A items answering alone) on 117 pairs of lessons of the shared dialogues (the closest pairs by
each measure among the lessons learned at floors 0.5 to the shipped one; 27 `same`, 90 `different`)
labelled by reading (eval/labels/skills/, GUIDE.md; 90 to fit, 27 held back, split by dialogue) with

    .venv/bin/python eval/fit_same_problem.py

Fit part: cosine 0.70 gives precision 0.80 and recall 0.36 (8 of the 10 pairs that reach it are
`same`); held back, the 1 pair that reaches it is `same` (recall 0.20: 1 of 5). The held-back part is
small (27 pairs), so these figures are a first measure, not a guarantee. The cosine of the Q&A
passages (problem and symptoms) fits lower and worse (0.63: precision 0.65). What 0.70 still pairs
wrongly is the same topic asked for another step ("how do I become root" and "how do I set a root
password") or a vague question ("anyone used VirtualBox?"); what it misses includes "How do I change
grub to boot to windows by default?" and "Change GRUB so that windows is the default OS" (0.66). It
is not SAME_CASE (0.79, "would that case's answer answer this request"): on these pairs 0.79 flags 4
of 117 (all `same`, recall 0.15), so hardly any skill would be written. With the word rule added, as
shipped: fit part precision 0.75, recall 0.41 (9 of 12; F0.5 0.64, as cosine alone's 0.65), held
back 2 of 2 (recall 0.40): the words add the GRUB pair (and the bundled demo's GRUB skill), a root
shell pair, and one wrong pair of kernel-flavour questions.

Without a model, two problems are the same when the idf-weighted Jaccard index of their terms
(`text.problem_terms` of a lesson's Q&A passage, or of a skill's line: content words minus the words
every support question uses and bare numbers, links left out)

    sum(idf(t) for t in A & B) / sum(idf(t) for t in A | B) >= SIMILAR   and   |A & B| >= MIN_SHARED

reaches SIMILAR with MIN_SHARED shared words. The idf is the knowledge index's, with a prior of
PRIOR_DOCS documents that contain none of the words (`smoothed_idf`), so in a nearly empty knowledge
base all words weigh about the same. Words barely tell the same problem from another: the best F0.5
on the fit part (0.13 with 2 shared words) has precision 0.32 (held back 0.20), so the fallback is
not that fit but the strict 0.35 with 2 shared words chosen before the labels: it flags 3 of the 117
labelled pairs (2 `same`, GRUB's default OS and a root shell; 1 `different`, two kernel-flavour
questions) and writes few skills rather than mixed ones.

**Same line** (learning: a skill's steps, answers and symptoms, `same_line`): token F1 of the two
lines' content terms at or above SAME_LINE (SAME_SYMPTOM for symptoms, where another wording of the
same problem is worth keeping).

**Same meaning** (the answer path, `Sameness`). A draft repeats an earlier suggestion or analyst reply
of the ticket (`Sameness.repeats`) when the cosine of the two texts' embeddings reaches SAME_MEANING,
or, without an embedding model, when their token F1 reaches SAME_WORDS. Both are fitted on 300 pairs
(a draft of vigil's, an earlier text of its ticket; 73 `same`, 227 `new`) labelled by reading
(eval/labels/dedupe/, GUIDE.md; 174 to fit, 126 held back, split by ticket) with

    .venv/bin/python eval/fit_dedupe.py

as the threshold with the best F0.5 for "same" on the fit part: a repeat that goes out costs the
analyst a glance and a click, a useful draft held back loses the help vigil exists for, so precision
counts twice. Held back, cosine 0.90 gives precision 0.85 and recall 0.49 for "same" (the open-source
Vigil's 0.7: precision 0.48); token F1 0.85 gives 0.83 and 0.43 (F0.5 0.70 against cosine's 0.74),
so cosine stays. Cosine cannot tell the same sentence about another object (a field of a SetupIntent
vs of a PaymentIntent) from a repeat: 6 of the 8 pairs it wrongly flags. What it misses is mostly an
analyst saying the same thing in chat words (16 of the 36 `same` pairs below 0.90).
**Adds nothing** (the answer path, `adds_nothing`): a draft only restates the customer's message
when less than ADDS_LITTLE of its content terms (generic ones left out) are words the message does not
hold, as a field definition made of the customer's own words. Only drafts from the docs and runbooks:
a learned answer that confirms what the customer proposes ("yes, run sudo apt-get -f install") says
something. A draft with a code block is never held back (it adds a command to run). Fitted by
`eval/fit_novelty.py` on the 149 drafts from the docs and runbooks that readers labelled on the shared
dialogues (eval/labels/suggestions/): the midpoint between the lowest measure
of a draft without code labelled helpful or partly (0.50) and the highest wrong one below it (0.38),
so it holds back the 3 wrong drafts below 0.44 and nothing a reader found useful; on the 28 docq
drafts read blind (eval/labels/docq/blind.jsonl) it holds back none (lowest 0.55, helpful). Three
drafts are thin evidence: the margin is what keeps it from biting on useful ones.

**Same case** (`Sameness.same_case`: may a learned Q&A answer this request?). Its answer was given to
another customer, so it helps only when this one asks the same thing: the cosine of the query and the
Q&A's question reaches SAME_CASE, or, without a model, their token F1 reaches SAME_CASE_WORDS. Both are
fitted like dedupe's (best F0.5 for "same" on the fit part) on 194 pairs (a request as the answer path
queries it, the nearest learned Q&A of another dialogue; 61 `same`, 133 `different`) labelled by
reading (eval/labels/questions/, GUIDE.md; 124 to fit, 70 held back, split by dialogue; two readers
agreed on 19 of 20 read by both) with

    .venv/bin/python eval/fit_same_question.py

Held back, cosine 0.79 gives precision 1.00 and recall 0.52 for "same"; the open-source Vigil's 0.7
gives 0.70 and 0.84 (of 30 learned answers it lets through, 9 answer another question: "how do I
mount a partition?" given the USB-disk answer). Token F1 0.31 gives 0.65 and 0.44.

**Same question in a ticket** (`Sameness.same`: did an analyst already answer it, was this item
rejected for it): SAME_QUESTION (cosine) or SAME_QUESTION_WORDS (token F1), the open-source Vigil's
values, not measured. It is not SAME_CASE: a customer re-asking in their own ticket uses chat words
for the question the analyst just answered, and a miss here costs a draft that repeats or contradicts
the analyst, while a false match only costs silence. The case bar (0.79) used here let through
drafts on re-asked questions the analyst had answered ("how to log in as root beside in shell" after
"ubuntu disables direct root login") in the eval run that tried it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vigil_mcp.services.knowledge.embed import Embedder
from vigil_mcp.services.text import (
    GENERIC_TERMS,
    Idf,
    content_terms,
    problem_terms,
    smoothed_idf,
    token_f1,
    weighted_jaccard,
    without_urls,
)

SIMILAR = 0.35  # measured, not fitted: eval/fit_same_problem.py
MIN_SHARED = 2
SAME_PROBLEM = 0.7  # fitted: eval/fit_same_problem.py
PRIOR_DOCS = 100
SAME_LINE = 0.6
SAME_SYMPTOM = 0.8
SAME_MEANING = 0.9  # fitted: eval/fit_dedupe.py
SAME_WORDS = 0.85  # fitted: eval/fit_dedupe.py
SAME_QUESTION = 0.7
SAME_QUESTION_WORDS = 0.5
SAME_CASE = 0.79  # fitted: eval/fit_same_question.py
SAME_CASE_WORDS = 0.31  # fitted: eval/fit_same_question.py
ADDS_LITTLE = 0.44  # fitted: eval/fit_novelty.py
# How likely a learned Q&A helps a request that reaches the same-case bar: (the 90 % Wilson lower bound
# of the bar's held-back precision) x (the share of lessons blind first readers kept at the lesson floor).
# The judge was fitted on no learned Q&A at the bar (its labels hold none at cosine >= 0.79), so on the
# same case these figures, not its extrapolation, say how likely the learned fix helps. Measured by
# eval/fit_same_question.py (13 of 13 same, 11 of 17 by words) and eval/fit_lessons.py (81 % kept).
SAME_CASE_HELPS = 0.67
SAME_CASE_WORDS_HELPS = 0.36
_CITATION = re.compile(r"\n+Source: .*\Z", re.DOTALL)

__all__ = [
    "MIN_SHARED",
    "PRIOR_DOCS",
    "SAME_CASE",
    "SAME_CASE_HELPS",
    "SAME_CASE_WORDS",
    "SAME_CASE_WORDS_HELPS",
    "SAME_LINE",
    "SAME_MEANING",
    "SAME_PROBLEM",
    "SAME_QUESTION",
    "SAME_QUESTION_WORDS",
    "SAME_SYMPTOM",
    "SAME_WORDS",
    "SIMILAR",
    "Idf",
    "Problem",
    "Sameness",
    "is_similar",
    "problem",
    "problem_terms",
    "same_line",
    "similarity",
    "smoothed_idf",
    "without_citation",
    "without_urls",
]

similarity = weighted_jaccard


def is_similar(score: tuple[float, int]) -> bool:
    """Whether a `similarity` result makes two problems the same problem."""
    return score[0] >= SIMILAR and score[1] >= MIN_SHARED


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem as `Sameness.same_problem` compares it: its statement (embedded) and its terms (without a model).
    `vector` is the statement's embedding when the caller already has it (read-only)."""

    text: str
    terms: frozenset[str]
    vector: npt.NDArray[np.float32] | None = field(default=None, compare=False, repr=False)


def problem(text: str, context: str | None = None) -> Problem:
    """The problem a statement states; its terms come from `context` (the statement and how customers said it)
    when given."""
    return Problem(text, problem_terms(text if context is None else context))


def same_line(a: str, b: str, threshold: float = SAME_LINE) -> bool:
    """Whether two lines of a skill say the same thing (token F1 of their content terms)."""
    return token_f1(a, b) >= threshold


def adds(draft: str, said: str) -> float:
    """The share of a draft's content terms (not the generic ones) that `said` (the customer's
    message) does not hold: how much the draft tells the customer beyond their own words, 0..1."""
    terms = content_terms(draft) - GENERIC_TERMS
    if not terms:
        return 0.0
    return len(terms - content_terms(said)) / len(terms)


def adds_nothing(draft: str, said: str) -> bool:
    """Whether a draft only restates what the customer said ("`payment_method` on the
    `payment_intent` object: ID of the payment method used in this PaymentIntent" for a customer
    whose error names that payment method on that PaymentIntent). A draft with a code block adds a
    command to run, whatever words it shares with the question."""
    return "```" not in draft and adds(draft, said) < ADDS_LITTLE


def without_citation(text: str) -> str:
    """A draft without its citation line (the citation does not change what it says)."""
    return _CITATION.sub("", text).strip()


class Sameness:
    """Compares texts by meaning (embeddings, cached by the embedder) or, without a model, by words."""

    def __init__(
        self, embedder: Embedder | None, threshold: float = SAME_MEANING, question_threshold: float = SAME_QUESTION
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.question_threshold = question_threshold

    def vector(self, text: str) -> npt.NDArray[np.float32] | None:
        """The embedding of a text, or None without a model."""
        return None if self.embedder is None else self.embedder.embed_one(text)

    def score(self, a: str, b: str) -> float:
        """Cosine of the two texts (or token F1 without a model)."""
        va, vb = self.vector(a), self.vector(b)
        if va is None or vb is None:
            return token_f1(a, b)
        return float(va @ vb)

    def same(self, a: str, b: str) -> bool:
        """Whether two customer questions of one ticket ask the same thing."""
        threshold = self.question_threshold if self.embedder is not None else SAME_QUESTION_WORDS
        return self.score(a, b) >= threshold

    @property
    def case_helps(self) -> float:
        """How likely a learned Q&A's fix helps a request that `same_case` pairs with its question."""
        return SAME_CASE_HELPS if self.embedder is not None else SAME_CASE_WORDS_HELPS

    def same_case(self, cosine: float | None, request: str, learned: str) -> bool:
        """Whether `request` asks what a learned Q&A's question `learned` asked (`cosine`: theirs, when
        retrieval already knows it), so that its answer applies."""
        if self.embedder is None:
            return token_f1(request, learned) >= SAME_CASE_WORDS
        return (cosine if cosine is not None else self.score(request, learned)) >= SAME_CASE

    def same_problem(self, a: Problem, b: Problem, idf: Idf) -> float | None:
        """How alike two problems are when one skill serves both (cosine, or weighted Jaccard without a
        model); None when they are different problems. With a model, shared rare words still count, so a
        model never parts two cases the words join. A problem's `vector`, when set, is its statement's
        embedding: the text is not embedded again."""
        words = similarity(a.terms, b.terms, idf)
        if self.embedder is None:
            return words[0] if is_similar(words) else None
        va = a.vector if a.vector is not None else self.vector(a.text)
        vb = b.vector if b.vector is not None else self.vector(b.text)
        cosine = token_f1(a.text, b.text) if va is None or vb is None else float(va @ vb)
        return cosine if cosine >= SAME_PROBLEM or is_similar(words) else None

    def repeats(self, text: str, earlier: Iterable[str]) -> bool:
        """Whether draft `text` says what one of `earlier` (suggestions, analyst replies) already said."""
        threshold = self.threshold if self.embedder is not None else SAME_WORDS
        return any(self.score(text, e) >= threshold for e in earlier if e.strip())
