"""check_tcp: can a TCP connection be opened to host:port, and how long does it take?"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
MAX_ADDRESSES = 8


class Attempt(BaseModel):
    """One connection attempt to one resolved address."""

    address: str
    connected: bool
    connect_ms: float = Field(description="Time until connected or failed, in milliseconds.")
    error: str | None = None


class TcpCheck(BaseModel):
    """Whether host:port accepts TCP connections."""

    host: str
    port: int
    ok: bool = Field(description="True when one of the addresses accepted the connection.")
    address: str | None = Field(default=None, description="The address that accepted it.")
    resolve_ms: float = Field(description="Time to resolve the host name, in milliseconds.")
    connect_ms: float | None = Field(
        default=None, description="Connect time of the successful attempt, in milliseconds."
    )
    error: str | None = Field(default=None, description="Why it failed, when it did.")
    attempts: list[Attempt] = Field(default_factory=list[Attempt])


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _explain(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out (a firewall may be dropping packets, or the host is down)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (the host is up but nothing listens on that port)"
    return exc.strerror or str(exc) or type(exc).__name__


def check_tcp(
    host: Annotated[str, Field(description="Host name or IP address, such as db.internal or 10.0.0.5.")],
    port: Annotated[int, Field(ge=1, le=65535, description="TCP port, such as 443 or 5432.")],
    timeout_seconds: Annotated[float, Field(gt=0, le=30, description="Per-address connect timeout.")] = 5.0,
    *,
    _egress: Egress | None = None,
) -> TcpCheck:
    """Open a TCP connection to host:port and report whether it worked, the connect time and the error.

    Every address the name resolves to is tried in order until one accepts. Use it to tell
    "the service is down or firewalled" apart from HTTP or TLS problems.
    """
    started = time.perf_counter()
    try:
        addresses = (_egress or _resolve)(host, port)
    except socket.gaierror as exc:
        resolve_ms = round((time.perf_counter() - started) * 1000, 2)
        return TcpCheck(
            host=host, port=port, ok=False, resolve_ms=resolve_ms, error=f"{host} does not resolve: {exc.strerror}"
        )
    resolve_ms = round((time.perf_counter() - started) * 1000, 2)
    attempts: list[Attempt] = []
    for address in addresses[:MAX_ADDRESSES]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        began = time.perf_counter()
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout_seconds)
                sock.connect((address, port))
        except OSError as exc:
            elapsed = round((time.perf_counter() - began) * 1000, 2)
            attempts.append(Attempt(address=address, connected=False, connect_ms=elapsed, error=_explain(exc)))
            continue
        elapsed = round((time.perf_counter() - began) * 1000, 2)
        attempts.append(Attempt(address=address, connected=True, connect_ms=elapsed))
        return TcpCheck(
            host=host,
            port=port,
            ok=True,
            address=address,
            resolve_ms=resolve_ms,
            connect_ms=elapsed,
            attempts=attempts,
        )
    last = attempts[-1].error if attempts else "no address to try"
    return TcpCheck(host=host, port=port, ok=False, resolve_ms=resolve_ms, error=last, attempts=attempts)


_vigil_hints = {"check_tcp": {"title": "Check a TCP port"}}
