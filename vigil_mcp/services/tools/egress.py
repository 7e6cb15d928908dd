"""Where network diagnostics may connect: host patterns to allow and deny, cloud metadata always denied.

A name is resolved and every address it resolves to is checked too, so a DNS name pointing at
169.254.169.254 is refused like the address itself. Tools then connect to the addresses the
check returned rather than resolving again, which closes the door on DNS rebinding.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Instance metadata services hand out cloud credentials; a diagnostic never needs them.
METADATA_DENY: tuple[str, ...] = (
    "169.254.0.0/16",  # link-local: AWS/GCP/Azure/OCI/DO metadata 169.254.169.254, ECS 169.254.170.2
    "fe80::/10",  # IPv6 link-local
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fd00:ec2::23",  # AWS EKS pod identity agent
    "100.100.100.200",  # Alibaba Cloud metadata
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.internal",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
)


def _legacy_ipv4(name: str) -> IPAddress | None:
    """An IPv4 address written the old ways C libraries still accept (0251.0376.0251.0376, 0xa9fea9fe, 127.1)."""
    if not name or not all(c in "0123456789abcdefx." for c in name) or not name[0].isdigit():
        return None
    try:
        return ipaddress.ip_address(socket.inet_ntoa(socket.inet_aton(name)))
    except (OSError, ValueError):
        return None


def system_resolve(host: str, port: int) -> list[str]:
    """Addresses of `host` from the system resolver (TCP), in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _plain(address: IPAddress) -> IPAddress:
    """IPv4-mapped IPv6 (::ffff:169.254.169.254) is the IPv4 address in disguise."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class _Patterns:
    names: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, patterns: Sequence[str]) -> _Patterns:
        names: list[str] = []
        networks: list[IPNetwork] = []
        for raw in patterns:
            pattern = raw.strip().lower().rstrip(".").strip("[]")
            if not pattern:
                continue
            try:
                networks.append(ipaddress.ip_network(pattern, strict=False))
            except ValueError:
                names.append(pattern)
        return cls(tuple(names), tuple(networks))

    def name_match(self, host: str) -> str | None:
        return next((p for p in self.names if fnmatch.fnmatchcase(host, p)), None)

    def address_match(self, address: IPAddress) -> str | None:
        return next((str(n) for n in self.networks if address.version == n.version and address in n), None)


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """Allow and deny patterns for hosts: names with * wildcards (`*.corp.example`), addresses, CIDR ranges.

    Deny wins. Cloud metadata endpoints are always denied. With no allow patterns every other
    host is allowed; with some, a host must match one by name, or all its addresses must.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    resolve: Resolver = field(default=system_resolve, compare=False)
    _allow: _Patterns = field(init=False, compare=False, repr=False)
    _deny: _Patterns = field(init=False, compare=False, repr=False)
    _metadata: _Patterns = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allow", _Patterns.parse(self.allow))
        object.__setattr__(self, "_deny", _Patterns.parse(self.deny))
        object.__setattr__(self, "_metadata", _Patterns.parse(METADATA_DENY))

    def check(self, host: str, port: int) -> list[str]:
        """The addresses a tool may connect to for host:port; PermissionError says which rule refused it.

        Resolution failures raise OSError (socket.gaierror) as the system resolver reports them.
        """
        name = host.strip().lower().rstrip(".").strip("[]")
        if not name:
            raise ValueError("no host given")
        self._refuse_name(name)
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = _legacy_ipv4(name)
        addresses = [str(literal)] if literal is not None else self.resolve(name, port)
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        parsed = [_plain(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses]
        for address in parsed:
            self._refuse_address(host, address)
        if self._allow.names or self._allow.networks:
            by_name = literal is None and self._allow.name_match(name) is not None
            by_address = all(self._allow.address_match(a) for a in parsed)
            if not (by_name or by_address):
                shown = ", ".join(map(str, parsed))
                raise PermissionError(
                    f"{host} ({shown}) is not in the egress allow list; add it (or a pattern such as "
                    f"*.{name.split('.', 1)[-1]}) to egress_allow in vigil.toml to let diagnostics reach it."
                )
        return addresses

    def _refuse_name(self, name: str) -> None:
        if (hit := self._metadata.name_match(name)) is not None:
            raise PermissionError(
                f"{name} is a cloud metadata endpoint (egress rule {hit!r}); diagnostics are never allowed to "
                "reach it because it hands out credentials."
            )
        if (hit := self._deny.name_match(name)) is not None:
            raise PermissionError(
                f"{name} is blocked by the egress deny pattern {hit!r}; remove it from egress_deny in vigil.toml "
                "if diagnostics should reach this host."
            )

    def _refuse_address(self, host: str, address: IPAddress) -> None:
        shown = host if host.strip("[]") == str(address) else f"{host} ({address})"
        if (hit := self._metadata.address_match(address)) is not None:
            raise PermissionError(
                f"{shown} is in {hit}, where cloud metadata endpoints live; diagnostics are never allowed to "
                "reach it because it hands out credentials."
            )
        if (hit := self._deny.address_match(address)) is not None:
            raise PermissionError(
                f"{shown} is blocked by the egress deny range {hit}; remove it from egress_deny in vigil.toml "
                "if diagnostics should reach this host."
            )
