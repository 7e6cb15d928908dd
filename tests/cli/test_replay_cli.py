import json
from pathlib import Path

import pytest

from vigil_mcp.cli import main


def dialogue(did: str, seq: int, turns: list[tuple[str, str, str]], resolved_turn: int | None = None) -> str:
    body = {
        "id": did,
        "seq": seq,
        "turns": [
            {"idx": 100 + i, "time": f"2019-09-05T03:{20 + i:02d}:00", "speaker": who, "role": role, "text": text}
            for i, (role, who, text) in enumerate(turns)
        ],
        "resolved": resolved_turn is not None,
        "resolution": {"turn": resolved_turn} if resolved_turn is not None else None,
    }
    return json.dumps(body)


QUESTION = "webhook signature verification fails with No signatures found matching the expected signature?"
ANSWER = "You must verify the raw request body with the endpoint's whsec_ secret, not the parsed JSON."


@pytest.mark.embeddings
def test_replay_learns_from_a_resolved_dialogue_and_helps_the_next_customer(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = dialogue(
        "stripe/a", 1,
        [("customer", "kelly", QUESTION), ("agent", "jones", ANSWER), ("customer", "kelly", "thanks, that worked!")],
        resolved_turn=1,
    )  # fmt: skip
    second = dialogue("stripe/b", 2, [("customer", "sam", "my " + QUESTION)])
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join([second, "{broken", first]) + "\n", encoding="utf-8")
    out = tmp_path / "suggestions.jsonl"
    assert main(["replay", str(data), "--learn", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 dialogues, 4 messages" in captured.out
    assert "1 resolved" in captured.out
    assert f"skipped {data}:2" in captured.err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1
    (s,) = lines
    assert s["dialogue_id"] == "stripe/b"
    assert s["message_idx"] == 100
    assert "raw request body" in s["text"]
    assert s["citations"] and 0 < s["confidence"] <= 1
    # Replaying again stores nothing twice and learns nothing new.
    assert main(["replay", str(data), "--learn"]) == 0
    again = capsys.readouterr()
    assert "0 resolved" in again.out
    assert "already resolved" in again.err


def test_replay_without_learning_stays_silent_on_unknown_problems(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(dialogue("x/1", 1, [("customer", "a", QUESTION)]) + "\n", encoding="utf-8")
    assert main(["replay", str(data)]) == 0
    assert "0 suggestions" in capsys.readouterr().out


def test_a_missing_replay_file_is_an_error(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_dialogue_is_replayed_as_a_ticket_of_its_source_product_unless_it_names_a_product(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings

    records = [json.loads(dialogue(f"d/{i}", i, [("customer", "kim", QUESTION)])) for i in range(4)]
    records[0]["source"] = "stripe"
    records[1] |= {"source": "ubuntu", "product": "openshift"}  # an explicit product wins over the source
    records[2]["source"] = "no such product!"  # a bad name: the line is skipped, saying why
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert main(["replay", str(data)]) == 0
    captured = capsys.readouterr()
    assert "3 dialogues" in captured.out
    assert f"skipped {data}:3: \"source\": product 'no such product!' is not valid" in captured.err
    app = build_app(load_settings({"home": str(settings_home)}, environ={}))
    try:
        products = {t.id: t.product for t in app.tickets.list()}
    finally:
        app.close()
    assert products == {"d/0": "stripe", "d/1": "openshift", "d/3": None}
