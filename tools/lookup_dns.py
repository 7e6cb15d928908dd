"""lookup_dns: what DNS says about a name (A, AAAA, CNAME, MX, NS, TXT, SOA, PTR, SRV, CAA).

A and AAAA go through the system resolver (as the machine's own programs see them, /etc/hosts
included) unless a server is given. Every other type, and any query to a named server, is a DNS
query built, sent (UDP, then TCP when the answer is truncated) and read by dnspython.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from typing import Annotated, Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
RecordType = Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "PTR", "SRV", "CAA"]
MAX_RECORDS = 100
MAX_VALUE = 1000


class DnsRecord(BaseModel):
    """One answer record."""

    name: str
    type: str
    ttl: int | None = Field(default=None, description="Seconds; None from the system resolver, which does not say.")
    value: str


class DnsLookup(BaseModel):
    """The answer to one DNS question."""

    name: str
    record_type: str
    server: str = Field(description="Who answered: 'system resolver' or the DNS server's address.")
    status: str = Field(description="NOERROR, NXDOMAIN, SERVFAIL, REFUSED... or NOANSWER from the system resolver.")
    answers: list[DnsRecord]
    authoritative: bool | None = None
    elapsed_ms: float
    note: str | None = None


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _system_nameserver() -> str:
    try:
        servers = dns.resolver.Resolver().nameservers
    except dns.resolver.NoResolverConfiguration:
        servers = []
    if not servers:
        raise OSError("this machine has no DNS server configured (/etc/resolv.conf); pass server= to ask one")
    return str(servers[0])


def _split_server(server: str) -> tuple[str, int]:
    host, port = server, "53"
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif server.count(":") == 1:
        host, _, port = server.partition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"server {server!r} is not an address, address:port or [v6-address]:port")
    return host, int(port)


def _value(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if isinstance(strings, tuple):  # TXT: the character-strings joined, as SPF and DMARC readers do
        return b"".join(part for part in strings if isinstance(part, bytes)).decode("utf-8", "replace")
    return str(rdata.to_text())


def _ask(name: str, record_type: str, address: str, port: int, timeout: float) -> dns.message.Message:
    try:
        query = dns.message.make_query(name, record_type, use_edns=0, payload=1232)
    except (dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong, dns.exception.SyntaxError) as exc:
        raise ValueError(f"{name!r} is not a valid DNS name ({exc})") from None
    deadline = time.monotonic() + timeout
    reply = dns.query.udp(query, address, port=port, timeout=timeout, ignore_unexpected=True)
    if reply.flags & dns.flags.TC:
        reply = dns.query.tcp(query, address, port=port, timeout=max(0.01, deadline - time.monotonic()))
    return reply


def _reverse_name(name: str) -> str:
    try:
        return ipaddress.ip_address(name).reverse_pointer
    except ValueError:
        return name


def _system_lookup(name: str, record_type: str, started: float) -> DnsLookup:
    family = socket.AF_INET if record_type == "A" else socket.AF_INET6
    try:
        infos = socket.getaddrinfo(name, None, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            return DnsLookup(
                name=name,
                record_type=record_type,
                server="system resolver",
                status="NOANSWER",
                answers=[],
                elapsed_ms=elapsed,
                note=f"the name has no {record_type} address ({exc.strerror}); the system resolver does not say "
                "whether the name exists: pass server= to ask a DNS server directly.",
            )
        raise OSError(f"the system resolver failed for {name}: {exc.strerror}") from None
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return DnsLookup(
        name=name,
        record_type=record_type,
        server="system resolver",
        status="NOERROR",
        answers=[DnsRecord(name=name, type=record_type, value=a) for a in addresses[:MAX_RECORDS]],
        elapsed_ms=elapsed,
    )


def lookup_dns(
    name: Annotated[str, Field(description="The name to look up, such as api.example.com (an IP for PTR).")],
    record_type: Annotated[RecordType, Field(description="Record type.")] = "A",
    server: Annotated[
        str | None, Field(description="DNS server to ask, as ip or ip:port; default: the system's.")
    ] = None,
    timeout_seconds: Annotated[float, Field(gt=0, le=30, description="Time limit for the query.")] = 5.0,
    *,
    _egress: Egress | None = None,
) -> DnsLookup:
    """Look up DNS records for a name and report the status (NOERROR, NXDOMAIN, SERVFAIL...), answers and TTLs.

    Use it when a customer reports "cannot resolve", to compare what different servers say, or to
    check MX, TXT (SPF/DMARC/verification), CNAME, NS and CAA records.
    """
    started = time.perf_counter()
    if record_type == "PTR":
        name = _reverse_name(name)
    if record_type in ("A", "AAAA") and server is None:
        return _system_lookup(name, record_type, started)
    host, port = _split_server(server) if server else (_system_nameserver(), 53)
    # Only a server the caller chose is an egress decision; the system's own resolver is trusted.
    address = (_egress or _resolve)(host, port)[0] if server else host
    try:
        reply = _ask(name, record_type, address, port, timeout_seconds)
    except (dns.exception.Timeout, TimeoutError):
        raise TimeoutError(
            f"the DNS server {address}:{port} did not answer within {timeout_seconds:g} s; it may be down or "
            "unreachable (try check_tcp on port 53, or another server=)."
        ) from None
    except ConnectionRefusedError:
        raise ConnectionError(f"the DNS server {address}:{port} refused the query (nothing listens there).") from None
    except dns.exception.DNSException as exc:
        raise RuntimeError(f"the answer from {address}:{port} could not be read: {exc}.") from None
    records = [
        DnsRecord(
            name=rrset.name.to_text(),
            type=dns.rdatatype.to_text(rrset.rdtype),
            ttl=rrset.ttl,
            value=_value(r)[:MAX_VALUE],
        )
        for rrset in reply.answer
        for r in rrset
    ][:MAX_RECORDS]
    status = dns.rcode.to_text(reply.rcode())
    authoritative = bool(reply.flags & dns.flags.AA)
    return DnsLookup(
        name=name,
        record_type=record_type,
        server=f"{address}:{port}" if port != 53 else address,
        status=status,
        answers=records,
        authoritative=authoritative,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
    )


_vigil_hints = {"lookup_dns": {"title": "Look up DNS records"}}
