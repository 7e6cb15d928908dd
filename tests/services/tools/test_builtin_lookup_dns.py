import pytest

from tests.services.tools.loopback import DnsResponder, silent_udp_port
from vigil_mcp.errors import InputError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio

RECORDS = {
    ("example.test", "MX"): [((10, "mx1.example.test"), 300), ((20, "mx2.example.test"), 300)],
    ("example.test", "TXT"): [(["v=spf1 include:_spf.example.test ", "-all"], 60)],
    ("example.test", "A"): [("192.0.2.10", 30)],
    ("www.example.test", "CNAME"): [("example.test", 120)],
    ("example.test", "CAA"): [((0, "issue", "letsencrypt.org"), 3600)],
    ("big.example.test", "TXT"): [([f"{i}" + "x" * 200], 60) for i in range(6)],
}


async def test_dns_lookup_of_localhost_uses_the_system_resolver(builtins: ToolRegistry) -> None:
    result = await builtins.call("lookup_dns", {"name": "localhost"})
    assert (result.status, result.server) == ("NOERROR", "system resolver")
    assert "127.0.0.1" in [a.value for a in result.answers]


async def test_dns_lookup_reads_mx_txt_cname_and_caa_records_from_a_dns_server(builtins: ToolRegistry) -> None:
    with DnsResponder(RECORDS) as dns:
        mx = await builtins.call("lookup_dns", {"name": "example.test", "record_type": "MX", "server": dns.server})
        txt = await builtins.call("lookup_dns", {"name": "example.test", "record_type": "TXT", "server": dns.server})
        cname = await builtins.call(
            "lookup_dns", {"name": "www.example.test", "record_type": "CNAME", "server": dns.server}
        )
        caa = await builtins.call("lookup_dns", {"name": "example.test", "record_type": "CAA", "server": dns.server})
        a = await builtins.call("lookup_dns", {"name": "example.test", "server": dns.server})
    assert sorted((r.value, r.ttl) for r in mx.answers) == [
        ("10 mx1.example.test.", 300),
        ("20 mx2.example.test.", 300),
    ]
    assert mx.status == "NOERROR" and mx.authoritative is True
    assert txt.answers[0].value == "v=spf1 include:_spf.example.test -all"
    assert cname.answers[0].value == "example.test."
    assert caa.answers[0].value == '0 issue "letsencrypt.org"'
    assert a.answers[0].value == "192.0.2.10" and a.server == dns.server


async def test_dns_lookup_says_nxdomain_for_a_name_that_does_not_exist(builtins: ToolRegistry) -> None:
    with DnsResponder(RECORDS) as dns:
        result = await builtins.call(
            "lookup_dns", {"name": "nope.example.test", "record_type": "MX", "server": dns.server}
        )
    assert (result.status, result.answers) == ("NXDOMAIN", [])


async def test_dns_lookup_retries_over_tcp_when_the_udp_answer_is_truncated(builtins: ToolRegistry) -> None:
    with DnsResponder(RECORDS, udp_limit=512) as dns:
        result = await builtins.call(
            "lookup_dns", {"name": "big.example.test", "record_type": "TXT", "server": dns.server}
        )
    assert len(result.answers) == 6
    assert [q[2] for q in dns.questions] == ["udp", "tcp"]


async def test_dns_lookup_against_a_silent_server_times_out_with_advice(builtins: ToolRegistry) -> None:
    with silent_udp_port() as port, pytest.raises(DiagnosticFailed, match=r"did not answer within 0.2 s"):
        await builtins.call(
            "lookup_dns",
            {"name": "example.test", "record_type": "TXT", "server": f"127.0.0.1:{port}", "timeout_seconds": 0.2},
        )


async def test_dns_lookup_refuses_a_metadata_server_and_bad_names(builtins: ToolRegistry) -> None:
    with pytest.raises(DiagnosticFailed, match="cloud metadata"):
        await builtins.call("lookup_dns", {"name": "example.test", "record_type": "TXT", "server": "169.254.169.254"})
    with pytest.raises(InputError, match=r"not a valid DNS name \(A DNS label is empty"):
        await builtins.call("lookup_dns", {"name": "a..b", "record_type": "MX", "server": "127.0.0.1"})
    with pytest.raises(InputError, match="record_type"):
        await builtins.call("lookup_dns", {"name": "example.test", "record_type": "ANY"})
