import json
from pathlib import Path

import pytest

from vigil_mcp.cli import main
from vigil_mcp.demo import sample_dialogues, sample_runbooks


def test_the_bundled_samples_ship_with_the_package_and_their_notice() -> None:
    runbooks, dialogues = sample_runbooks(), sample_dialogues()
    assert (runbooks.parent / "NOTICE.md").exists()
    assert sum(1 for _ in runbooks.open(encoding="utf-8")) == 27
    lines = dialogues.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 57
    assert dialogues.stat().st_size < 300_000
    assert all(json.loads(line)["provenance"]["license"].startswith("CC-BY-4.0") for line in lines)


@pytest.mark.embeddings
def test_demo_replays_real_dialogues_learns_and_helps_a_later_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "demo"
    assert main(["demo", "--keep", str(work)]) == 0
    out = capsys.readouterr().out
    assert "27 documents: 126 chunks added" in out
    assert "learned from ubuntu/2005-07-25.train-a/1110" in out
    assert "vigil suggests" in out
    # the later .deb customer gets the fix learned from the earlier case, cited to that ticket
    later = out.split("[ubuntu/2005-12-03.train-c/1012]", 1)[1].split("\n[", 1)[0]
    assert "sudo dpkg -i <.deb>" in later and "(ticket:ubuntu/2005-07-25.train-a/1110)" in later
    assert "\n    Source: How do I install a .deb-package" in later  # the citation on its own line
    assert "nothing learned from stripe/" in out  # a case that taught nothing says which case, and why
    assert "57 dialogues" in out
    assert "wrote skill file" in out
    skill = (work / "skills" / "play-mp3" / "SKILL.md").read_text(encoding="utf-8")  # three mp3 cases
    assert "RestrictedFormats" in skill and skill.count("Resolved ticket `ubuntu/") == 3
    shown = out.split("(a draft for a maintainer to review) ---", 1)[1]
    fix = skill.split("## Fix", 1)[1].strip().splitlines()[0]
    assert fix.strip() and fix in shown  # the draft is shown down to its fix, not cut at the heading
    assert "thanks" in out  # what it kept quiet on
    assert "etcdMembersDown > Meaning" in out  # a search over MCP at the end
    assert (work / "knowledge.duckdb").exists()


def test_demo_leaves_nothing_behind_by_default(settings_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "vigil suggests" in capsys.readouterr().out
    assert not (settings_home / "knowledge.duckdb").exists()
