import json
import subprocess
from pathlib import Path

import pytest

from tests.services.skills.files import copy_starters, save, skill_text
from vigil_mcp.cli import main


@pytest.fixture
def skills_dir(settings_home: Path) -> Path:
    root = settings_home / "skills"
    copy_starters(root)
    return root


def test_list_shows_every_skill_with_version_and_status(skills_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(skills_dir, "old-proxy", skill_text("old-proxy", status="retired", version=3))
    assert main(["skills", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["dns-not-resolving", "v1", "approved"],
        ["endpoint-5xx", "v1", "approved"],
        ["old-proxy", "v3", "retired"],
        ["tls-certificate-expiring", "v1", "approved"],
    ]
    assert main(["skills", "list", "--status", "retired", "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["old-proxy"]


def test_show_prints_the_skill_file_or_its_json(skills_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skills", "show", "endpoint-5xx"]) == 0
    assert capsys.readouterr().out == (skills_dir / "endpoint-5xx" / "SKILL.md").read_text(encoding="utf-8") + "\n"
    assert main(["skills", "show", "endpoint-5xx", "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["files"][0]["digest"].startswith("sha256:")
    assert main(["skills", "show", "../endpoint-5xx"]) == 2
    assert main(["skills", "show", "nope"]) == 3
    assert "known skills: dns-not-resolving" in capsys.readouterr().err


def test_check_passes_on_valid_skills_and_fails_with_file_line_and_fix(
    skills_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["skills", "check"]) == 0
    assert capsys.readouterr().out.strip() == f"3 skills valid, 0 invalid in {skills_dir}"
    broken = save(skills_dir, "broken", "---\nname: broken\ndescription: d\nmetadata:\n  version: 2\n---\nbody\n")
    assert main(["skills", "check"]) == 1
    captured = capsys.readouterr()
    assert f"{broken}:5: error: metadata.version: 2 would be read as a number" in captured.err
    assert 'Fix: quote it: version: "2"' in captured.err
    assert "3 skills valid, 1 invalid" in captured.out


def test_check_given_paths_only_checks_those_skills_as_a_pre_commit_hook_would(
    skills_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(skills_dir, "broken", "---\nname: Broken\ndescription: d\n---\nbody\n")
    good = skills_dir / "endpoint-5xx" / "SKILL.md"
    assert main(["skills", "check", str(good)]) == 0
    assert "1 skills valid, 0 invalid" in capsys.readouterr().out
    assert main(["skills", "check", str(good), str(skills_dir / "broken" / "SKILL.md")]) == 1
    assert "broken/SKILL.md:2: error: name:" in capsys.readouterr().err


def test_approve_and_retire_bump_the_version_and_say_so(skills_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(skills_dir, "queue-backlog", skill_text("queue-backlog", status="draft", version=2))
    assert main(["skills", "approve", "queue-backlog"]) == 0
    assert capsys.readouterr().out.strip() == "queue-backlog: draft -> approved, version 2 -> 3"
    assert main(["skills", "approve", "queue-backlog"]) == 0
    assert "already approved (version 3); nothing written" in capsys.readouterr().out
    assert main(["skills", "retire", "queue-backlog"]) == 0
    assert capsys.readouterr().out.strip() == "queue-backlog: approved -> retired, version 3 -> 4"
    assert main(["skills", "check"]) == 0
    assert 'version: "4"' in (skills_dir / "queue-backlog" / "SKILL.md").read_text(encoding="utf-8")


def test_history_reads_git(skills_dir: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skills", "history", "endpoint-5xx"]) == 3
    assert "not inside a git repository" in capsys.readouterr().err
    git = ["git", "-c", "user.name=Ana", "-c", "user.email=ana@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=settings_home, check=True)
    subprocess.run([*git, "add", "skills"], cwd=settings_home, check=True)
    subprocess.run([*git, "commit", "-qm", "starter skills"], cwd=settings_home, check=True)
    assert main(["skills", "approve", "endpoint-5xx"]) == 0  # already approved: nothing to commit
    assert main(["skills", "retire", "endpoint-5xx"]) == 0
    subprocess.run([*git, "commit", "-qam", "retire endpoint-5xx"], cwd=settings_home, check=True)
    capsys.readouterr()
    assert main(["skills", "history", "endpoint-5xx"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2:4] for line in lines] == [["v2", "retired"], ["v1", "approved"]]
    assert lines[0].endswith("Ana: retire endpoint-5xx")


def test_a_skills_dir_flag_points_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(tmp_path / "elsewhere", "s", skill_text("s"))
    assert main(["skills", "list", "--skills-dir", str(tmp_path / "elsewhere")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3] for line in lines if line.startswith("s ")] == ["yours"]
