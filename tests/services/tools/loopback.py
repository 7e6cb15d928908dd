"""Real servers on 127.0.0.1 for the network diagnostics: HTTP(S), a test CA, a tiny DNS responder."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# ---------------------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    """What the loopback server answers on one path."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict[str, str])

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Route = Reply | Callable[[Seen], Reply]


class HttpServer:
    """A threaded HTTP(S) server on 127.0.0.1 answering from a dict of routes; records what it saw."""

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(self.command, unquote(parts.path), parse_qs(parts.query), dict(self.headers.items()))
                server.seen.append(seen)
                route = server.routes.get(seen.path, Reply(404, "not found"))
                reply = route(seen) if callable(route) else route
                body, headers = reply.encoded()
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = do_OPTIONS = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        # A short poll interval makes shutdown() quick; the default 0.5 s would dominate every test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# ------------------------------------------------------------------------------------ test CA


@dataclass(frozen=True)
class CertAuthority:
    """A private CA and a leaf certificate it signed, as PEM files."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_pem, self.key_pem)
        return context


def make_ca(
    folder: Path, names: tuple[str, ...] = ("localhost",), days: int = 30, expired: bool = False
) -> CertAuthority:
    """A CA plus a leaf for `names` and 127.0.0.1, valid for `days` (or expired yesterday)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=10))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=days)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = CertAuthority(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    files.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files.key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


# ----------------------------------------------------------------------------------------- DNS


def _text(kind: str, value: Any) -> str:
    """Presentation form of a value: A '1.2.3.4', MX (10, 'mx'), TXT ['part', ...], CAA (0, 'issue', 'ca')."""
    if kind == "MX":
        return f"{value[0]} {value[1]}."
    if kind == "TXT":
        return " ".join(f'"{part}"' for part in value)
    if kind == "CAA":
        return f'{value[0]} {value[1]} "{value[2]}"'
    if kind in ("CNAME", "NS"):
        return f"{value}."
    return str(value)


class DnsResponder:
    """Answers DNS questions over UDP (and TCP, same port) on 127.0.0.1 from a table of records.

    records: {(name, type): [(value, ttl), ...]}; unknown names get NXDOMAIN. Answers bigger than
    `udp_limit` bytes are sent truncated (TC bit) over UDP, in full over TCP.
    """

    def __init__(self, records: dict[tuple[str, str], list[tuple[Any, int]]], udp_limit: int = 512) -> None:
        self.records = records
        self.udp_limit = udp_limit
        self.questions: list[tuple[str, str, str]] = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen()
        self._stop = threading.Event()

    def answer(self, query: bytes, transport: str) -> bytes:
        """The wire answer to one query, encoded by dnspython (not by the code under test)."""
        question = dns.message.from_wire(query)
        asked = question.question[0]
        name = asked.name.to_text(omit_final_dot=True).lower()
        kind = dns.rdatatype.to_text(asked.rdtype)
        self.questions.append((name, kind, transport))
        response = dns.message.make_response(question)
        response.flags |= dns.flags.AA | dns.flags.RA
        answers = self.records.get((name, kind), [])
        if answers:
            rrset = response.find_rrset(response.answer, asked.name, dns.rdataclass.IN, asked.rdtype, create=True)
            for value, ttl in answers:
                rrset.add(dns.rdata.from_text(dns.rdataclass.IN, asked.rdtype, _text(kind, value)), ttl)
        if not any(n == name for n, _ in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        wire = response.to_wire(max_size=65535)  # truncation for UDP is decided below, against udp_limit
        if transport == "udp" and len(wire) > self.udp_limit:
            truncated = dns.message.make_response(question)
            truncated.flags |= dns.flags.TC
            wire = truncated.to_wire()
        return wire

    def _serve_udp(self) -> None:
        self.udp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                query, peer = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.udp.sendto(self.answer(query, "udp"), peer)

    def _serve_tcp(self) -> None:
        self.tcp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                size = struct.unpack("!H", conn.recv(2))[0]
                query = b""
                while len(query) < size:
                    query += conn.recv(size - len(query))
                reply = self.answer(query, "tcp")
                conn.sendall(struct.pack("!H", len(reply)) + reply)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DnsResponder:
        threading.Thread(target=self._serve_udp, daemon=True).start()
        threading.Thread(target=self._serve_tcp, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.udp.close()
        self.tcp.close()


@contextmanager
def silent_udp_port() -> Iterator[int]:
    """A bound UDP port that never answers (a DNS server that is down but not refusing)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def closed_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 with nothing listening (bound then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield port


@contextmanager
def listening_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
