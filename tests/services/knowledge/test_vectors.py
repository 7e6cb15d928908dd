"""The vector index: exact search (the same passages and scores as a plain product over every row),
run on one BLAS thread without changing the process's thread settings."""

import numpy as np
from threadpoolctl import ThreadpoolController

from vigil_mcp.services.knowledge.embed import load_embedder
from vigil_mcp.services.knowledge.vectors import PREFILTER_ROWS, VectorIndex, _int8_scan  # pyright: ignore[reportPrivateUsage]

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


def _clustered(n: int, seed: int) -> np.ndarray:
    """Unit vectors as real embeddings and the bench's filler mix them: tight clusters (with exact
    duplicates, so scores tie), then random directions; rounded through float16 as stored."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, 384)).astype(np.float32)
    centres = rng.standard_normal((12, 384)).astype(np.float32)
    third = n // 3
    vectors[:third] = centres[rng.integers(0, 12, third)] + 0.3 * vectors[:third]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[10:16] = vectors[9]
    return vectors.astype(np.float16).astype(np.float32)


def test_the_int8_first_pass_returns_what_the_full_float32_scan_returns_to_the_bit() -> None:
    for n in (PREFILTER_ROWS + 3, PREFILTER_ROWS + 16, 3 * PREFILTER_ROWS + 9):
        vectors = _clustered(n, n)
        index = VectorIndex(384)
        index.add(list(range(1000, 1000 + n)), vectors, ["qa" if i % 3 == 0 else "doc" for i in range(n)])
        index.remove([1000 + 5, 1000 + n // 2])  # rows move: their codes must move with them
        rng = np.random.default_rng(n)
        for t in range(24):
            query = vectors[9] if t == 0 else vectors[n - 1] if t == 1 else vectors[rng.integers(0, n)]
            if t % 3 == 2:  # a query off every cluster, like a question the docs do not cover
                query = rng.standard_normal(384).astype(np.float32)
                query /= np.linalg.norm(query)
            kind = "qa" if t % 5 == 0 else None
            allowed = (lambda keys: keys % 7 != 0) if t % 4 == 0 else None
            for limit in (1, 50):
                assert index.search(query, limit, kind, allowed) == index.exact_search(query, limit, kind, allowed)


def test_tied_scores_at_the_cut_go_to_the_lower_passage_number() -> None:
    vectors = _clustered(PREFILTER_ROWS + 5, 1)
    index = VectorIndex(384)
    index.add(list(range(len(vectors)))[::-1], vectors, ["doc"] * len(vectors))  # keys descend with rows
    top = index.search(vectors[9], 3)  # rows 9-15 are the same vector: seven tie for three places
    assert [no for no, _ in top] == sorted(len(vectors) - 1 - row for row in range(9, 16))[:3]
    assert top == index.exact_search(vectors[9], 3)


def test_the_shipped_int8_graph_computes_the_exact_integer_product() -> None:
    scan = _int8_scan()
    assert scan is not None
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (300, 384)).astype(np.uint8)
    query = rng.integers(-127, 128, (384, 1)).astype(np.int8)
    got = scan.run(None, {"codes": codes, "query": query})[0]
    assert np.array_equal(got, codes.astype(np.int64) @ query.astype(np.int64))


def test_vectors_bunched_at_the_cut_are_still_ranked_as_the_full_scan_ranks_them() -> None:
    rng = np.random.default_rng(11)
    base = rng.standard_normal(384).astype(np.float32)
    vectors = base + 1e-3 * rng.standard_normal((PREFILTER_ROWS + 7, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(384)
    index.add(list(range(len(vectors))), vectors, ["doc"] * len(vectors))
    query = vectors[3]
    assert index.search(query, 50) == index.exact_search(query, 50)
