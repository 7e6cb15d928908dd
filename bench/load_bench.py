"""Load benchmark: 16 concurrent Streamable HTTP clients x 500 observe_message calls against a real server.

    .venv/bin/python bench/load_bench.py [--clients 16] [--calls 500] [--runbooks ../shared/data/runbooks.jsonl]

Starts `vigil serve --http` on a loopback port (bearer tokens on, over a copy of the runbooks store
so customer questions go through retrieval and the offline engine), runs the clients as concurrent
MCP sessions with an analyst token, stops the server and then checks the store: exactly
clients x calls messages, each ticket's messages in the order they were sent, zero errors.
Prints p50, p99 and max latency of one observe_message call and the throughput.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
TICKETS_PER_CLIENT = 10
QUESTIONS = (
    "How do I fix etcdMembersDown firing on our cluster?",
    "Our SSL certificate expired on the ingress, how do I renew it?",
    "Why does KubePodCrashLooping fire after the deploy?",
    "The gitaly node disk is full, what should we clean up?",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_home(home: Path, runbooks: Path | None) -> None:
    if runbooks is None or not runbooks.exists():
        print("no runbooks file: the store starts empty")
        return
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings

    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        app.knowledge.add_paths([runbooks])
    finally:
        app.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("server not healthy in time")


def _text(client: int, n: int) -> tuple[str, str]:
    if n % 2 == 0:
        return "customer", f"{QUESTIONS[(client + n) % len(QUESTIONS)]} (client {client}, call {n})"
    return "analyst", f"Looking into it, client {client} call {n}: check the runbook steps first."


async def _client(url: str, token: str, client: int, calls: int, latencies: list[float], errors: list[str]) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as mcp:
        for n in range(calls):
            role, text = _text(client, n)
            arguments = {
                "ticket_id": f"LOAD-{client:02d}-{n % TICKETS_PER_CLIENT}",
                "role": role,
                "author": f"{role}-{client}",
                "text": text,
                "message_id": f"c{client}-n{n}",
            }
            started = time.perf_counter()
            try:
                result = await mcp.call_tool("observe_message", arguments)
            except Exception as exc:  # a benchmark counts every failure instead of stopping at the first
                errors.append(f"client {client} call {n}: {type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            if result.is_error:
                errors.append(f"client {client} call {n}: {result.content}")


async def _run(url: str, token: str, clients: int, calls: int) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for client in range(clients):
            group.start_soon(_client, url, token, client, calls, latencies, errors)
    return latencies, errors, time.perf_counter() - started


def _check_store(home: Path, clients: int, calls: int) -> list[str]:
    """What is wrong with the stored messages (empty when all is well)."""
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings

    problems: list[str] = []
    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        total = 0
        for client in range(clients):
            for t in range(TICKETS_PER_CLIENT):
                tid = f"LOAD-{client:02d}-{t}"
                ids = [m.message_id for m in app.tickets.get(tid).messages]
                expected = [f"c{client}-n{n}" for n in range(t, calls, TICKETS_PER_CLIENT)]
                total += len(ids)
                if ids != expected:
                    problems.append(f"{tid}: {len(ids)} messages, out of order or missing")
        roles, _ = app.tickets.store.activity_counts()
        stored = sum(roles.values())
        if total != clients * calls or stored != clients * calls:
            problems.append(f"stored {stored} messages ({total} in the load tickets); expected {clients * calls}")
    finally:
        app.close()
    return problems


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--runbooks", type=Path, default=SHARED / "runbooks.jsonl")
    args = parser.parse_args()
    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="vigil-load-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        _prepare_home(home, args.runbooks)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env |= {"VIGIL_HOME": str(home), "VIGIL_TOKENS": f"analyst:{token}"}
        with (Path(tmp) / "server.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--port", str(port), "--log-level", "WARNING"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
        try:
            _wait_healthy(url, proc)
            latencies, errors, seconds = anyio.run(_run, url, token, args.clients, args.calls)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        problems = _check_store(home, args.clients, args.calls)
    calls = args.clients * args.calls
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")
    print(f"{args.clients} clients x {args.calls} observe_message = {calls} calls in {seconds:.1f} s "
          f"({calls / seconds:.0f} calls/s)")  # fmt: skip
    print(f"latency p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {ordered[-1] * 1000 if ordered else 0:.1f} ms")
    print(f"errors {len(errors)}; store check: {'ok' if not problems else '; '.join(problems[:5])}")
    for error in errors[:5]:
        print("  ", error[:300])
    return 0 if not errors and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
