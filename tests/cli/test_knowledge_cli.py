import json
from pathlib import Path

import pytest

from vigil_mcp.cli import main


def test_add_then_search_get_and_stats_through_the_cli(
    full_runbooks_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runbooks_path = full_runbooks_path
    assert main(["knowledge", "add", str(runbooks_path)]) == 0
    out, err = capsys.readouterr()
    assert "604 documents: 3035 chunks added" in out
    assert f"skipped {runbooks_path}:553" in err
    assert main(["knowledge", "search", "etcdMembersDown", "--limit", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hits"][0]["title"] == "etcdMembersDown"
    item_id = result["hits"][0]["id"]
    assert main(["knowledge", "get", item_id]) == 0
    assert capsys.readouterr().out.startswith("# etcdMembersDown")
    assert main(["knowledge", "stats"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == {"runbook": 3035}
    assert (settings_home / "knowledge.duckdb").exists()


def test_human_readable_search_shows_rank_title_section_and_source(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "kafka.md"
    doc.write_text("# Kafka consumer lag\n\nLag grows when consumers stall.\n", encoding="utf-8")
    assert main(["knowledge", "add", str(doc), "--kind", "qa"]) == 0
    capsys.readouterr()
    assert main(["knowledge", "search", "consumer lag", "--kind", "qa"]) == 0
    out = capsys.readouterr().out
    assert " 1. " in out
    assert "Kafka consumer lag" in out
    assert f"source: {doc.resolve()}" in out


def test_errors_go_to_stderr_with_an_exit_code(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nSome text.\n", encoding="utf-8")
    assert main(["knowledge", "add", str(doc)]) == 0
    assert main(["knowledge", "search", "   "]) == 2
    assert "query is empty" in capsys.readouterr().err
    assert main(["knowledge", "get", "kb-nope"]) == 3
    (settings_home / "other.duckdb").write_text("not a database", encoding="utf-8")
    assert main(["knowledge", "stats", "--store", str(settings_home / "other.duckdb")]) == 4
    assert "not a DuckDB database" in capsys.readouterr().err


def test_adding_only_missing_paths_fails(
    tmp_path: Path, settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["knowledge", "add", str(tmp_path / "nope.md")]) == 2
    assert "no such file or folder; nothing added" in capsys.readouterr().err
    assert not (settings_home / "knowledge.duckdb").exists()  # a missing path never creates a store


def test_a_folder_of_product_docs_is_added_searched_and_skipped_when_unchanged(
    settings_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
    assert main(["knowledge", "add", str(docs)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("5 documents: ") and err == ""
    assert main(["knowledge", "search", "invoice_settings.default_payment_method", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "Stripe API > Objects > customer" in out
    assert f"source: {(docs / 'stripe-api' / 'openapi-excerpt.json').resolve()}#/components/schemas/customer" in out
    assert main(["knowledge", "add", str(docs)]) == 0
    assert "(5 files unchanged, not read again)" in capsys.readouterr().out
