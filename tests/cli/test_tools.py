import json
from pathlib import Path

import pytest

from tests.services.tools.loopback import HttpServer, Reply, closed_port
from vigil_mcp.cli import main

BUILTINS = ["lookup_dns", "check_http", "query_prometheus", "check_status_page", "check_tcp", "check_tls_certificate"]

WRITE_TOOL = '''
def restart_worker(name: str) -> str:
    """Restart one worker process."""
    return f"restarted {name}"


_vigil_hints = {"restart_worker": {"read_only": False}}
'''

BIG_TOOL = '''
def log_lines(count: int) -> list[str]:
    """Return numbered log lines."""
    return [f"line {i} " + "x" * 60 for i in range(count)]
'''


@pytest.fixture
def tools_dir(_isolated_home: Path) -> Path:
    folder = _isolated_home / "tools"
    folder.mkdir()
    return folder


def test_tools_list_shows_builtins_as_served_and_write_tools_as_hidden_with_the_reason(
    tools_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tools_dir / "ops.py").write_text(WRITE_TOOL, encoding="utf-8")
    assert main(["tools", "list"]) == 0
    out = capsys.readouterr().out
    for name in BUILTINS:
        assert any(line.startswith(name) and " served " in line for line in out.splitlines()), name
    assert "restart_worker" in out and "hidden" in out and "[write]" in out
    assert "not served: it is not read-only, and write tools are only served with --enable-write-tools" in out
    assert main(["tools", "list", "--enable-write-tools", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["restart_worker"]["served"] is True and rows["restart_worker"]["read_only"] is False
    assert rows["check_tcp"]["input_schema"]["required"] == ["host", "port"]


def test_tools_list_honours_the_tools_and_exclude_patterns(tools_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["tools", "list", "--json", "--tools", "check_*,lookup_*", "--exclude-tools", "check_tls_*,check_status_*"]
        )
        == 0
    )
    served = sorted(row["name"] for row in json.loads(capsys.readouterr().out) if row["served"])
    assert served == ["check_http", "check_tcp", "lookup_dns"]


def test_tools_check_passes_the_shipped_tools_and_fails_on_a_bad_file(
    tools_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tools", "check"]) == 0
    assert capsys.readouterr().out.count("ok   ") == len(BUILTINS)
    bad = tools_dir / "broken.py"
    bad.write_text("def probe(host):\n    return host\n", encoding="utf-8")
    assert main(["tools", "check"]) == 1
    err = capsys.readouterr().err
    assert f"BAD  {bad}: probe(): it has no docstring" in err
    assert "Fix: add a one-line docstring" in err
    assert "parameter 'host' has no type hint" in err


def test_tools_check_on_named_files_works_as_a_pre_commit_hook(
    tools_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tools_dir / "ops.py"
    good.write_text(WRITE_TOOL, encoding="utf-8")
    helper = tools_dir / "_shared.py"
    helper.write_text("x = (\n", encoding="utf-8")
    twin = tools_dir / "twin.py"
    twin.write_text(WRITE_TOOL, encoding="utf-8")
    assert main(["tools", "check", str(good), str(helper)]) == 0
    out = capsys.readouterr().out
    assert f"ok   {good} (restart_worker)" in out and f"skip {helper}" in out
    assert main(["tools", "check", str(good), str(twin)]) == 1
    assert "the name is also used by" in capsys.readouterr().err


def test_tools_run_calls_a_diagnostic_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    with HttpServer({"/": Reply(200, "hello from loopback")}) as server:
        assert main(["tools", "run", "check_http", f"url={server.url('/')}", "method=HEAD"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["method"], result["ok"]) == (200, "HEAD", True)


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["tools", "run", "check_tcp", "host=127.0.0.1"], 2, "missing argument 'port'"),
        (["tools", "run", "check_tcp", "host=127.0.0.1", "port=80", "colour=red"], 2, "unknown argument 'colour'"),
        (["tools", "run", "check_tcp", "127.0.0.1"], 2, "expected key=value, got '127.0.0.1'"),
        (["tools", "run", "no_such_tool"], 3, "no diagnostic tool named 'no_such_tool'"),
        (["tools", "run", "restart_worker", "name=w1"], 3, "not served: it is not read-only"),
    ],
)
def test_tools_run_exits_non_zero_with_a_readable_error(
    tools_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    (tools_dir / "ops.py").write_text(WRITE_TOOL, encoding="utf-8")
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_tools_run_of_a_failing_diagnostic_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with closed_port() as port:
        assert main(["tools", "run", "check_http", f"url=http://127.0.0.1:{port}/"]) == 1
    assert f"vigil: error: check_http: could not connect to http://127.0.0.1:{port}/" in capsys.readouterr().err


def test_tools_run_applies_the_output_cap_from_the_environment(
    tools_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tools_dir / "logs.py").write_text(BIG_TOOL, encoding="utf-8")
    monkeypatch.setenv("VIGIL_TOOL_OUTPUT_CHARS", "2000")
    assert main(["tools", "run", "log_lines", "count=500"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out) <= 2001 and json.loads(captured.out)[0].startswith("line 0 ")
    assert "over the 2,000-character cap" in captured.err


def test_old_tool_names_still_select_and_run_the_renamed_tools(
    tools_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tools", "list", "--json", "--tools", "http_check,tcp_check"]) == 0
    served = sorted(row["name"] for row in json.loads(capsys.readouterr().out) if row["served"])
    assert served == ["check_http", "check_tcp"]
    with closed_port() as port:
        assert main(["tools", "run", "tcp_check", "host=127.0.0.1", f"port={port}"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is False
