"""check_http: is an HTTP(S) endpoint up? Status, timings, redirects, headers and certificate expiry."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
MAX_REDIRECTS = 10
MAX_ADDRESSES = 4
MAX_BODY_BYTES = 1024 * 1024
EXCERPT_CHARS = 500
MAX_HEADERS = 40
HEADER_CHARS = 300
SECRET_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authenticate", "www-authenticate"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Timings(BaseModel):
    """Where the time went for the final request, in milliseconds (None when the step did not happen)."""

    resolve_ms: float
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = Field(
        default=None, description="From sending the request to the first response byte."
    )
    total_ms: float = Field(description="Whole check, all redirects included.")


class Redirect(BaseModel):
    """One redirect that was followed."""

    url: str
    status: int
    location: str


class TlsSummary(BaseModel):
    """The certificate the server presented (verified, or the request would have failed)."""

    version: str | None
    subject: str | None
    issuer: str | None
    not_after: str | None = Field(description="Expiry, ISO 8601 UTC.")
    days_left: float | None


class HttpCheck(BaseModel):
    """The outcome of one HTTP(S) check."""

    url: str
    final_url: str
    method: str
    address: str = Field(description="The IP address the final request went to.")
    status: int
    reason: str
    ok: bool = Field(description="True for 1xx-3xx statuses.")
    http_version: str
    timings: Timings
    redirects: list[Redirect]
    headers: dict[str, str] = Field(description="Response headers (secrets redacted, long values cut).")
    content_type: str | None
    body_bytes: int = Field(description=f"Bytes of body read (at most {MAX_BODY_BYTES}).")
    body_truncated: bool
    body_excerpt: str = Field(description=f"The first {EXCERPT_CHARS} characters of a text body.")
    tls: TlsSummary | None


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _legacy_ipv4(host: str) -> str | None:
    """The dotted-decimal form of an IPv4 address written another way (octal 0251.0376.0251.0376, hex, short)."""
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def _parse_url(url: str, egress: Egress | None) -> httpx.URL:
    """The URL, or ValueError saying why it cannot be requested; a disguised address still meets the egress policy."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        host = urlsplit(url).hostname or ""
        plain = _legacy_ipv4(host)
        if plain is None:
            raise ValueError(f"{url!r} is not a valid URL ({exc})") from None
        if egress is not None:
            egress(host, 80)  # PermissionError when the policy refuses it (cloud metadata, denied ranges)
        raise ValueError(f"{host} is the IPv4 address {plain} written another way; write it as {plain}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return parsed


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _name(parts: Any) -> str | None:
    for rdn in parts or ():
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def _tls(response: httpx.Response) -> TlsSummary | None:
    stream: Any = response.extensions.get("network_stream")
    ssl_object: Any = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert: dict[str, Any] = ssl_object.getpeercert() or {}
    not_after = cert.get("notAfter")
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC) if not_after else None
    days = round((expires - datetime.now(UTC)).total_seconds() / 86400, 2) if expires else None
    return TlsSummary(
        version=ssl_object.version(),
        subject=_name(cert.get("subject")),
        issuer=_name(cert.get("issuer")),
        not_after=expires.isoformat() if expires else None,
        days_left=days,
    )


def _headers(response: httpx.Response) -> dict[str, str]:
    shown: dict[str, str] = {}
    for key, value in response.headers.multi_items():
        name = key.lower()
        if len(shown) >= MAX_HEADERS:
            break
        text = "[redacted]" if name in SECRET_HEADERS else value[:HEADER_CHARS]
        shown[name] = f"{shown[name]}, {text}" if name in shown else text
    return shown


def _failure(exc: httpx.HTTPError, url: str, address: str, timeout: float) -> Exception:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(
            f"{url} ({address}) did not answer within {timeout:g} s ({type(exc).__name__}); "
            "the service may be overloaded, or a firewall drops the traffic (try check_tcp)."
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return ConnectionError(
            f"the TLS certificate of {url} failed verification ({text}); run check_tls_certificate on the host "
            "to see why, or pass verify_tls=false to look past it."
        )
    if isinstance(exc, httpx.ConnectError):
        return ConnectionError(
            f"could not connect to {url} ({address}): {text}; check the host and port, and whether the service is up "
            "(check_tcp tells network problems apart)."
        )
    return ConnectionError(f"{url} ({address}) failed: {text}.")


@dataclass
class _Hop:
    """One request/response, read and closed."""

    address: str
    response: httpx.Response
    body: bytes
    truncated: bool
    tls: TlsSummary | None
    marks: dict[str, float]


def _hop(
    verb: str, url: httpx.URL, address: str, context: ssl.SSLContext, deadline: float, marks: dict[str, float]
) -> _Hop:
    def trace(event: str, info: dict[str, Any]) -> None:
        marks.setdefault(event.split(".", 1)[-1], time.perf_counter())

    left = deadline - time.perf_counter()
    if left <= 0:
        raise httpx.ReadTimeout("no time left")
    extensions: dict[str, Any] = {"trace": trace}
    if url.scheme == "https":
        extensions["sni_hostname"] = url.host
    headers = {"Host": url.netloc.decode("ascii"), "User-Agent": "vigil-http-check/1"}
    with (
        httpx.Client(verify=context, trust_env=False, timeout=left) as client,
        client.stream(verb, url.copy_with(host=address), headers=headers, extensions=extensions) as response,
    ):
        marks.setdefault("answered", time.perf_counter())
        body = bytearray()
        truncated = False
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_BODY_BYTES:
                truncated = True
                break
            if time.perf_counter() > deadline:
                raise httpx.ReadTimeout("body still arriving at the time limit")
        return _Hop(address, response, bytes(body), truncated, _tls(response), marks)


def check_http(
    url: Annotated[str, Field(description="The http:// or https:// URL to check.")],
    method: Annotated[Literal["GET", "HEAD", "OPTIONS"], Field(description="HTTP method (read-only ones).")] = "GET",
    follow_redirects: Annotated[bool, Field(description="Follow up to 10 redirects.")] = True,
    verify_tls: Annotated[bool, Field(description="Verify the TLS certificate (https only).")] = True,
    timeout_seconds: Annotated[float, Field(gt=0, le=60, description="Time limit for the whole check.")] = 10.0,
    *,
    _egress: Egress | None = None,
) -> HttpCheck:
    """Request a URL and report status, timings (DNS, connect, TLS, first byte), redirects, headers and TLS expiry.

    Use it to confirm whether an endpoint a customer reports as down answers, how slowly, and
    what it says. A status of 400 or more is reported, not raised; no answer at all is an error.
    """
    started = time.perf_counter()
    deadline = started + timeout_seconds
    context = ssl.create_default_context()
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    redirects: list[Redirect] = []
    current = _parse_url(url, _egress)
    verb: str = method
    while True:
        port = current.port or (443 if current.scheme == "https" else 80)
        began = time.perf_counter()
        addresses = (_egress or _resolve)(current.host, port)
        resolved = time.perf_counter()
        hop: _Hop | None = None
        for index, address in enumerate(addresses[:MAX_ADDRESSES]):
            try:
                hop = _hop(verb, current, address, context, deadline, {"resolved": resolved})
                break
            except httpx.ConnectError as exc:
                # Try the next address (IPv6 then IPv4, several A records) unless TLS itself failed.
                if index + 1 < min(len(addresses), MAX_ADDRESSES) and "SSL" not in str(exc):
                    continue
                raise _failure(exc, str(current), address, timeout_seconds) from None
            except httpx.HTTPError as exc:
                raise _failure(exc, str(current), address, timeout_seconds) from None
        if hop is None:
            raise OSError(f"{current.host} resolves to no address")
        response = hop.response
        location = response.headers.get("location")
        if follow_redirects and response.status_code in REDIRECT_STATUSES and location:
            if len(redirects) >= MAX_REDIRECTS:
                raise RuntimeError(f"{url} redirected more than {MAX_REDIRECTS} times (last to {location}).")
            redirects.append(Redirect(url=str(current), status=response.status_code, location=location))
            current = current.join(location)
            if current.scheme not in ("http", "https"):
                raise RuntimeError(f"{url} redirected to {location}, which is not http(s).")
            if response.status_code == 303 and verb != "HEAD":
                verb = "GET"
            continue
        break
    marks, body, truncated, tls, address = hop.marks, hop.body, hop.truncated, hop.tls, hop.address
    sent = marks.get("send_request_headers.started")
    first = marks.get("receive_response_headers.complete") or marks.get("answered")
    timings = Timings(
        resolve_ms=_ms(marks["resolved"] - began),
        connect_ms=_ms(marks["connect_tcp.complete"] - marks["connect_tcp.started"])
        if "connect_tcp.complete" in marks and "connect_tcp.started" in marks
        else None,
        tls_ms=_ms(marks["start_tls.complete"] - marks["start_tls.started"])
        if "start_tls.complete" in marks and "start_tls.started" in marks
        else None,
        first_byte_ms=_ms(first - sent) if sent and first else None,
        total_ms=_ms(time.perf_counter() - started),
    )
    content_type = response.headers.get("content-type")
    textual = content_type is None or any(t in content_type for t in ("text", "json", "xml", "html", "javascript"))
    try:
        excerpt = bytes(body[: EXCERPT_CHARS * 4]).decode(response.encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        excerpt = bytes(body[: EXCERPT_CHARS * 4]).decode("utf-8", errors="replace")
    return HttpCheck(
        url=url,
        final_url=str(current),
        method=verb,
        address=address,
        status=response.status_code,
        reason=response.reason_phrase,
        ok=response.status_code < 400,
        http_version=response.http_version,
        timings=timings,
        redirects=redirects,
        headers=_headers(response),
        content_type=content_type,
        body_bytes=len(body),
        body_truncated=truncated,
        body_excerpt=excerpt[:EXCERPT_CHARS] if textual else "",
        tls=tls,
    )


_vigil_hints = {"check_http": {"title": "Check an HTTP(S) endpoint"}}
