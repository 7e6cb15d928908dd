import socket

import pytest

from vigil_mcp.services.tools import EgressPolicy


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "169.254.170.2",
        "fd00:ec2::254",
        "[fd00:ec2::254]",
        "::ffff:169.254.169.254",
        "100.100.100.200",
    ],
)
def test_cloud_metadata_addresses_are_always_refused(host: str) -> None:
    with pytest.raises(PermissionError, match="cloud metadata"):
        EgressPolicy(allow=("*", "0.0.0.0/0")).check(host, 80)


@pytest.mark.parametrize("host", ["metadata.google.internal", "METADATA.google.internal.", "metadata", "instance-data"])
def test_cloud_metadata_names_are_refused_before_any_lookup(host: str) -> None:
    looked_up: list[str] = []

    def resolve(name: str, port: int) -> list[str]:
        looked_up.append(name)
        return ["10.0.0.1"]

    with pytest.raises(PermissionError, match="cloud metadata"):
        EgressPolicy(resolve=resolve).check(host, 80)
    assert looked_up == []


def test_a_name_that_resolves_to_the_metadata_address_is_refused() -> None:
    policy = EgressPolicy(resolve=fake_dns({"innocent.example": ["10.1.2.3", "169.254.169.254"]}))
    with pytest.raises(PermissionError, match=r"innocent.example \(169.254.169.254\)"):
        policy.check("innocent.example", 443)


def test_numeric_spellings_of_the_metadata_address_are_refused_after_resolution() -> None:
    with pytest.raises(PermissionError, match="cloud metadata"):
        EgressPolicy().check("2852039166", 80)  # the system resolver reads this as 169.254.169.254


def test_loopback_and_private_hosts_are_allowed_by_default_and_addresses_come_back_in_order() -> None:
    policy = EgressPolicy(resolve=fake_dns({"db.internal": ["10.0.0.5", "10.0.0.6"]}))
    assert policy.check("127.0.0.1", 80) == ["127.0.0.1"]
    assert policy.check("db.internal", 5432) == ["10.0.0.5", "10.0.0.6"]


def test_deny_patterns_match_names_with_wildcards_and_addresses_by_range() -> None:
    policy = EgressPolicy(
        deny=("*.corp.example", "10.9.0.0/16"), resolve=fake_dns({"ok.example": ["10.9.1.1"], "a.corp.example": []})
    )
    with pytest.raises(PermissionError, match=r"deny pattern '\*.corp.example'"):
        policy.check("a.corp.example", 443)
    with pytest.raises(PermissionError, match=r"deny range 10.9.0.0/16"):
        policy.check("ok.example", 443)


def test_with_allow_patterns_only_matching_names_or_ranges_get_through() -> None:
    policy = EgressPolicy(
        allow=("*.example.com", "192.0.2.0/24"),
        resolve=fake_dns(
            {"api.example.com": ["203.0.113.9"], "other.org": ["192.0.2.7"], "evil.org": ["198.51.100.1"]}
        ),
    )
    assert policy.check("api.example.com", 443) == ["203.0.113.9"]
    assert policy.check("other.org", 443) == ["192.0.2.7"]
    with pytest.raises(PermissionError, match="not in the egress allow list"):
        policy.check("evil.org", 443)
    with pytest.raises(PermissionError, match="not in the egress allow list"):
        policy.check("127.0.0.1", 443)


def test_a_name_that_does_not_resolve_raises_the_resolver_error() -> None:
    with pytest.raises(socket.gaierror):
        EgressPolicy(resolve=fake_dns({})).check("nowhere.example", 80)
