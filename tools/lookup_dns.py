"""lookup_dns: what DNS says about a name (A, AAAA, CNAME, MX, NS, TXT, SOA, PTR, SRV, CAA).

A and AAAA go through the system resolver (as the machine's own programs see them, /etc/hosts
included) unless a server is given. Every other type, and any query to a named server, is sent
as a plain DNS query over UDP (TCP when the answer is too big), built and parsed here.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
RecordType = Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "PTR", "SRV", "CAA"]
TYPES: dict[str, int] = {
    "A": 1,
    "NS": 2,
    "CNAME": 5,
    "SOA": 6,
    "PTR": 12,
    "MX": 15,
    "TXT": 16,
    "AAAA": 28,
    "SRV": 33,
    "OPT": 41,
    "CAA": 257,
}
NAMES = {number: name for name, number in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
MAX_RECORDS = 100
MAX_VALUE = 1000
RESOLV_CONF = Path("/etc/resolv.conf")


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


class _Malformed(RuntimeError):
    """The server's answer could not be parsed."""


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _encode_name(name: str) -> bytes:
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if not label:
            raise ValueError(f"{name!r} has an empty label")
        raw = label.encode("idna") if not label.isascii() else label.encode("ascii")
        if len(raw) > 63:
            raise ValueError(f"the label {label!r} of {name!r} is longer than 63 bytes")
        out += bytes([len(raw)]) + raw
    return bytes(out) + b"\x00"


def _query(name: str, qtype: int) -> tuple[int, bytes]:
    ident = secrets.randbelow(65536)
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 1)  # recursion desired, one question, EDNS0
    question = _encode_name(name) + struct.pack("!HH", qtype, 1)
    opt = b"\x00" + struct.pack("!HHIH", TYPES["OPT"], 1232, 0, 0)  # accept answers up to 1232 bytes
    return ident, header + question + opt


def _read_name(message: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    jumps = 0
    end: int | None = None
    while True:
        if offset >= len(message):
            raise _Malformed("name runs past the end of the message")
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(message) or jumps > 20:
                raise _Malformed("bad name compression")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            jumps += 1
            continue
        offset += 1
        if length == 0:
            break
        labels.append(message[offset : offset + length].decode("ascii", errors="replace"))
        offset += length
    return ".".join(labels) + ".", end if end is not None else offset


def _char_strings(data: bytes) -> list[str]:
    parts: list[str] = []
    i = 0
    while i < len(data):
        size = data[i]
        parts.append(data[i + 1 : i + 1 + size].decode("utf-8", errors="replace"))
        i += 1 + size
    return parts


def _rdata(message: bytes, rtype: int, start: int, length: int) -> str:
    data = message[start : start + length]
    if rtype == TYPES["A"] and length == 4:
        return str(ipaddress.IPv4Address(data))
    if rtype == TYPES["AAAA"] and length == 16:
        return str(ipaddress.IPv6Address(data))
    if rtype in (TYPES["CNAME"], TYPES["NS"], TYPES["PTR"]):
        return _read_name(message, start)[0]
    if rtype == TYPES["MX"]:
        return f"{struct.unpack('!H', data[:2])[0]} {_read_name(message, start + 2)[0]}"
    if rtype == TYPES["TXT"]:
        return "".join(_char_strings(data))
    if rtype == TYPES["SRV"]:
        priority, weight, port = struct.unpack("!HHH", data[:6])
        return f"{priority} {weight} {port} {_read_name(message, start + 6)[0]}"
    if rtype == TYPES["SOA"]:
        mname, offset = _read_name(message, start)
        rname, offset = _read_name(message, offset)
        serial, refresh, retry, expire, minimum = struct.unpack("!IIIII", message[offset : offset + 20])
        return f"{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
    if rtype == TYPES["CAA"] and length >= 2:
        flags, tag_length = data[0], data[1]
        tag = data[2 : 2 + tag_length].decode("ascii", errors="replace")
        value = data[2 + tag_length :].decode("utf-8", errors="replace")
        return f'{flags} {tag} "{value}"'
    return data.hex()


def _parse(message: bytes, ident: int) -> tuple[str, bool, bool, list[DnsRecord]]:
    try:
        return _parse_message(message, ident)
    except (struct.error, IndexError, ValueError) as exc:
        raise _Malformed(f"{type(exc).__name__}: {exc}") from None


def _parse_message(message: bytes, ident: int) -> tuple[str, bool, bool, list[DnsRecord]]:
    if len(message) < 12:
        raise _Malformed("the answer is shorter than a DNS header")
    got, flags, qdcount, ancount, _nscount, _arcount = struct.unpack("!HHHHHH", message[:12])
    if got != ident:
        raise _Malformed("the answer does not match the question (wrong id)")
    status = RCODES.get(flags & 0x000F, f"RCODE{flags & 0x000F}")
    truncated = bool(flags & 0x0200)
    offset = 12
    for _ in range(qdcount):
        offset = _read_name(message, offset)[1] + 4
    records: list[DnsRecord] = []
    for _ in range(ancount):
        owner, offset = _read_name(message, offset)
        rtype, _rclass, ttl, length = struct.unpack("!HHIH", message[offset : offset + 10])
        offset += 10
        if len(records) < MAX_RECORDS:
            value = _rdata(message, rtype, offset, length)[:MAX_VALUE]
            records.append(DnsRecord(name=owner, type=NAMES.get(rtype, str(rtype)), ttl=ttl, value=value))
        offset += length
    return status, bool(flags & 0x0400), truncated, records


def _exchange(address: str, port: int, packet: bytes, ident: int, deadline: float) -> bytes:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((address, port))
        sock.sendall(packet)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            reply = sock.recv(65535)
            if len(reply) >= 2 and struct.unpack("!H", reply[:2])[0] == ident:
                return reply  # answers with another id are stale or spoofed: keep waiting


def _exchange_tcp(address: str, port: int, packet: bytes, deadline: float) -> bytes:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        sock.connect((address, port))
        sock.sendall(struct.pack("!H", len(packet)) + packet)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = sock.recv(65535)
            if not chunk:
                raise _Malformed("the server closed the TCP connection mid-answer")
            data += chunk
        return data[2 : 2 + struct.unpack("!H", data[:2])[0]]


def _system_nameserver() -> str:
    try:
        lines = RESOLV_CONF.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            return parts[1]
    raise RuntimeError(f"no nameserver is listed in {RESOLV_CONF}; pass server= with a DNS server's address.")


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
    ident, packet = _query(name, TYPES[record_type])
    deadline = time.monotonic() + timeout_seconds
    try:
        reply = _exchange(address, port, packet, ident, deadline)
        status, authoritative, truncated, records = _parse(reply, ident)
        if truncated:
            reply = _exchange_tcp(address, port, packet, deadline)
            status, authoritative, truncated, records = _parse(reply, ident)
    except TimeoutError:
        raise TimeoutError(
            f"the DNS server {address}:{port} did not answer within {timeout_seconds:g} s; it may be down or "
            "unreachable (try check_tcp on port 53, or another server=)."
        ) from None
    except ConnectionRefusedError:
        raise ConnectionError(f"the DNS server {address}:{port} refused the query (nothing listens there).") from None
    except _Malformed as exc:
        raise RuntimeError(f"the answer from {address}:{port} could not be read: {exc}.") from None
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
