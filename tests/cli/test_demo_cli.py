import pytest

from vigil_mcp.cli import main
from vigil_mcp.demo import sample_runbooks


def test_the_bundled_sample_ships_with_the_package_and_its_notice() -> None:
    path = sample_runbooks()
    assert path.exists()
    assert (path.parent / "NOTICE.md").exists()
    assert sum(1 for _ in path.open(encoding="utf-8")) == 27


def test_demo_loads_the_sample_once_and_answers_through_mcp(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "27 documents: 126 chunks added" in out
    assert "etcdMembersDown > Meaning" in out
    assert "SSL Certificate expiring or expired" in out
    assert main(["demo"]) == 0
    assert "0 chunks added, 0 updated, 126 unchanged" in capsys.readouterr().out
