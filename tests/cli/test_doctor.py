from pathlib import Path

import pytest

from vigil_mcp.cli import main


def test_doctor_on_a_fresh_home_prints_one_verdict_per_check_and_exits_0(
    settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split()[1] for line in lines] == [
        "config",
        "home",
        "store",
        "skills",
        "tools",
        "embeddings",
        "prometheus",
        "anthropic",
    ]
    assert all(line.split()[0] in {"ok", "warn"} for line in lines)


def test_doctor_reports_a_broken_vigil_toml_as_a_fail_line_and_exits_1(
    settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (settings_home / "vigil.toml").write_text("[vigil]\nport = 'not a port'\n", encoding="utf-8")

    code = main(["doctor"])

    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("FAIL  config") and "port must be a number" in out


def test_doctor_exits_1_when_a_configured_endpoint_is_down(
    settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (settings_home / "vigil.toml").write_text("[vigil]\nprometheus_url = 'http://127.0.0.1:9'\n", encoding="utf-8")

    code = main(["doctor"])

    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  prometheus" in out and "something needs fixing" in out
