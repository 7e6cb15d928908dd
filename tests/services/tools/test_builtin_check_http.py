from pathlib import Path

import pytest

from tests.services.tools.loopback import HttpServer, Reply, closed_port, make_ca
from vigil_mcp.errors import InputError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio


async def test_http_check_reports_status_timings_headers_and_body_of_a_live_endpoint(builtins: ToolRegistry) -> None:
    routes = {"/health": Reply(200, "all good", {"X-Build": "42", "Set-Cookie": "session=secret"})}
    with HttpServer(routes) as server:
        result = await builtins.call("check_http", {"url": server.url("/health")})
    assert (result.status, result.ok, result.address) == (200, True, "127.0.0.1")
    assert result.body_excerpt == "all good"
    assert result.headers["x-build"] == "42"
    assert result.headers["set-cookie"] == "[redacted]"
    assert result.timings.connect_ms is not None and result.timings.first_byte_ms is not None
    assert result.timings.total_ms >= result.timings.first_byte_ms
    assert result.tls is None
    assert server.seen[0].headers["Host"] == f"127.0.0.1:{server.port}"


async def test_http_check_connects_to_the_checked_address_but_keeps_the_name_in_host(builtins: ToolRegistry) -> None:
    with HttpServer({"/": Reply(204)}) as server:
        result = await builtins.call("check_http", {"url": server.url("/", host="localhost")})
    assert result.status == 204
    assert result.address in ("127.0.0.1", "::1")
    assert server.seen[0].headers["Host"] == f"localhost:{server.port}"


async def test_http_check_follows_redirects_and_lists_them(builtins: ToolRegistry) -> None:
    routes = {
        "/old": Reply(301, "", {"Location": "/new"}),
        "/new": Reply(302, "", {"Location": "/final?x=1"}),
        "/final": Reply(200, {"ok": True}),
    }
    with HttpServer(routes) as server:
        result = await builtins.call("check_http", {"url": server.url("/old")})
        unfollowed = await builtins.call("check_http", {"url": server.url("/old"), "follow_redirects": "false"})
    assert [(r.status, r.location) for r in result.redirects] == [(301, "/new"), (302, "/final?x=1")]
    assert result.final_url == server.url("/final?x=1")
    assert result.content_type == "application/json"
    assert unfollowed.status == 301 and unfollowed.redirects == []


async def test_http_check_reports_a_server_error_as_a_finding_not_a_failure(builtins: ToolRegistry) -> None:
    with HttpServer({"/": Reply(503, "upstream down")}) as server:
        result = await builtins.call("check_http", {"url": server.url("/"), "method": "GET"})
    assert (result.status, result.ok, result.reason) == (503, False, "Service Unavailable")
    assert result.body_excerpt == "upstream down"


async def test_http_check_on_a_closed_port_fails_with_a_sentence_about_what_to_check(builtins: ToolRegistry) -> None:
    with closed_port() as port, pytest.raises(DiagnosticFailed) as failed:
        await builtins.call("check_http", {"url": f"http://127.0.0.1:{port}/"})
    message = str(failed.value)
    assert message.startswith("check_http: could not connect to")
    assert "check_tcp" in message


async def test_http_check_refuses_cloud_metadata_directly_and_through_a_redirect(builtins: ToolRegistry) -> None:
    with pytest.raises(DiagnosticFailed, match="cloud metadata"):
        await builtins.call("check_http", {"url": "http://169.254.169.254/latest/meta-data/"})
    routes = {"/": Reply(302, "", {"Location": "http://169.254.169.254/latest/meta-data/iam/"})}
    with HttpServer(routes) as server, pytest.raises(DiagnosticFailed, match="cloud metadata"):
        await builtins.call("check_http", {"url": server.url("/")})
    assert len(server.seen) == 1


async def test_http_check_rejects_a_url_that_is_not_http_as_bad_input(builtins: ToolRegistry) -> None:
    with pytest.raises(InputError, match="not an http"):
        await builtins.call("check_http", {"url": "ftp://example.com/"})
    with pytest.raises(InputError, match="method"):
        await builtins.call("check_http", {"url": "http://127.0.0.1/", "method": "DELETE"})


async def test_https_check_reports_certificate_expiry_when_the_ca_is_trusted(
    builtins: ToolRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = make_ca(tmp_path / "ca", days=30)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_pem))
    with HttpServer({"/": Reply(200, "secure")}, tls=ca.server_context()) as server:
        result = await builtins.call("check_http", {"url": server.url("/", host="localhost")})
    assert result.status == 200
    assert result.tls is not None
    assert result.tls.subject == "localhost" and result.tls.issuer == "vigil test CA"
    assert result.tls.days_left is not None and 29 < result.tls.days_left <= 30
    assert result.timings.tls_ms is not None


async def test_https_check_with_an_untrusted_certificate_points_at_tls_certificate(
    builtins: ToolRegistry, tmp_path: Path
) -> None:
    ca = make_ca(tmp_path / "ca")
    with HttpServer({"/": Reply(200, "secure")}, tls=ca.server_context()) as server:
        with pytest.raises(DiagnosticFailed, match="failed verification") as failed:
            await builtins.call("check_http", {"url": server.url("/", host="localhost")})
        relaxed = await builtins.call("check_http", {"url": server.url("/", host="localhost"), "verify_tls": False})
    assert "check_tls_certificate" in str(failed.value)
    assert relaxed.status == 200
