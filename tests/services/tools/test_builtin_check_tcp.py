import pytest

from tests.services.tools.loopback import closed_port, listening_port
from vigil_mcp.errors import InputError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry

pytestmark = pytest.mark.anyio


async def test_tcp_check_connects_to_a_listening_port_and_times_it(builtins: ToolRegistry) -> None:
    with listening_port() as port:
        result = await builtins.call("check_tcp", {"host": "127.0.0.1", "port": port})
    assert (result.ok, result.address, result.error) == (True, "127.0.0.1", None)
    assert result.connect_ms is not None and result.connect_ms >= 0


async def test_tcp_check_reports_a_refused_connection_as_a_finding(builtins: ToolRegistry) -> None:
    with closed_port() as port:
        result = await builtins.call("check_tcp", {"host": "localhost", "port": str(port)})
    assert result.ok is False
    assert result.error is not None and "refused" in result.error
    assert all(not a.connected for a in result.attempts) and result.attempts


async def test_tcp_check_reports_a_name_that_does_not_resolve(builtins: ToolRegistry) -> None:
    result = await builtins.call("check_tcp", {"host": "does-not-exist.invalid", "port": 80})
    assert result.ok is False and result.error is not None and "does not resolve" in result.error


async def test_tcp_check_refuses_metadata_and_out_of_range_ports(builtins: ToolRegistry) -> None:
    with pytest.raises(DiagnosticFailed, match="cloud metadata"):
        await builtins.call("check_tcp", {"host": "::ffff:169.254.169.254", "port": 80})
    with pytest.raises(InputError, match="port"):
        await builtins.call("check_tcp", {"host": "127.0.0.1", "port": 70000})
