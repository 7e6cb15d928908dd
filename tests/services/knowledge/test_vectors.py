"""The vector index: exact search (the same passages and scores as a plain product over every row),
run on one BLAS thread without changing the process's thread settings."""

import numpy as np
from threadpoolctl import ThreadpoolController

from vigil_mcp.services.knowledge.embed import load_embedder
from vigil_mcp.services.knowledge.vectors import VectorIndex

QUESTIONS = [
    "how do I change grub so windows boots by default",
    "the etcd member is down and KubeEtcdMembersDown is firing",
    "my stripe webhook returns 400 since the deploy",
]


def _passages() -> list[str]:
    return [
        f"{topic}: {detail}"
        for topic in ("GRUB", "etcd", "Stripe webhooks", "apt", "NTFS", "nginx", "PaymentIntent", "swap")
        for detail in (
            "set the default entry and run update-grub",
            "check the member list and restore from a snapshot",
            "verify the signing secret and return 2xx quickly",
            "the package cache is locked by another process",
            "mount the partition read-write with ntfs-3g",
            "502 bad gateway when the upstream is down",
        )
    ]


def test_search_returns_the_exact_top_passages_of_real_embeddings_in_order() -> None:
    embedder, line = load_embedder("auto")
    assert embedder is not None, line
    texts = _passages()
    matrix = embedder.embed(texts)
    index = VectorIndex(matrix.shape[1])
    index.add(list(range(100, 100 + len(texts))), matrix, ["doc"] * len(texts))
    for question in QUESTIONS:
        query = embedder.embed_one(question)
        scores = matrix @ query
        want = sorted(range(len(texts)), key=lambda i: (-scores[i], i))[:10]
        got = index.search(query, 10)
        assert [no - 100 for no, _ in got] == want
        assert np.allclose([s for _, s in got], scores[want], atol=1e-6)


def test_a_search_leaves_the_process_blas_thread_count_as_it_was() -> None:
    controller = ThreadpoolController()
    before = [lib["num_threads"] for lib in controller.info() if lib["user_api"] == "blas"]
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((5000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(384)
    index.add(list(range(5000)), vectors, ["doc"] * 5000)
    top = index.search(vectors[42], 3)
    assert top[0][0] == 42 and abs(top[0][1] - 1.0) < 1e-5
    after = [lib["num_threads"] for lib in ThreadpoolController().info() if lib["user_api"] == "blas"]
    assert after == before
