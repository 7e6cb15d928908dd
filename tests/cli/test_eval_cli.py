import json
from pathlib import Path

import pytest

from vigil_mcp.cli import main

QUESTION = "webhook signature verification fails with No signatures found matching the expected signature?"
ANSWER = "You must verify the raw request body with the endpoint's whsec_ secret, not the parsed JSON."


def dialogue(did: str, seq: int, turns: list[tuple[str, str, str]], resolved_turn: int | None = None) -> str:
    return json.dumps(
        {
            "id": did,
            "seq": seq,
            "turns": [
                {"idx": 10 * seq + i, "time": f"2019-09-0{seq}T03:2{i}:00", "speaker": who, "role": role, "text": text}
                for i, (role, who, text) in enumerate(turns)
            ],
            "resolved": resolved_turn is not None,
            "resolution": {"turn": resolved_turn, "text": turns[resolved_turn][2]}
            if resolved_turn is not None
            else None,
        }
    )


@pytest.mark.embeddings
def test_eval_compares_learning_with_not_learning_and_writes_the_report(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.jsonl"
    resolved = [
        ("customer", "kelly", QUESTION),
        ("agent", "jones", ANSWER),
        ("customer", "kelly", "thanks, that worked"),
    ]
    data.write_text(
        "\n".join(
            [
                dialogue("s/1", 1, resolved, resolved_turn=1),
                dialogue(
                    "s/2",
                    2,
                    [("customer", "sam", "hi all"), ("customer", "sam", "my " + QUESTION), ("agent", "jones", ANSWER)],
                    resolved_turn=2,
                ),
                dialogue("s/3", 3, [("customer", "ann", "ok thanks")]),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = tmp_path / "report"
    assert main(["eval", str(data), "--report", str(report), "--window", "2"]) == 0
    out = capsys.readouterr().out
    assert "learn: 2 questions, 1 suggestions" in out
    assert "no learn: 2 questions, 0 suggestions" in out
    figures = json.loads((report / "report.json").read_text(encoding="utf-8"))
    learn = figures["learn"]
    assert learn["totals"]["suggestions"] == 1
    assert learn["totals"]["precision_proxy"] == 1.0
    assert learn["totals"]["non_question_interventions"] == 0
    assert [w["last"] for w in learn["windows"]] == [2, 3]
    assert learn["samples"] == 1
    sample = json.loads((report / "samples-learn.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert sample["dialogue_id"] == "s/2" and "raw request body" in sample["suggestion"]
    assert (report / "samples-no-learn.jsonl").read_text(encoding="utf-8") == ""
    assert figures["no_learn"]["totals"]["suggestions"] == 0
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "Sample suggestions beside the human answer" in markdown
    assert "raw request body" in markdown
    assert (report / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (settings_home / "knowledge.duckdb").exists()  # the real store is never touched
