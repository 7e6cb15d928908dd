"""A real `vigil serve --http` subprocess on a loopback port, for tests that need the whole program."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    """A running server: its base URL, process and log file (its stderr)."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def wait_healthy(live: Live, timeout: float = 90.0) -> None:
    """Poll /healthz until it answers 200, the process dies, or the deadline passes."""
    url, proc = live.url, live.proc
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            err = live.log.read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"server exited early with {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}/healthz not healthy within {timeout} s")
        time.sleep(0.05)


def vigil_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a vigil subprocess: this test's home, no inherited secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "ANTHROPIC_API_KEY"}
    return {**env, "VIGIL_HOME": str(home), **(extra or {})}


@contextmanager
def serve(home: Path, env: Mapping[str, str] | None = None, args: Sequence[str] = ()) -> Generator[Live]:
    """`vigil serve --http` on a free loopback port until the block ends (then terminated, killed if stuck)."""
    port = free_port()
    log = home.parent / f"vigil-serve-{port}.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--port", str(port), "--home", str(home), *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=vigil_env(home, env),
        )
    live = Live(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_healthy(live)
        yield live
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
