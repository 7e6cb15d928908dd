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


def test_vigil_learned_and_vigil_lessons_show_list_retire_and_restore_what_was_learned(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "dialogues.jsonl"
    lines = [dialogue(f"stripe/{n}", n, q, a) for n, (q, a) in enumerate(WEBHOOK[:2], 1)]
    lines.append(
        json.dumps(
            {"id": "stripe/9", "seq": 9, "resolved": True,
             "turns": [{"idx": 1, "speaker": "kelly", "role": "customer", "text": "webhooks fail, any idea why?"},
                       {"idx": 2, "speaker": "jones", "role": "agent", "text": "Hi, looking at it now."},
                       {"idx": 3, "speaker": "kelly", "role": "customer", "text": "thanks"}]}
        )
    )  # fmt: skip
    data.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(data), "--learn"]) == 0
    capsys.readouterr()
    assert main(["learned"]) == 0
    taught = capsys.readouterr().out
    assert "stripe/1 (resolved by replay" in taught and "learned lesson ls-" in taught
    assert "stripe/9 (resolved by replay" in taught and "nothing learned: " in taught
    assert "new-draft" in taught

    assert main(["lessons", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(lesson["ticket_id"] for lesson in listed) == ["stripe/1", "stripe/2"]
    assert main(["lessons", "show", "stripe/1"]) == 0
    shown = capsys.readouterr().out
    assert "fix:" in shown and WEBHOOK[0][1][:40] in shown and "confirmed by customer" in shown

    assert main(["lessons", "retire", "stripe/1", "--reason", "outdated"]) == 0
    assert "active -> retired, version 1 -> 2" in capsys.readouterr().out
    assert main(["lessons", "list", "--status", "retired"]) == 0
    assert "stripe/1" in capsys.readouterr().out
    assert main(["lessons", "restore", "stripe/1"]) == 0
    assert "retired -> active, version 2 -> 3" in capsys.readouterr().out
    assert main(["lessons", "show", "ls-nope"]) == 3
