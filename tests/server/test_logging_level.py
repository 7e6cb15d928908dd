import pytest
from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.server import build_server

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


async def test_a_legacy_client_can_set_the_log_level(app: App) -> None:
    async with Client(build_server(app), mode="legacy") as client:
        assert client.server_capabilities.logging is not None
        result = await client.session.set_logging_level("warning")
    assert result is not None
