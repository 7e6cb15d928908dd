from pathlib import Path

import pytest

from tests.services.tools.loopback import HttpServer, Reply, closed_port, make_ca
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio


async def test_tls_certificate_reads_subject_sans_and_expiry_and_says_why_it_does_not_verify(
    builtins: ToolRegistry, tmp_path: Path
) -> None:
    ca = make_ca(tmp_path / "ca", names=("localhost", "api.localhost"), days=12)
    with HttpServer({"/": Reply(200)}, tls=ca.server_context()) as server:
        result = await builtins.call("check_tls_certificate", {"host": "localhost", "port": server.port})
    assert result.subject == "CN=localhost"
    assert result.issuer == "CN=vigil test CA"
    assert result.subject_alternative_names == ["localhost", "api.localhost", "127.0.0.1"]
    assert 11 < result.days_left <= 12 and result.expired is False
    assert result.key == "EC-secp256r1" and result.signature_algorithm == "sha256"
    assert result.chain_verified is False
    assert result.verify_error is not None and "unable to get local issuer certificate" in result.verify_error
    assert len(result.sha256_fingerprint) == 64 and result.tls_version in ("TLSv1.2", "TLSv1.3")


async def test_tls_certificate_verifies_a_chain_from_a_trusted_ca(
    builtins: ToolRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = make_ca(tmp_path / "ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_pem))
    with HttpServer({"/": Reply(200)}, tls=ca.server_context()) as server:
        good = await builtins.call("check_tls_certificate", {"host": "localhost", "port": server.port})
        wrong_name = await builtins.call(
            "check_tls_certificate", {"host": "127.0.0.1", "port": server.port, "server_name": "other.example"}
        )
    assert (good.chain_verified, good.verify_error) == (True, None)
    assert wrong_name.chain_verified is False
    assert wrong_name.verify_error is not None and "other.example" in wrong_name.verify_error


async def test_tls_certificate_flags_an_expired_certificate(
    builtins: ToolRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = make_ca(tmp_path / "ca", expired=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_pem))
    with HttpServer({"/": Reply(200)}, tls=ca.server_context()) as server:
        result = await builtins.call("check_tls_certificate", {"host": "localhost", "port": server.port})
    assert result.expired is True and result.days_left < 0
    assert result.verify_error is not None and "expired" in result.verify_error


async def test_tls_certificate_on_a_plain_http_port_or_closed_port_fails_with_a_reason(builtins: ToolRegistry) -> None:
    with HttpServer({"/": Reply(200)}) as server, pytest.raises(DiagnosticFailed, match="is that port speaking TLS"):
        await builtins.call("check_tls_certificate", {"host": "127.0.0.1", "port": server.port, "timeout_seconds": 5})
    with closed_port() as port, pytest.raises(DiagnosticFailed, match="refused"):
        await builtins.call("check_tls_certificate", {"host": "127.0.0.1", "port": port})
