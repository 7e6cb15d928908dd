"""check_tls_certificate: the certificate a TLS server presents, when it expires, and whether it verifies."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
MAX_NAMES = 50
MAX_ADDRESSES = 4


class TlsCertificate(BaseModel):
    """The leaf certificate of host:port and the verdict of verifying it against the system's trusted CAs."""

    host: str
    port: int
    address: str = Field(description="The IP address that was contacted.")
    server_name: str = Field(description="The name sent as SNI and checked against the certificate.")
    subject: str
    issuer: str
    subject_alternative_names: list[str]
    serial_number: str
    not_before: str = Field(description="ISO 8601 UTC.")
    not_after: str = Field(description="ISO 8601 UTC.")
    days_left: float = Field(description="Days until not_after; negative once expired.")
    expired: bool
    self_signed: bool
    key: str = Field(description="Public key type and size, such as RSA-2048 or EC-secp256r1.")
    signature_algorithm: str | None
    sha256_fingerprint: str
    tls_version: str | None
    cipher: str | None
    chain_verified: bool = Field(description="True when the chain and the host name verify.")
    verify_error: str | None = Field(default=None, description="Why verification failed, when it did.")
    handshake_ms: float


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _handshake(
    address: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float
) -> tuple[bytes, str | None, str | None]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(timeout)
        raw.connect((address, port))
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
            cipher = tls.cipher()
            if der is None:
                raise ConnectionError(f"{server_name}:{port} presented no certificate.")
            return der, tls.version(), cipher[0] if cipher else None


def _fetch(address: str, port: int, name: str, timeout: float) -> tuple[bytes, str | None, str | None, str | None]:
    """The leaf certificate, TLS version and cipher, and why verification failed (None when it passed)."""
    try:
        der, version, cipher = _handshake(address, port, name, ssl.create_default_context(), timeout)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        if exc.verify_code:
            reason = f"{reason} (OpenSSL verify code {exc.verify_code})"
        look = ssl.create_default_context()
        look.check_hostname = False
        look.verify_mode = ssl.CERT_NONE
        der, version, cipher = _handshake(address, port, name, look, timeout)
        return der, version, cipher, reason
    return der, version, cipher, None


def _key(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC-{key.curve.name}"
    return type(key).__name__.removeprefix("_").replace("PublicKey", "")


def _names(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    names = [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return names[:MAX_NAMES]


def check_tls_certificate(
    host: Annotated[str, Field(description="Host name or IP address of the TLS server.")],
    port: Annotated[int, Field(ge=1, le=65535, description="TLS port.")] = 443,
    server_name: Annotated[str | None, Field(description="SNI name to send, if not the host (for IPs).")] = None,
    timeout_seconds: Annotated[float, Field(gt=0, le=30, description="Connect and handshake time limit.")] = 10.0,
    *,
    _egress: Egress | None = None,
) -> TlsCertificate:
    """Fetch the TLS certificate of host:port: subject, issuer, SANs, validity dates, days left, and whether
    the chain verifies against the system's trusted CAs (and if not, why: expired, self-signed, wrong name...).

    Use it when clients report certificate errors or an expiry is suspected.
    """
    name = server_name or host
    addresses = (_egress or _resolve)(host, port)[:MAX_ADDRESSES]
    for index, address in enumerate(addresses):
        began = time.perf_counter()
        try:
            der, version, cipher, verify_error = _fetch(address, port, name, timeout_seconds)
            break
        except ssl.SSLError as exc:
            raise ConnectionError(
                f"the TLS handshake with {host}:{port} ({address}) failed: {exc.reason or exc}; "
                "is that port speaking TLS? (check_http on http:// may tell.)"
            ) from None
        except OSError as exc:
            if index + 1 < len(addresses) and not isinstance(exc, TimeoutError):
                continue  # try the next address (IPv6 then IPv4, several A records)
            if isinstance(exc, TimeoutError):
                raise TimeoutError(
                    f"{host}:{port} ({address}) did not complete a TLS handshake within {timeout_seconds:g} s."
                ) from None
            if isinstance(exc, ConnectionRefusedError):
                raise ConnectionError(
                    f"{host}:{port} ({address}) refused the connection; nothing listens there."
                ) from None
            raise ConnectionError(f"could not connect to {host}:{port} ({address}): {exc.strerror or exc}.") from None
    else:
        raise OSError(f"{host} resolves to no address")
    handshake_ms = round((time.perf_counter() - began) * 1000, 2)
    cert = x509.load_der_x509_certificate(der)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    days_left = round((not_after - datetime.now(UTC)).total_seconds() / 86400, 2)
    algorithm = cert.signature_hash_algorithm
    return TlsCertificate(
        host=host,
        port=port,
        address=address,
        server_name=name,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        subject_alternative_names=_names(cert),
        serial_number=format(cert.serial_number, "x"),
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        days_left=days_left,
        expired=days_left < 0,
        self_signed=cert.subject == cert.issuer,
        key=_key(cert),
        signature_algorithm=algorithm.name if algorithm else None,
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
        tls_version=version,
        cipher=cipher,
        chain_verified=verify_error is None,
        verify_error=verify_error,
        handshake_ms=handshake_ms,
    )


_vigil_hints = {"check_tls_certificate": {"title": "Check a TLS certificate"}}
