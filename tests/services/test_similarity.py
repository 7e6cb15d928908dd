"""The similarity rule shared by clustering and skill matching."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vigil_mcp.services.knowledge.embed import load_embedder
from vigil_mcp.services.similarity import (
    SAME_PROBLEM,
    Sameness,
    is_similar,
    problem,
    problem_terms,
    similarity,
    smoothed_idf,
)

from .learn.cases import GRUB, WEBHOOK


def idf_over(questions: list[str]) -> Callable[[str], float]:
    df: dict[str, int] = {}
    for q in questions:
        for t in problem_terms(q):
            df[t] = df.get(t, 0) + 1
    return lambda term: smoothed_idf(len(questions), df.get(term, 0))


def test_the_same_problem_in_other_words_is_similar_and_another_problem_is_not() -> None:
    questions = [WEBHOOK[0][0], WEBHOOK[1][0], GRUB[0]]
    idf = idf_over(questions)
    terms = [problem_terms(q) for q in questions]
    assert is_similar(similarity(terms[0], terms[1], idf))
    assert not is_similar(similarity(terms[0], terms[2], idf))


def test_generic_words_and_numbers_do_not_make_two_questions_similar() -> None:
    a = problem_terms("hi guys, how do I install something on ubuntu 10.04, can someone help?")
    b = problem_terms("hello, anyone know how to install ubuntu 10.04? please help")
    assert a == frozenset() and b == frozenset()
    assert not is_similar(similarity(a, b, lambda _: 1.0))


def test_one_shared_rare_word_is_not_enough() -> None:
    a, b = problem_terms("where is the kernel config file"), problem_terms("how do I rebuild the kernel with dkms")
    assert a & b == {"kernel"}
    assert not is_similar(similarity(a, b, lambda _: 5.0))


def test_in_an_almost_empty_knowledge_base_shared_words_still_count() -> None:
    # Two documents: every shared word is in all of them, yet the two wordings are one problem.
    idf = idf_over([WEBHOOK[0][0], WEBHOOK[1][0]])
    assert is_similar(similarity(problem_terms(WEBHOOK[0][0]), problem_terms(WEBHOOK[1][0]), idf))


def test_same_problem_without_a_model_is_the_weighted_jaccard_rule() -> None:
    idf = idf_over([WEBHOOK[0][0], WEBHOOK[1][0], GRUB[0]])
    same = Sameness(None)
    a, b, c = (problem(q) for q in (WEBHOOK[0][0], WEBHOOK[1][0], GRUB[0]))
    score = same.same_problem(a, b, idf)
    assert score is not None and score == similarity(a.terms, b.terms, idf)[0]
    assert same.same_problem(a, c, idf) is None


@pytest.mark.embeddings
def test_same_problem_with_a_model_is_the_cosine_of_the_statements() -> None:
    embedder, _ = load_embedder("auto")
    assert embedder is not None
    same = Sameness(embedder)
    version = problem("What is the command to get the ubuntu version?")
    running = problem("How do i find out what version on ubuntu im running")
    score = same.same_problem(version, running, lambda _: 1.0)
    assert score is not None and score >= SAME_PROBLEM
    assert same.same_problem(version, problem(GRUB[0]), lambda _: 1.0) is None
