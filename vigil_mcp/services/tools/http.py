"""One HTTP request to an address the egress policy approved, with a bounded body (for TOML spec tools)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from vigil_mcp.services.tools.egress import Resolver, system_resolve

MAX_BODY = 1024 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: status, reason, content type and the body (at most MAX_BODY bytes)."""

    url: str
    status: int
    reason: str
    content_type: str
    body: bytes


def fetch(
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    egress: Resolver | None = None,
) -> Answer:
    """Send one request (redirects are reported, not followed); raise OSError/RuntimeError with a readable reason."""
    target = httpx.URL(url)
    if target.scheme not in ("http", "https") or not target.host:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    port = target.port or (443 if target.scheme == "https" else 80)
    addresses = (egress or system_resolve)(target.host, port)[:4]
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    sent_headers = {"Host": target.netloc.decode("ascii"), **(headers or {})}
    for index, address in enumerate(addresses):
        try:
            status, reason, location, content_type, body = _read(
                method, target.copy_with(host=address), params, sent_headers, extensions, timeout
            )
            break
        except httpx.TimeoutException as exc:
            raise TimeoutError(f"{method} {url} got no answer within {timeout:g} s ({type(exc).__name__}).") from None
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.ConnectError) and index + 1 < len(addresses) and "SSL" not in str(exc):
                continue  # the next address (IPv6 then IPv4, several A records)
            raise ConnectionError(f"{method} {url} failed: {exc or type(exc).__name__}.") from None
    else:
        raise OSError(f"{target.host} resolves to no address")
    if status in REDIRECTS:
        raise RuntimeError(f"{method} {url} answered {status} {reason}, redirecting to {location}; use that URL.")
    return Answer(url=url, status=status, reason=reason, content_type=content_type, body=body)


def _read(
    method: str,
    url: httpx.URL,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str],
    extensions: dict[str, str],
    timeout: float,
) -> tuple[int, str, str, str, bytes]:
    """Status, reason, Location, Content-Type and the body (at most MAX_BODY bytes)."""
    with (
        httpx.Client(verify=ssl.create_default_context(), trust_env=False, timeout=timeout) as client,
        client.stream(method, url, params=params, headers=headers, extensions=extensions) as response,
    ):
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                raise RuntimeError(f"{method} {url} answered with more than {MAX_BODY // 1024} KiB; ask for less.")
        found = response.headers
        return (
            response.status_code,
            response.reason_phrase,
            found.get("location", ""),
            found.get("content-type", ""),
            bytes(body),
        )
