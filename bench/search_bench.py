"""Knowledge search benchmark on a synthetic corpus (run by hand; prints medians).

    .venv/bin/python bench/search_bench.py [--docs 100000] [--queries 300]

Builds (once, cached in bench/.cache/) a store of N short support documents (30-120 words,
Zipfian vocabulary), then measures:
  * search_knowledge in-process: p50 / p95 (and rank-bm25 BM25Okapi on the same queries);
  * one added document searchable by the next query (add + search), no rebuild;
  * `vigil serve` over stdio: cold start to first answered tools/list, time to index ready,
    search_knowledge p50 through a real stdio client, and the server's RSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import numpy as np

from vigil_mcp.app import build_app
from vigil_mcp.config import load_settings
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import index_text
from vigil_mcp.services.text import tokenize

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20261125
TECH = [
    "ERR_CONN_RESET",
    "etcdMembersDown",
    "v1.27.3",
    "--dry-run",
    "kube-apiserver",
    "CrashLoopBackOff",
    "OOMKilled",
    "502",
    "503",
    "TLS",
    "DNS",
    "NXDOMAIN",
    "p99",
    "webhook",
    "PaymentIntent",
    "idempotency",
]


def _vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words: set[str] = set(w.lower() for w in TECH)
    out = list(TECH)
    while len(out) < size:
        n = int(rng.integers(2, 5))
        word = "".join(rng.choice(list(consonants)) + rng.choice(list(vowels)) for _ in range(n))
        if word not in words:
            words.add(word)
            out.append(word)
    return out


def corpus(n_docs: int) -> tuple[list[str], list[str], np.random.Generator]:
    """Deterministic synthetic documents and a vocabulary ordered by frequency."""
    rng = np.random.default_rng(SEED)
    vocab = _vocabulary(60_000, rng)
    lengths = rng.integers(30, 121, size=n_docs)
    ranks = rng.zipf(1.15, size=int(lengths.sum())) - 1
    ranks = ranks[ranks < len(vocab)]
    while ranks.size < lengths.sum():
        extra = rng.zipf(1.15, size=int(lengths.sum())) - 1
        ranks = np.concatenate((ranks, extra[extra < len(vocab)]))
    docs: list[str] = []
    pos = 0
    for length in lengths:
        docs.append(" ".join(vocab[r] for r in ranks[pos : pos + length]))
        pos += int(length)
    return docs, vocab, rng


def queries(vocab: Sequence[str], rng: np.random.Generator, n: int) -> list[str]:
    """2-5 word queries: mostly mid-frequency words, as people type symptoms."""
    out: list[str] = []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        ranks = np.minimum(
            np.minimum(rng.zipf(1.05, size=k), 10_000) * 7 + rng.integers(0, 200, size=k), len(vocab) - 1
        )
        out.append(" ".join(vocab[int(r)] for r in ranks))
    return out


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def build_store(n_docs: int) -> Path:
    home = CACHE / f"home-{n_docs}"
    store = home / "knowledge.duckdb"
    if store.exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    texts, _, _ = corpus(n_docs)
    app = build_app(load_settings({"home": str(home)}, environ={}))
    started = time.perf_counter()
    docs = [
        Document(source=f"synthetic/{i}", title=f"Case {i}", chunks=[Chunk(f"Case {i}", "", t)])
        for i, t in enumerate(texts)
    ]
    report = app.knowledge.add_documents(docs)
    app.close()
    print(f"built store: {report.summary()} in {time.perf_counter() - started:.1f} s")
    return home


def bench_in_process(home: Path, qs: list[str], oracle_n: int) -> None:
    app = build_app(load_settings({"home": str(home)}, environ={}))
    started = time.perf_counter()
    app.knowledge.load()
    print(f"index load from store: {time.perf_counter() - started:.2f} s ({app.knowledge.index.n_docs} docs)")
    for q in qs[:20]:
        app.knowledge.search(q, limit=10)
    times = []
    for q in qs:
        t = time.perf_counter()
        app.knowledge.search(q, limit=10)
        times.append((time.perf_counter() - t) * 1000)
    p50, p95 = pct(times, 50), pct(times, 95)
    print(f"search_knowledge in-process top-10: p50 {p50:.2f} ms, p95 {p95:.2f} ms (n={len(qs)})")

    # One added document searchable by the next query, no rebuild.
    add_times = []
    for i in range(20):
        word = f"freshterm{i}x{int(time.time())}"
        doc = Document(
            source=f"bench/new/{word}",
            title="New case",
            chunks=[Chunk("New case", "", f"{word} customer reports kube-apiserver timeouts")],
        )
        t = time.perf_counter()
        app.knowledge.add_documents([doc])
        hits = app.knowledge.search(word, limit=1).hits
        add_times.append((time.perf_counter() - t) * 1000)
        assert hits and hits[0].title == "New case"
    print(
        f"added document searchable by next query: median {statistics.median(add_times):.1f} ms, "
        f"max {max(add_times):.1f} ms"
    )

    from rank_bm25 import BM25Okapi  # pyright: ignore[reportMissingTypeStubs]

    records = sorted(app.knowledge._records.items())  # pyright: ignore[reportPrivateUsage]
    tokens = [tokenize(index_text(r.title, r.section, r.body)) for _, r in records]
    app.close()
    oracle = BM25Okapi(tokens, k1=1.2, b=0.75)
    o_times = []
    for q in qs[:oracle_n]:
        qt = tokenize(q)
        t = time.perf_counter()
        scores = oracle.get_scores(qt)
        np.argsort(-scores)[:10]
        o_times.append((time.perf_counter() - t) * 1000)
    o50 = statistics.median(o_times)
    print(f"rank-bm25 BM25Okapi same queries: p50 {o50:.1f} ms (n={oracle_n}) -> ratio {o50 / p50:.0f}x")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _server_pid(home: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmd and str(home).encode() in cmd and int(entry.name) != os.getpid():
            return int(entry.name)
    return None


async def bench_stdio(home: Path, qs: list[str]) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    vigil = str(Path(sys.executable).with_name("vigil"))
    params = StdioServerParameters(command=vigil, args=["serve", "--home", str(home), "--log-level", "WARNING"])
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        cold = time.perf_counter() - started
        await client.call_tool("search_knowledge", {"query": qs[0], "limit": 10})
        ready = time.perf_counter() - started
        times = []
        for q in qs:
            t = time.perf_counter()
            result = await client.call_tool("search_knowledge", {"query": q, "limit": 10})
            times.append((time.perf_counter() - t) * 1000)
            assert not result.is_error
        pid = _server_pid(home)
        rss = _rss_mb(pid) if pid else float("nan")
    print(f"stdio: cold start to first tools/list {cold:.2f} s; first search answered (index ready) {ready:.2f} s")
    print(f"stdio: search_knowledge p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms (n={len(qs)})")
    print(f"stdio: server RSS with index loaded {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--oracle-queries", type=int, default=20)
    args = parser.parse_args()
    home = build_store(args.docs)
    _, vocab, _ = corpus(10)
    qs = queries(vocab, np.random.default_rng(SEED + 1), args.queries)
    bench_in_process(home, qs, args.oracle_queries)
    anyio.run(bench_stdio, home, qs)


if __name__ == "__main__":
    main()
