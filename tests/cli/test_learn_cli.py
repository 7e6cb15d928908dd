"""`vigil replay --learn --skills-branch`: learned skills go to a review branch, the checkout stays as it was."""

import json
from pathlib import Path

import pytest

from tests.services.learn.cases import WEBHOOK, git, init_repo
from vigil_mcp.cli import main


def dialogue(did: str, seq: int, question: str, answer: str) -> str:
    turns = [("customer", "kelly", question), ("agent", "jones", answer), ("customer", "kelly", "thanks, that worked!")]
    return json.dumps(
        {
            "id": did,
            "seq": seq,
            "turns": [
                {"idx": 10 + i, "time": f"2019-09-05T03:{20 + i:02d}:00", "speaker": who, "role": role, "text": text}
                for i, (role, who, text) in enumerate(turns)
            ],
            "resolved": True,
            "resolution": {"turn": 1},
        }
    )


def test_replay_with_a_skills_branch_commits_learned_skills_there_only(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init_repo(settings_home)
    head = git(settings_home, "rev-parse", "HEAD")
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join(dialogue(f"stripe/{n}", n, q, a) for n, (q, a) in enumerate(WEBHOOK[:2], 1)) + "\n")
    assert main(["replay", str(data), "--learn", "--skills-branch", "vigil/learned"]) == 0
    assert "2 resolved" in capsys.readouterr().out
    assert git(settings_home, "rev-parse", "HEAD") == head
    assert not (settings_home / "skills").exists()
    files = git(settings_home, "ls-tree", "-r", "--name-only", "vigil/learned", "--", "skills").split()
    assert len(files) == 1 and files[0].endswith("/SKILL.md")
    assert "source-tickets: stripe/2, stripe/1" in git(settings_home, "show", f"vigil/learned:{files[0]}")


def test_a_bad_skills_branch_is_refused_with_the_fix(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(dialogue("x/1", 1, *WEBHOOK[0]) + "\n")
    assert main(["replay", str(data), "--learn", "--skills-branch", "vigil..learned"]) == 2
    assert "skills_branch must be a git branch name such as vigil/learned" in capsys.readouterr().err
