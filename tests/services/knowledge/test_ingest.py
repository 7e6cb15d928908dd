import json
from pathlib import Path

from vigil_mcp.services.knowledge.ingest import walk_paths


def test_markdown_files_folders_and_jsonl_are_all_read(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# Alpha\n\nalpha text\n", encoding="utf-8")
    (folder / "sub" / "b.markdown").write_text("# Beta\n\nbeta text\n", encoding="utf-8")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "c.md").write_text("# Hidden\n", encoding="utf-8")
    jsonl = tmp_path / "runbooks.jsonl"
    jsonl.write_text(json.dumps({"id": "repo/x.md", "title": "X", "text": "# X\n\nbody"}) + "\n", encoding="utf-8")
    walk = walk_paths([folder, jsonl])
    assert sorted(d.title for d in walk.documents) == ["Alpha", "Beta", "X"]
    assert walk.skipped == []
    x = next(d for d in walk.documents if d.title == "X")
    assert x.source == "repo/x.md"
    assert x.tags == ("repo",)


def test_bad_inputs_are_skipped_with_file_line_and_reason_and_the_rest_is_read(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nfine\n", encoding="utf-8")
    binary = tmp_path / "blob.md"
    binary.write_bytes(b"\x00\x01\x02binary")
    latin = tmp_path / "latin.md"
    latin.write_bytes("# Caf\xe9\n".encode("latin-1"))
    jsonl = tmp_path / "rb.jsonl"
    jsonl.write_text(
        "\n".join(
            [
                json.dumps({"id": "ok", "text": "# Ok\n\nbody"}),
                "{not json",
                json.dumps(["a list"]),
                json.dumps({"id": "no-text"}),
                json.dumps({"text": "no id"}),
            ]
        ),
        encoding="utf-8",
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("plain text", encoding="utf-8")
    walk = walk_paths([good, binary, latin, jsonl, tmp_path / "missing.md", notes])
    assert sorted(d.title for d in walk.documents) == ["Good", "Ok"]
    reasons = {(Path(s.path).name, s.line): s.reason for s in walk.skipped}
    assert "binary" in reasons[("blob.md", None)]
    assert "not UTF-8" in reasons[("latin.md", None)]
    assert reasons[("rb.jsonl", 2)].startswith("not JSON")
    assert reasons[("rb.jsonl", 3)] == "not a JSON object"
    assert "text" in reasons[("rb.jsonl", 4)]
    assert "id" in reasons[("rb.jsonl", 5)]
    assert reasons[("missing.md", None)] == "no such file or folder"
    assert "not Markdown" in reasons[("notes.txt", None)]


def test_a_markdown_file_without_a_heading_is_titled_by_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "redis-failover.md"
    path.write_text("Just some text about failover.\n", encoding="utf-8")
    (doc,) = walk_paths([path]).documents
    assert doc.title == "redis-failover"
