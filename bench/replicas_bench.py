"""Replicas benchmark: N `vigil serve --http` replicas on one PostgreSQL database (run by hand; prints figures).

    nice .venv/bin/python bench/replicas_bench.py [--replicas 3] [--clients 16] [--calls 500] [--kill]
        [--baseline] [--search-only] [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--search-docs 100000]

Without --postgres it starts a throw-away cluster (tests/postgres_cluster.py: Debian's initdb/pg_ctl).
Every vigil here runs with the same settings (`--embedding-model`, default auto: hybrid retrieval).
1. Load: the replicas serve the runbooks (default: the 27 bundled ones); `--clients` concurrent MCP
   clients over Streamable HTTP (analyst token), client i on replica i mod N, each sending `--calls`
   observe_message to 10 tickets of its own. With --kill, replica 0 is killed with SIGKILL when 40 %
   of the calls are done; its clients go on through the next replica, retrying an unanswered call with
   the same message_id. Then the database is checked: every message stored exactly once, each ticket
   in the order sent, every acknowledged message there. Prints p50/p99 latency; --baseline runs the
   same load against one `vigil serve --http` on a DuckDB file first, for the figure beside it.
2. Propagation: a document added through one replica (an in-process replica on the same database),
   polled with search_knowledge on the others until found: p50 / max delay.
3. Search at scale (--search-docs): that many synthetic items (bench/search_bench.py's corpus, BM25
   only) in a database; a replica loads its index from it: load time, search p50 / p95 in-process,
   and how long that replica takes to apply one item another replica adds (the feed at that size).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import httpx2
import psycopg
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from search_bench import corpus, pct, queries  # noqa: E402  (bench/ is on the path above)

from tests.postgres_cluster import Cluster, bin_dir  # noqa: E402
from vigil_mcp.app import App, build_app  # noqa: E402
from vigil_mcp.config import load_settings  # noqa: E402
from vigil_mcp.services.knowledge.chunking import Chunk  # noqa: E402
from vigil_mcp.services.knowledge.ingest import Document  # noqa: E402
from vigil_mcp.storage.postgres import PostgresStore  # noqa: E402

BUNDLED_RUNBOOKS = HERE.parent / "vigil_mcp" / "data" / "runbooks-sample.jsonl"
TICKETS_PER_CLIENT = 10
QUESTIONS = (
    "How do I fix etcdMembersDown firing on our cluster?",
    "Our SSL certificate expired on the ingress, how do I renew it?",
    "Why does KubePodCrashLooping fire after the deploy?",
    "The gitaly node disk is full, what should we clean up?",
)


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The admin URL of a server: the one given, or a throw-away cluster."""
    if url:
        yield url
        return
    bins = bin_dir()
    if bins is None:
        raise SystemExit("no PostgreSQL: pass --postgres URL or apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="vigil-bench-pg-"))
    cluster = Cluster(root, bins)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # pyright: ignore[reportArgumentType]
        con.execute(f'CREATE DATABASE "{name}"')  # pyright: ignore[reportArgumentType]
    return server.rsplit("/", 1)[0] + f"/{name}"


EMBEDDING = "auto"  # --embedding-model: what every vigil of the run uses


def replica_app(url: str | None, home: Path, embedding: str | None = None) -> App:
    home.mkdir(parents=True, exist_ok=True)
    values = {"home": str(home), "store": url, "embedding_model": embedding or EMBEDDING}
    return build_app(load_settings(values, environ={}))


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[bytes]


def start_replica(home: Path, store: str | None, token: str, port: int, log: Path) -> Replica:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env |= {"VIGIL_HOME": str(home), "VIGIL_TOKENS": f"analyst:{token}", "VIGIL_EMBEDDING_MODEL": EMBEDDING}
    if store is not None:
        env["VIGIL_STORE"] = store
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--port", str(port), "--log-level", "WARNING"],
            stdout=subprocess.DEVNULL, stderr=err, env=env,
        )  # fmt: skip
    return Replica(f"http://127.0.0.1:{port}", proc)


def wait_ready(replica: Replica, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.proc.poll() is not None:
            raise SystemExit(f"replica {replica.url} exited with {replica.proc.returncode}")
        try:
            body = httpx.get(f"{replica.url}/healthz", timeout=2).json()
            database = body["database"]
            if body.get("index_ready") and (database["backend"] == "duckdb" or database.get("following_replicas")):
                return
        except (httpx.TransportError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"replica {replica.url} not ready in time")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _text(client: int, n: int) -> tuple[str, str]:
    if n % 2 == 0:
        return "customer", f"{QUESTIONS[(client + n) % len(QUESTIONS)]} (client {client}, call {n})"
    return "analyst", f"Looking into it, client {client} call {n}: check the runbook steps first."


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list[float])
    acked: set[str] = field(default_factory=set[str])
    errors: list[str] = field(default_factory=list[str])
    failovers: int = 0
    done: int = 0


async def _client(replicas: list[Replica], alive: list[bool], token: str, client: int, calls: int,
                  load: Load) -> None:  # fmt: skip
    n = 0
    target = client % len(replicas)
    while n < calls:
        while not alive[target]:
            target = (target + 1) % len(replicas)
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
        try:
            async with Client(streamable_http_client(f"{replicas[target].url}/mcp", http_client=http)) as mcp:
                while n < calls:
                    role, text = _text(client, n)
                    mid = f"c{client}-n{n}"
                    arguments = {"ticket_id": f"LOAD-{client:02d}-{n % TICKETS_PER_CLIENT}", "role": role,
                                 "author": f"{role}-{client}", "text": text, "message_id": mid}  # fmt: skip
                    started = time.perf_counter()
                    result = await mcp.call_tool("observe_message", arguments)
                    if result.is_error:
                        load.errors.append(f"client {client} call {n}: {result.content}")
                    else:
                        load.latencies.append(time.perf_counter() - started)
                        load.acked.add(mid)
                    n += 1
                    load.done += 1
        except Exception as exc:  # the replica went away: go on through the next one, the same call again
            if alive[target]:
                load.errors.append(f"client {client} call {n}: {type(exc).__name__}: {exc}")
                n += 1
            else:
                load.failovers += 1
            target = (target + 1) % len(replicas)


async def run_load(replicas: list[Replica], token: str, clients: int, calls: int, kill: bool) -> tuple[Load, float]:
    load = Load()
    alive = [True] * len(replicas)
    started = time.perf_counter()

    async def killer() -> None:
        while load.done < clients * calls * 0.4:
            await anyio.sleep(0.01)
        alive[0] = False
        os.kill(replicas[0].proc.pid, signal.SIGKILL)
        print(f"  killed replica 0 (pid {replicas[0].proc.pid}) with SIGKILL after {load.done} calls")

    async with anyio.create_task_group() as group:
        if kill:
            group.start_soon(killer)
        for client in range(clients):
            group.start_soon(_client, replicas, alive, token, client, calls, load)
    return load, time.perf_counter() - started


def check_store(url: str, clients: int, calls: int, acked: set[str]) -> list[str]:
    problems: list[str] = []
    store = PostgresStore(url)
    try:
        stored: list[str] = []
        for client in range(clients):
            for t in range(TICKETS_PER_CLIENT):
                ids = [m.message_id or "" for m in store.ticket_messages(f"LOAD-{client:02d}-{t}")]
                stored += ids
                expected = [f"c{client}-n{n}" for n in range(t, calls, TICKETS_PER_CLIENT)]
                if ids != expected:
                    problems.append(f"LOAD-{client:02d}-{t}: {len(ids)} messages, out of order or missing")
        if len(stored) != len(set(stored)):
            problems.append("a message is stored twice")
        if len(stored) != clients * calls:
            problems.append(f"stored {len(stored)} messages; expected {clients * calls}")
        lost = acked - set(stored)
        if lost:
            problems.append(f"{len(lost)} acknowledged messages are not stored")
    finally:
        store.close()
    return problems


async def propagation(writer: App, readers: list[Replica], token: str, samples: int) -> list[float]:
    """Seconds from a document stored through `writer` to its first search hit on each reader."""
    delays: list[float] = []
    async with AsyncExitStack() as stack:
        headers = {"Authorization": f"Bearer {token}"}
        clients = [
            await stack.enter_async_context(
                Client(streamable_http_client(f"{r.url}/mcp", http_client=httpx2.AsyncClient(headers=headers)))
            )
            for r in readers
        ]
        for i in range(samples):
            word = f"propagated{i}x{secrets.token_hex(3)}"
            doc = Document(f"bench/propagation/{word}", "Propagation probe",
                           [Chunk("Propagation probe", "", f"{word} appears on every replica")])  # fmt: skip
            await anyio.to_thread.run_sync(lambda d=doc: writer.knowledge.add_documents([d]))
            written = time.perf_counter()
            for client in clients:
                while not ((await client.call_tool("search_knowledge", {"query": word, "limit": 1}))
                           .structured_content or {}).get("hits"):  # fmt: skip
                    await anyio.sleep(0.005)  # a bench, not a test: poll gently
                delays.append(time.perf_counter() - written)
    return delays


def search_at_scale(server: str, n_docs: int) -> None:
    url = fresh_database(server, "vigil_bench_search")
    texts, vocab, rng = corpus(n_docs)
    home = Path(tempfile.mkdtemp(prefix="vigil-bench-search-"))
    app = replica_app(url, home / "writer", "none")
    started = time.perf_counter()
    report = app.knowledge.add_documents(
        [Document(f"synthetic/{i}", f"Case {i}", [Chunk(f"Case {i}", "", t)]) for i, t in enumerate(texts)]
    )
    print(f"  ingest into PostgreSQL: {report.summary()} in {time.perf_counter() - started:.1f} s")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reader = replica_app(url, home / "reader", "none")
    started = time.perf_counter()
    reader.knowledge.load()
    loaded = time.perf_counter() - started
    qs = queries(vocab, rng, 300)
    for q in qs[:20]:
        reader.knowledge.search(q, limit=10)
    times: list[float] = []
    for q in qs:
        t = time.perf_counter()
        reader.knowledge.search(q, limit=10)
        times.append((time.perf_counter() - t) * 1000)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  replica index load from PostgreSQL: {loaded:.2f} s ({reader.knowledge.index.n_docs} items); "
          f"peak RSS {rss:.0f} MB (before the load {before:.0f} MB)")  # fmt: skip
    print(f"  search_knowledge in-process top-10: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms")
    applied: list[float] = []
    for i in range(20):  # the change feed at this size: one item added on the writer, applied on the reader
        app.knowledge.add_documents([Document(f"late/{i}", f"Late {i}", [Chunk(f"Late {i}", "", f"late{i} probe")])])
        t = time.perf_counter()
        reader.knowledge.apply_feed()
        applied.append((time.perf_counter() - t) * 1000)
        assert reader.knowledge.search(f"late{i}", limit=1).hits
    print(f"  applying one item from the feed at this size: p50 {pct(applied, 50):.1f} ms, "
          f"max {max(applied):.1f} ms")  # fmt: skip
    reader.close()
    app.close()


def latency_line(latencies: list[float], calls: int, seconds: float) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return (f"{calls} calls in {seconds:.1f} s ({calls / seconds:.0f} calls/s); latency p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms")  # fmt: skip


def baseline(home: Path, runbooks: Path, token: str, clients: int, calls: int) -> None:
    """The same load on one vigil over a DuckDB file (what a single process gives)."""
    seed = replica_app(None, home)
    if runbooks.exists():
        seed.knowledge.add_paths([runbooks])
    seed.close()
    single = start_replica(home, None, token, free_port(), home.parent / "duckdb.log")
    try:
        wait_ready(single)
        load, seconds = anyio.run(run_load, [single], token, clients, calls, False)
        print(f"one vigil on DuckDB; {clients} clients x {calls} observe_message")
        print(f"  {latency_line(load.latencies, clients * calls, seconds)}; errors {len(load.errors)}")
    finally:
        single.proc.terminate()
        single.proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--kill", action="store_true", help="SIGKILL replica 0 when 40 %% of the calls are done")
    parser.add_argument("--propagation-samples", type=int, default=30)
    parser.add_argument("--search-docs", type=int, default=0, help="also measure search with this many items")
    parser.add_argument("--postgres", help="admin URL of a server to create the bench databases on")
    parser.add_argument("--runbooks", type=Path, default=BUNDLED_RUNBOOKS)
    parser.add_argument("--embedding-model", default="auto", help="auto (hybrid retrieval) or none (BM25 only)")
    parser.add_argument("--baseline", action="store_true", help="first the same load on one vigil over DuckDB")
    parser.add_argument("--search-only", action="store_true", help="only the search at scale (--search-docs)")
    args = parser.parse_args()
    global EMBEDDING
    EMBEDDING = args.embedding_model
    token = secrets.token_urlsafe(32)
    failed = False
    if args.search_only:
        with postgres(args.postgres) as server:
            print(f"search with {args.search_docs} items on a replica")
            search_at_scale(server, args.search_docs)
        return 0
    with postgres(args.postgres) as server, tempfile.TemporaryDirectory(prefix="vigil-replicas-") as tmp:
        url = fresh_database(server, "vigil_bench")
        root = Path(tmp)
        seed = replica_app(url, root / "seed")
        if args.runbooks.exists():
            seed.knowledge.add_paths([args.runbooks])
        seed.close()
        if args.baseline:
            baseline(root / "duckdb", args.runbooks, token, args.clients, args.calls)
        replicas = [start_replica(root / f"r{i}", url, token, free_port(), root / f"r{i}.log")
                    for i in range(args.replicas)]  # fmt: skip
        try:
            for r in replicas:
                wait_ready(r)
            print(f"{args.replicas} replicas on one PostgreSQL; {args.clients} clients x {args.calls} observe_message")
            load, seconds = anyio.run(run_load, replicas, token, args.clients, args.calls, args.kill)
            print(f"  {latency_line(load.latencies, args.clients * args.calls, seconds)}")
            print(f"  acknowledged {len(load.acked)}, errors {len(load.errors)}, failovers {load.failovers}")
            for error in load.errors[:5]:
                print("   ", error[:300])
            problems = check_store(url, args.clients, args.calls, load.acked)
            print(f"  store check: {'ok: every message once, each ticket in order' if not problems else problems[:5]}")
            failed = bool(problems or load.errors)
            readers = [r for i, r in enumerate(replicas) if not (args.kill and i == 0)]
            writer = replica_app(url, root / "writer")
            writer.knowledge.load()
            delays = anyio.run(propagation, writer, readers[:2], token, args.propagation_samples)
            writer.close()
            print(f"  knowledge added on one replica, found by search on {min(2, len(readers))} others: "
                  f"p50 {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
                  f"(n={len(delays)})")  # fmt: skip
        finally:
            for r in replicas:
                if r.proc.poll() is None:
                    r.proc.terminate()
                    r.proc.wait(timeout=30)
        if args.search_docs:
            print(f"search with {args.search_docs} items on a replica")
            search_at_scale(server, args.search_docs)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
