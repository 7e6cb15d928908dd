import math
from collections import Counter

import numpy as np
import pytest
from rank_bm25 import BM25Okapi  # pyright: ignore[reportMissingTypeStubs]

from vigil_mcp.app import App
from vigil_mcp.services.knowledge.bm25 import Bm25Index, DocTerms, lucene_idf
from vigil_mcp.services.knowledge.service import index_text
from vigil_mcp.services.text import tokenize


class LuceneBM25(BM25Okapi):
    """rank-bm25 with Lucene's idf: the oracle the issue names."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


ORACLE_QUERIES = [
    "etcdMembersDown",
    "kube-apiserver high latency",
    "disk full on gitaly node",
    "certificate expiring soon",
    "ERR_CONN_RESET connection reset by peer",
    "PrometheusTargetDown scrape failing",
    "pod CrashLoopBackOff after upgrade",
    "how do I restart the redis sentinel",
    "postgres replication lag alert",
    "--dry-run",
    "KubePersistentVolumeFillingUp",
    "node NotReady kubelet",
    "CI runners manager is down",
    "v1.27.3",
    "sidekiq queue backlog growing",
    "cloudflare 5xx errors",
    "the and of",
]


def _index_of(docs: list[list[str]]) -> Bm25Index:
    index = Bm25Index()
    index.add([DocTerms(i, Counter(tokens), len(tokens), "runbook") for i, tokens in enumerate(docs)])
    return index


def test_top_ten_ids_and_scores_match_rank_bm25_with_lucene_idf_on_real_runbooks(runbooks_app: App) -> None:
    service = runbooks_app.knowledge
    service.load()
    records = sorted(service._records.items())  # pyright: ignore[reportPrivateUsage]
    doc_nos = [doc_no for doc_no, _ in records]
    corpus = [tokenize(index_text(r.title, r.section, r.text)) for _, r in records]
    oracle = LuceneBM25(corpus, k1=service.index.k1, b=service.index.b)
    assert len(corpus) >= 100  # 3,035 runbook sections from ../shared, 126 from the bundled sample
    for query in ORACLE_QUERIES:
        tokens = tokenize(query)
        expected = np.asarray(oracle.get_scores(tokens))
        order = np.argsort(-expected, kind="stable")[:10]
        expected_top = [(doc_nos[i], float(expected[i])) for i in order if expected[i] > 0]
        got = service.index.search(tokens, 10)
        assert [s for _, s in got] == pytest.approx([s for _, s in expected_top], abs=1e-6), query
        by_doc_no = dict(zip(doc_nos, expected, strict=True))
        for doc_no, score in got:
            # Same document, or one tied with it at that rank.
            assert by_doc_no[doc_no] == pytest.approx(score, abs=1e-6), query
        if got and len({round(s, 6) for _, s in got}) == len(got):
            assert [d for d, _ in got] == [d for d, _ in expected_top], query


def test_lucene_idf_is_never_negative_even_for_a_term_in_every_document() -> None:
    assert lucene_idf(10, 10) > 0
    assert lucene_idf(10, 10) < lucene_idf(10, 1)


def test_a_term_in_every_document_weighs_far_less_than_a_rare_one() -> None:
    docs = [["common", "alpha"], ["common", "beta"], ["common", "gamma"], ["common", "rare"]]
    index = _index_of(docs)
    (_, s_common), *_ = index.search(["common"], 1)
    (doc_rare, s_rare), *_ = index.search(["rare"], 1)
    assert doc_rare == 3
    assert s_common < s_rare / 5


def test_an_added_document_is_found_by_the_next_query_and_a_removed_one_is_gone() -> None:
    index = _index_of([["disk", "full"], ["cpu", "high"]])
    assert index.search(["etcd"], 5) == []
    index.add([DocTerms(7, Counter(["etcd", "members", "down"]), 3, "runbook")])
    assert [d for d, _ in index.search(["etcd"], 5)] == [7]
    assert index.df("etcd") == 1
    index.remove([7], ["etcd", "members", "down"])
    assert index.search(["etcd"], 5) == []
    assert index.n_docs == 2
    assert index.next_doc_no == 8


def test_kind_filter_keeps_only_that_kind() -> None:
    index = Bm25Index()
    index.add(
        [
            DocTerms(0, Counter(["redis", "down"]), 2, "runbook"),
            DocTerms(1, Counter(["redis", "restart"]), 2, "qa"),
        ]
    )
    assert [d for d, _ in index.search(["redis"], 5, kind="qa")] == [1]
    assert index.search(["redis"], 5, kind="skill") == []


def test_ties_are_broken_by_document_order_and_the_limit_is_exact() -> None:
    index = _index_of([["same"], ["same"], ["same"], ["other"]])
    assert [d for d, _ in index.search(["same"], 2)] == [0, 1]
