"""Bearer tokens and roles on a real `vigil serve --http` subprocess; the settings that feed them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.security.live import Live, serve, vigil_env
from vigil_mcp.config import Settings, load_settings, parse_tokens
from vigil_mcp.errors import InputError
from vigil_mcp.server.roles import required_role
from vigil_mcp.transport.auth import StaticTokenVerifier
from vigil_mcp.transport.hosts import transport_security
from vigil_mcp.transport.http import MCP_MAX_BODY_BYTES, check_http_security

READER = "reader-token-0123456789abcdef"
ANALYST = "analyst-token-0123456789abcdef"
TOKENS = f"reader:{READER},analyst:{ANALYST}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("auth") / "home"
    home.mkdir()
    with serve(home, {"VIGIL_TOKENS": TOKENS}) as live:
        yield live


def client(live: Live, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Client(streamable_http_client(f"{live.url}/mcp", http_client=http))


def text_of(result: Any) -> str:
    return " ".join(getattr(item, "text", "") for item in result.content)


def test_a_request_without_a_token_is_refused_with_401_and_resource_metadata(server: Live) -> None:
    response = httpx.post(f"{server.url}/mcp", json={}, headers={"Accept": "application/json, text/event-stream"})
    assert response.status_code == 401
    assert "resource_metadata=" in response.headers["www-authenticate"]


def test_a_wrong_token_is_refused_with_401(server: Live) -> None:
    response = httpx.post(
        f"{server.url}/mcp",
        json={},
        headers={"Authorization": f"Bearer {READER[:-1]}X", "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401


def test_healthz_and_metrics_answer_without_a_token(server: Live) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.get(f"{server.url}/metrics").status_code == 200


@pytest.mark.anyio
async def test_a_reader_may_look_up_but_observing_is_refused_naming_the_analyst_role(server: Live) -> None:
    async with client(server, READER) as mcp:
        listed = await mcp.call_tool("list_tickets", {})
        refused = await mcp.call_tool(
            "observe_message", {"ticket_id": "A-1", "role": "customer", "author": "c", "text": "hello?"}
        )
        resolve = await mcp.call_tool("resolve_ticket", {"id": "A-1"})
    assert not listed.is_error
    assert refused.is_error
    assert "observe_message needs the analyst role" in text_of(refused)
    assert resolve.is_error
    assert "analyst" in text_of(resolve)


@pytest.mark.anyio
async def test_an_analyst_may_observe_and_the_reader_then_sees_the_ticket(server: Live) -> None:
    async with client(server, ANALYST) as mcp:
        observed = await mcp.call_tool(
            "observe_message", {"ticket_id": "A-2", "role": "customer", "author": "c", "text": "is it down?"}
        )
    async with client(server, READER) as mcp:
        ticket = await mcp.call_tool("get_ticket", {"id": "A-2"})
    assert not observed.is_error, text_of(observed)
    assert not ticket.is_error
    assert "is it down?" in text_of(ticket)


def test_an_mcp_body_over_the_limit_is_refused_with_413(server: Live) -> None:
    response = httpx.post(
        f"{server.url}/mcp",
        content=b"x" * (MCP_MAX_BODY_BYTES + 1),
        headers={
            "Authorization": f"Bearer {ANALYST}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    assert response.status_code == 413


def test_serving_a_public_address_without_tokens_refuses_to_start(tmp_path: Path) -> None:
    home = tmp_path / "public"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "vigil_mcp", "serve", "--http", "--host", "0.0.0.0", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=60,
        env=vigil_env(home),
    )
    assert done.returncode != 0
    assert "without auth" in done.stderr
    assert "--insecure-no-auth" in done.stderr


def test_a_public_address_is_allowed_with_tokens_or_with_the_explicit_insecure_flag(settings: Settings) -> None:
    public = dataclasses.replace(settings, host="0.0.0.0")
    with pytest.raises(InputError):
        check_http_security(public)
    check_http_security(load_settings({"home": str(settings.home), "host": "0.0.0.0", "insecure_no_auth": True}, {}))
    check_http_security(load_settings({"home": str(settings.home), "host": "0.0.0.0"}, {"VIGIL_TOKENS": TOKENS}))


def test_extra_allowed_hosts_and_origins_join_the_dns_rebinding_allow_list(settings: Settings) -> None:
    flags = {
        "home": str(settings.home),
        "host": "0.0.0.0",
        "allowed_hosts": "vigil.example.com",
        "allowed_origins": "https://vigil.example.com",
    }
    security = transport_security(load_settings(flags, {}))
    assert security.enable_dns_rebinding_protection
    assert "vigil.example.com" in security.allowed_hosts
    assert "https://vigil.example.com" in security.allowed_origins
    assert "evil.example" not in security.allowed_hosts


def test_tokens_come_from_the_environment_with_their_roles(settings: Settings) -> None:
    loaded = load_settings({"home": str(settings.home)}, {"VIGIL_TOKENS": TOKENS})
    assert loaded.tokens == (("reader", READER), ("analyst", ANALYST))
    assert READER not in repr(loaded)


def test_a_tokens_file_is_read_with_comments_and_one_entry_a_line(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# vigil tokens\nreader:{READER}\n\nanalyst:{ANALYST}  # the on-call team\n", encoding="utf-8")
    loaded = load_settings({"home": str(settings.home)}, {"VIGIL_TOKENS_FILE": str(path)})
    assert loaded.tokens == (("reader", READER), ("analyst", ANALYST))


def test_a_token_written_in_vigil_toml_is_refused(settings: Settings) -> None:
    (settings.home / "vigil.toml").write_text(f'tokens = "reader:{READER}"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"must not be written in vigil\.toml"):
        load_settings({"home": str(settings.home)}, {})


@pytest.mark.parametrize(
    "entry", ["admin:0123456789abcdef0123", "reader:short", "reader", "reader:has space inside 0123456789"]
)
def test_a_bad_token_entry_is_refused_without_echoing_the_token(entry: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_tokens(entry, "VIGIL_TOKENS")
    secret = entry.partition(":")[2]
    assert not secret or secret not in str(caught.value)


@pytest.mark.anyio
async def test_the_verifier_gives_analysts_both_scopes_and_refuses_near_misses() -> None:
    verifier = StaticTokenVerifier((("reader", READER), ("analyst", ANALYST)))
    reader = await verifier.verify_token(READER)
    analyst = await verifier.verify_token(ANALYST)
    assert reader is not None and reader.scopes == ["reader"]
    assert analyst is not None and analyst.scopes == ["reader", "analyst"]
    assert READER not in reader.client_id
    for miss in ("", READER[:-1], READER + "x", READER.upper(), "é" * 30):
        assert await verifier.verify_token(miss) is None


def test_read_only_tools_need_the_reader_role_and_all_others_the_analyst_role() -> None:
    from vigil_mcp.server.annotations import READ_ONLY
    from vigil_mcp.server.tickets import RESOLVES, WRITES

    assert required_role(READ_ONLY) == "reader"
    assert required_role(WRITES) == "analyst"
    assert required_role(RESOLVES) == "analyst"
    assert required_role(None) == "analyst"
