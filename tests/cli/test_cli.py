"""The click CLI's conventions: noun groups, help from docstrings, global options before or after the command."""

from pathlib import Path

import click
import pytest

from vigil_mcp import __version__
from vigil_mcp.cli import cli, main, serve_main


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


def test_every_command_has_help_from_its_docstring_and_a_short_line_that_fits() -> None:
    commands = _commands(cli)
    assert {name for name, _ in commands} >= {"serve", "knowledge add", "tools list", "skills check", "doctor", "demo"}
    for name, command in commands:
        assert command.help and command.help.strip(), name
        short = command.get_short_help_str(limit=60)
        assert not short.endswith("..."), (name, short)


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_is_a_global_option_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "elsewhere"
    (home / "skills").mkdir(parents=True)
    argv = (
        ["--home", str(home), "knowledge", "stats"]
        if where == "before"
        else ["knowledge", "stats", "--home", str(home)]
    )
    assert main(argv) == 3  # reading an empty home says so, and creates no store
    assert f"no store at {home / 'knowledge.duckdb'} yet" in capsys.readouterr().err
    assert not (home / "knowledge.duckdb").exists()


def test_the_option_nearer_the_end_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for home in (first, second):
        home.mkdir()
    assert main(["--home", str(first), "knowledge", "stats", "--home", str(second)]) == 3
    assert f"no store at {second / 'knowledge.duckdb'}" in capsys.readouterr().err


def test_version_names_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mcp-server-vigil {__version__}"


def test_a_usage_error_exits_2_with_clicks_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "frobnicate"]) == 2
    assert "No such command 'frobnicate'" in capsys.readouterr().err
    assert main(["serve", "--port", "eighty"]) == 2
    assert "'eighty' is not a valid integer" in capsys.readouterr().err


def test_mcp_server_vigil_is_vigil_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: mcp-server-vigil [OPTIONS]")
    assert "--http" in out and "--home DIR" in out


def test_a_bad_setting_from_a_flag_is_a_vigil_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "list", "--prometheus-url", "ftp://x"]) == 2
    assert "vigil: error: --prometheus-url: prometheus_url must start with http://" in capsys.readouterr().err
