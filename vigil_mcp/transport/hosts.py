"""Which addresses, Host headers and Origins this server answers to."""

from __future__ import annotations

import ipaddress

from mcp.server.transport_security import TransportSecuritySettings

from vigil_mcp.config import Settings


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts local connections."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection with explicit hosts and origins, whatever the bind address."""
    host, port = settings.host, settings.port
    names = {host, "127.0.0.1", "localhost", "[::1]"} if is_loopback(host) else {host}
    allowed_hosts = sorted({f"{n}:{port}" for n in names} | names | set(settings.allowed_hosts))
    allowed_origins = sorted(
        {f"http://{n}:{port}" for n in names} | {f"https://{n}:{port}" for n in names} | set(settings.allowed_origins)
    )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins
    )


def base_url(settings: Settings) -> str:
    """The server's own URL (its OAuth issuer and resource identifier)."""
    host = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
    return f"http://{host}:{settings.port}"
